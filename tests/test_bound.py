"""The Jensen bound along the path of one EM iteration (em_core.bound_along_path): the identities behind "EM climbs"."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import em_core
from em_core.bound import bound_along_path, parameters_along_path

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
TS = np.linspace(-0.5, 1.5, 41)  # t = 0 and t = 1 are on this grid (indices 10 and 30)
T0, T1 = 10, 30


@st.composite
def problems(draw):
    seed = draw(st.integers(0, 10_000))
    K = draw(st.integers(1, 3))
    d = draw(st.integers(1, 3))
    per = draw(st.integers(8, 25))
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (K, d))
    X = np.vstack([rng.normal(c, rng.uniform(0.4, 1.5), (per, d)) for c in centres])
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES))
    init = draw(st.sampled_from(["kmeans", "random_resp", "random_points"]))
    return X, K, covariance_type, init, seed


def _slack(values) -> float:
    return 1e-9 * max(1.0, float(np.abs(values).max()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from([0.0, 1e-6]))
def test_the_bound_identities_hold_along_every_iteration(problem, reg_covar):
    X, K, covariance_type, init, seed = problem
    history = em_core.fit_history(X, K, covariance_type=covariance_type, init=init, seed=seed, max_iter=4,
                                  tol=0.0, reg_covar=reg_covar)
    for index in history.indices_of("m_step")[:2]:
        if any("component_regularised" in history[i].flags for i in (index - 1, index)):
            # A singular covariance (a collapse with reg_covar = 0): refused, see the test below.
            continue
        ll, lb = bound_along_path(X, history, index, TS)
        slack = _slack(ll)
        # Jensen: the bound never exceeds the log-likelihood of the same parameters.
        assert np.all(lb <= ll + slack)
        # The E-step made it tight at t = 0; the ends are the history's own numbers.
        assert lb[T0] == pytest.approx(ll[T0], abs=slack)
        assert ll[T0] == pytest.approx(history[index - 1].log_likelihood, abs=slack)
        assert ll[T1] == pytest.approx(history[index].log_likelihood, abs=slack)
        assert lb[T1] == pytest.approx(history[index].lower_bound, abs=slack)
        # ll(1) >= bound(1) >= bound(0) = ll(0): the M-step pushed the bound up.
        assert ll[T1] >= lb[T1] - slack and lb[T1] >= lb[T0] - slack
        # The M-step maximises the bound over all θ, so over the path too. With reg_covar = ε the
        # maximiser moves by εI: the bound at t = 1 falls short of the path's best by O(N ε²/λ²) only.
        tolerance = slack if reg_covar == 0 else slack + 1e-6 * X.shape[0]
        assert lb.max() <= lb[T1] + tolerance


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_the_path_keeps_parameters_valid_far_beyond_the_ends(covariance_type):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal([5, 2], [0.3, 2.0], (40, 2))])
    h = em_core.fit_history(X, 2, covariance_type=covariance_type, init="random_points", seed=0, max_iter=2)
    index = h.indices_of("m_step")[0]
    before = (h[index - 1].weights, h[index - 1].means, h[index - 1].covariances)
    after = (h[index].weights, h[index].means, h[index].covariances)
    for t in (-3.0, -0.5, 0.0, 0.37, 1.0, 1.5, 4.0):
        weights, means, covariances = parameters_along_path(before, after, covariance_type, t)
        assert np.all(weights > 0) and weights.sum() == pytest.approx(1.0)
        full = em_core.expand_covariances(covariances, covariance_type, 2, 2)
        assert np.all(np.linalg.eigvalsh(full) > 0)
    for t, expected in ((0.0, before), (1.0, after)):
        for got, want in zip(parameters_along_path(before, after, covariance_type, t), expected):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_the_log_likelihood_along_the_path_matches_scipy():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, (30, 2)), rng.normal([4, 1], 0.7, (30, 2))])
    h = em_core.fit_history(X, 2, seed=0, max_iter=2, tol=0)
    index = h.indices_of("m_step")[0]
    ll, lb = bound_along_path(X, h, index, [0.5, 1.3])
    before = (h[index - 1].weights, h[index - 1].means, h[index - 1].covariances)
    after = (h[index].weights, h[index].means, h[index].covariances)
    q = h.responsibilities(index)
    for t, got_ll, got_lb in zip((0.5, 1.3), ll, lb):
        w, m, c = parameters_along_path(before, after, "full", t)
        dens = np.column_stack([w[k] * stats.multivariate_normal(m[k], c[k]).pdf(X) for k in range(2)])
        assert got_ll == pytest.approx(np.log(dens.sum(axis=1)).sum(), rel=1e-10)
        assert got_lb == pytest.approx(np.sum(q * (np.log(dens) - np.log(q))), rel=1e-10)


def test_only_m_steps_have_a_path():
    X = np.random.default_rng(2).normal(size=(30, 2))
    h = em_core.fit_history(X, 2, seed=0, max_iter=2)
    with pytest.raises(ValueError, match="M-step"):
        bound_along_path(X, h, h.indices_of("e_step")[0], [0.0])


def test_a_collapsed_step_has_no_path_and_says_why():
    from emviz.ui import dataset_matrix

    X = dataset_matrix("collapse")  # with reg_covar = 0 a component shrinks onto five identical points
    h = em_core.fit_history(X, 3, seed=0, reg_covar=0.0)
    singular = [i for i in h.indices_of("m_step")
                if np.linalg.eigvalsh(em_core.expand_covariances(h[i].covariances, "full", 3, 2))[:, 0].min() <= 0]
    assert singular
    with pytest.raises(ValueError, match="singular"):
        bound_along_path(X, h, singular[0], [0.0, 1.0])
