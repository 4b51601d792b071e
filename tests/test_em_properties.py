"""Properties every recorded history must have, on random data (hypothesis).

The data are drawn from a random mixture by numpy from a hypothesis-chosen
seed (varied sizes, dimensions, scales, offsets and rounding, which makes
duplicates), rather than element by element: hypothesis then explores the
shapes of problems, and every example stays a realistic data set.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import em_core

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
INITS = ("kmeans", "kmeans++", "random_points", "random_resp", "given")
EM_KINDS = ("init", "e_step", "m_step")

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def random_data(seed: int, n_samples: int, n_features: int, n_clusters: int, rounding: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.uniform(-1, 2)
    centres = rng.normal(scale=4 * scale, size=(n_clusters, n_features))
    mixing = np.eye(n_features) + 0.5 * rng.normal(size=(n_features, n_features))
    X = centres[rng.integers(n_clusters, size=n_samples)] + scale * rng.normal(size=(n_samples, n_features)) @ mixing
    X += rng.normal(scale=100 * scale)  # a common offset, away from the origin
    if rounding:
        X = np.round(X / scale, 1) * scale  # a coarse grid: duplicated points
    return X


def given_parameters(X, n_components, covariance_type, seed):
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    weights = rng.uniform(0.2, 1.0, n_components)
    weights /= weights.sum()
    means = X[rng.choice(X.shape[0], n_components, replace=False)] + rng.normal(size=(n_components, d))
    spread = np.atleast_2d(np.cov(X.T)) + 1e-3 * np.eye(d) * (1.0 + np.abs(X).max())
    factor = rng.uniform(0.2, 1.0, n_components)
    covariances = {
        "full": factor[:, None, None] * spread[None],
        "tied": spread,
        "diag": factor[:, None] * np.diag(spread)[None],
        "spherical": factor * np.diag(spread).mean(),
    }[covariance_type]
    return dict(weights_init=weights, means_init=means, covariances_init=covariances)


@st.composite
def problems(draw, inits=INITS, max_iter=st.integers(1, 12)):
    n_features = draw(st.integers(1, 4))
    n_components = draw(st.integers(1, 4))
    n_samples = draw(st.integers(max(n_components, 2), 60))
    data_seed = draw(st.integers(0, 2**32 - 1))
    X = random_data(data_seed, n_samples, n_features, draw(st.integers(1, 4)), draw(st.booleans()))
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES))
    init = draw(st.sampled_from(inits))
    options = dict(covariance_type=covariance_type, init=init, max_iter=draw(max_iter),
                   tol=draw(st.sampled_from([0.0, 1e-3])), seed=draw(st.integers(0, 2**32 - 1)),
                   n_init=draw(st.integers(1, 2)))
    if init == "given":
        options.update(given_parameters(X, n_components, covariance_type, data_seed))
    return X, n_components, options


def full_covariances(step, history):
    return em_core.expand_covariances(step.covariances, history.covariance_type, history.n_components,
                                      history.n_features)


def slack(value: float, n_samples: int, history=None, *steps) -> float:
    """Rounding allowance for a sum of ``n_samples`` log terms of total ``value``.

    A nearly singular covariance (a cluster of fewer than d + 1 distinct points,
    held up by reg_covar alone) has condition number kappa up to ~1e10, and
    then each Mahalanobis term is only good to ~d * eps * kappa: a floating
    point fact, not a flaw of EM, so the allowance grows with kappa.
    """
    allowance = 1e-9 * (abs(value) + n_samples)
    if history is not None:
        kappa = max(np.linalg.cond(full_covariances(step, history)).max() for step in steps)
        allowance += 10 * n_samples * history.n_features * np.finfo(float).eps * kappa
    return allowance


def regularisation_allowance(history, m_step) -> float:
    """How much ``reg_covar`` can cost an M-step in the EM bound.

    EM's monotonicity rests on the M-step maximising the bound B for fixed
    responsibilities; with ``reg_covar = r`` it returns ``S/N_k + r I`` instead
    of the maximiser ``S/N_k``. Per eigenvalue ``lam`` of ``S/N_k`` (per
    variance for diag, per pooled eigenvalue for tied, d times the mean
    variance for spherical), weighted by its share N of the responsibilities,
    that loses exactly ``N/2 [log(1 + r/lam) - r/(lam + r)]`` of bound, so
    ``LL(new) >= B(new) >= LL(old) - allowance``. Negligible (second order in
    r/lam) unless a variance is comparable to r; infinite where it is exactly
    0, as for a lone point, where nothing useful can be said.
    """
    r = history.options["reg_covar"]
    step = history[m_step]
    counts = np.asarray(step.counts)
    cov = np.asarray(step.covariances)
    kind, d = history.covariance_type, history.n_features
    if kind == "full":
        lam, share = np.linalg.eigvalsh(cov) - r, np.repeat(counts[:, None], d, axis=1)
    elif kind == "tied":
        lam, share = np.linalg.eigvalsh(cov) - r, np.full(d, counts.sum())
    elif kind == "diag":
        lam, share = cov - r, np.repeat(counts[:, None], d, axis=1)
    else:
        lam, share = cov - r, d * counts
    lam = np.maximum(lam, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = np.where(share > 0, share * (np.log1p(r / lam) - r / (lam + r)), 0.0)
    return float(0.5 * loss.sum())


# Likelihood and bound ----------------------------------------------------------------

@SETTINGS
@given(problems())
def test_log_likelihood_never_decreases_and_bound_is_tight(problem):
    X, K, options = problem
    history = em_core.fit_history(X, K, **options)
    n = X.shape[0]
    em = [step for step in history if step.kind in EM_KINDS]
    assert em[0].kind == "init" and all(s.kind != "init" for s in em[1:])
    for before, after in zip(em, em[1:]):
        allowance = slack(before.log_likelihood, n, history, before, after)
        if after.kind == "m_step":
            allowance += regularisation_allowance(history, after.index)
        assert after.log_likelihood >= before.log_likelihood - allowance, \
            (after.index, before.log_likelihood, after.log_likelihood)
    for step in em:
        assert np.isfinite(step.log_likelihood) and np.isfinite(step.lower_bound)
        # Jensen: the bound never exceeds the likelihood of the same parameters ...
        assert step.lower_bound <= step.log_likelihood + slack(step.log_likelihood, n, history, step)
        if step.kind == "e_step":
            # ... and the E-step makes it tight.
            assert step.lower_bound == pytest.approx(step.log_likelihood, rel=1e-9, abs=1e-9 * n)
    for e_step, m_step in zip(history.indices_of("e_step"), history.indices_of("m_step")):
        # The M-step maximises the bound for fixed responsibilities.
        assert history[m_step].lower_bound >= history[e_step].lower_bound - slack(
            history[e_step].lower_bound, n, history, history[e_step], history[m_step]) \
            - regularisation_allowance(history, m_step)
    np.testing.assert_array_equal(history.log_likelihoods()[history.first_em_index:],
                                  [s.log_likelihood for s in em])


@SETTINGS
@given(problems())
def test_responsibilities_weights_and_covariances_are_valid_at_every_step(problem):
    X, K, options = problem
    history = em_core.fit_history(X, K, **options)
    for step in history:
        resp = history.responsibilities(step.index)
        assert resp.shape == (X.shape[0], K)
        assert np.all(resp >= 0.0) and np.all(resp <= 1.0)
        np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        assert np.all(step.weights >= 0.0)
        assert step.weights.sum() == pytest.approx(1.0, abs=1e-12)
        for k, cov in enumerate(full_covariances(step, history)):
            np.testing.assert_array_equal(cov, cov.T)
            np.linalg.cholesky(cov)  # raises LinAlgError unless positive definite
            assert np.all(np.linalg.eigvalsh(cov) > 0), (step.index, k)
        for array in (step.weights, step.means, step.covariances, step.counts):
            assert np.isfinite(array).all() and not array.flags.writeable
        # labels are the argmax of the responsibilities
        np.testing.assert_array_equal(history.labels(step.index), resp.argmax(axis=1))


@SETTINGS
@given(problems(inits=("kmeans",), max_iter=st.just(1)))
def test_kmeans_objective_never_increases(problem):
    X, K, options = problem
    history = em_core.fit_history(X, K, **options)
    kmeans = [step for step in history if step.is_kmeans]
    assert kmeans and kmeans[0].kind == "kmeans_assign"
    assert [s.kind for s in kmeans[::2]] == ["kmeans_assign"] * len(kmeans[::2])
    for before, after in zip(kmeans, kmeans[1:]):
        assert after.kmeans_objective <= before.kmeans_objective * (1 + 1e-12) + 1e-12 * np.abs(X).max() ** 2
    for step in kmeans:
        assert step.log_likelihood is None and step.lower_bound is None
        # J is the sum of squared distances to the assigned centroids.
        labels = history.labels(step.index)
        J = ((X - step.means[labels]) ** 2).sum()
        assert step.kmeans_objective == pytest.approx(J, rel=1e-9, abs=1e-12)
    for step in history:
        if not step.is_kmeans:
            assert step.kmeans_objective is None
    assert min(history.kmeans_restart_objectives) == pytest.approx(kmeans[-1].kmeans_objective)


# Structure of the record -----------------------------------------------------------------

@SETTINGS
@given(problems())
def test_e_steps_keep_parameters_and_m_steps_keep_responsibilities(problem):
    X, K, options = problem
    history = em_core.fit_history(X, K, **options)
    kinds = [s.kind for s in history]
    first = history.first_em_index
    assert kinds[first + 1:] == ["e_step", "m_step"] * history.n_iter
    assert [s.index for s in history] == list(range(len(history)))
    for index in history.indices_of("e_step"):
        before, step = history[index - 1], history[index]
        for name in ("weights", "means", "covariances"):
            assert np.array_equal(getattr(step, name), getattr(before, name)), name
        assert step.log_likelihood == before.log_likelihood
        # The E-step's counts are the column sums of its responsibilities.
        np.testing.assert_allclose(step.counts, history.responsibilities(index).sum(axis=0),
                                   rtol=1e-10, atol=1e-10)
    for index in history.indices_of("m_step"):
        assert np.array_equal(history.responsibilities(index), history.responsibilities(index - 1))
        assert np.array_equal(history[index].counts, history[index - 1].counts)
        assert history[index].iteration == history[index - 1].iteration
    converged = [s.index for s in history if "converged" in s.flags and not s.is_kmeans]
    assert converged == ([len(history) - 1] if history.converged else [])
    if not history.converged:
        assert history.n_iter == options["max_iter"]


def assert_closed_form_m_steps(X, K, options):
    """Each M-step's weights, means and (full) covariances are the two-pass textbook formulas."""
    history = em_core.fit_history(X, K, **options)
    for index in history.indices_of("m_step"):
        resp = history.responsibilities(index)
        counts = resp.sum(axis=0)
        active = counts > 1e-6 * X.shape[0]
        step = history[index]
        np.testing.assert_allclose(step.weights, counts / X.shape[0], rtol=1e-9, atol=1e-12)
        means = (resp.T @ X)[active] / counts[active, None]
        scale = np.abs(X).max()
        np.testing.assert_allclose(step.means[active], means, rtol=1e-8, atol=1e-9 * scale)
        if history.covariance_type == "full":
            for k in np.flatnonzero(active):
                diff = X - step.means[k]
                cov = (resp[:, k] * diff.T) @ diff / counts[k] + options.get("reg_covar", 1e-6) * np.eye(X.shape[1])
                np.testing.assert_allclose(step.covariances[k], cov, rtol=1e-7,
                                           atol=1e-8 * np.abs(cov).max())


@SETTINGS
@given(problems(inits=("random_points", "random_resp", "given"), max_iter=st.integers(1, 6)))
def test_m_step_is_the_closed_form_update(problem):
    assert_closed_form_m_steps(*problem)


def test_m_step_keeps_its_digits_when_a_component_collapses_onto_a_point():
    """Regression (found by hypothesis): each mean jumps far from its old value while its
    component shrinks onto one point, so the one-pass scatter about the new mean cancelled."""
    X = np.array([[14022.66215278, 14659.74441388, 14914.72896282],
                  [13955.21701537, 15081.80447109, 14913.5572605],
                  [14165.80451492, 14393.18371724, 14916.85150725],
                  [13972.67685934, 14676.60584331, 15041.49793719]])
    assert_closed_form_m_steps(X, 4, dict(covariance_type="full", init="random_points", max_iter=2, tol=0.0,
                                          seed=0))


@SETTINGS
@given(problems())
def test_same_inputs_give_bit_identical_histories(problem):
    X, K, options = problem
    first = em_core.fit_history(X, K, **options)
    second = em_core.fit_history(X.copy(), K, **options)
    assert len(first) == len(second)
    for a, b in zip(first, second):
        assert (a.kind, a.iteration, dict(a.flags)) == (b.kind, b.iteration, dict(b.flags))
        for name in ("weights", "means", "covariances", "counts"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (a.index, name)
        for name in ("log_likelihood", "lower_bound", "kmeans_objective"):
            assert getattr(a, name) == getattr(b, name), (a.index, name)
    for index in {0, first.first_em_index, len(first) - 1}:
        assert np.array_equal(first.responsibilities(index), second.responsibilities(index))
    assert first.kmeans_restart_objectives == second.kmeans_restart_objectives
    assert (first.converged, first.n_iter) == (second.converged, second.n_iter)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(problems(inits=("given",), max_iter=st.integers(1, 8)), st.integers(0, 2**32 - 1))
def test_row_order_only_permutes_the_responsibilities(problem, perm_seed):
    """With given initial parameters EM does not depend on the order of the rows.

    Only float summation order changes, so everything agrees up to rounding
    (the other inits draw rows by index, so for them the order legitimately matters).
    Rounding differences grow with the condition number kappa of the covariances
    (a cluster of d or fewer points is singular but for reg_covar), so the
    tolerance does too.
    """
    X, K, options = problem
    perm = np.random.default_rng(perm_seed).permutation(X.shape[0])
    original = em_core.fit_history(X, K, **options)
    shuffled = em_core.fit_history(X[perm], K, **options)
    assert len(original) == len(shuffled)
    scale = np.abs(X).max()
    n = X.shape[0]
    kappa = 1.0
    for a, b in zip(original, shuffled):
        kappa = max(kappa, np.linalg.cond(full_covariances(a, original)).max())  # so far, all steps
        tol = 1e-7 + 100 * np.finfo(float).eps * kappa
        np.testing.assert_allclose(b.weights, a.weights, rtol=tol, atol=tol * 1e-3)
        np.testing.assert_allclose(b.means, a.means, rtol=tol, atol=tol * 1e-2 * scale)
        np.testing.assert_allclose(b.covariances, a.covariances, rtol=10 * tol,
                                   atol=tol * 0.1 * np.abs(a.covariances).max())
        assert b.log_likelihood == pytest.approx(a.log_likelihood, rel=tol, abs=tol * n)
        np.testing.assert_allclose(shuffled.responsibilities(b.index), original.responsibilities(a.index)[perm],
                                   rtol=10 * tol, atol=tol)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_translation_changes_only_the_means(covariance_type):
    """Far from the origin nothing cancels: shifting the data shifts the means and nothing else."""
    rng = np.random.default_rng(7)
    X = np.concatenate([rng.normal((0, 0), 1.0, (80, 2)), rng.normal((4, 1), 0.5, (80, 2)),
                        rng.normal((1, 5), 1.5, (80, 2))])
    params = given_parameters(X, 3, covariance_type, 1)
    offset = np.array([1e6, -3e6])
    near = em_core.fit_history(X, 3, covariance_type=covariance_type, init="given", tol=0, max_iter=15,
                               **params)
    far = em_core.fit_history(X + offset, 3, covariance_type=covariance_type, init="given", tol=0,
                              max_iter=15, **dict(params, means_init=params["means_init"] + offset))
    for a, b in zip(near, far):
        np.testing.assert_allclose(b.weights, a.weights, rtol=1e-7)
        np.testing.assert_allclose(b.means - offset, a.means, atol=1e-7)
        np.testing.assert_allclose(b.covariances, a.covariances, rtol=1e-7, atol=1e-9)
        assert b.log_likelihood == pytest.approx(a.log_likelihood, rel=1e-8)


# Degenerate data ------------------------------------------------------------------

def assert_all_finite(history):
    for step in history:
        for array in (step.weights, step.means, step.covariances, step.counts):
            assert np.isfinite(array).all(), step.index
        for value in (step.log_likelihood, step.lower_bound, step.kmeans_objective):
            assert value is None or np.isfinite(value), step.index
        assert np.isfinite(history.responsibilities(step.index)).all(), step.index
    model = history.model()
    assert np.isfinite(model.score_samples(history.X)).all()
    assert np.isfinite(model.bic(history.X))


def flagged(history, name):
    return [step.index for step in history if name in step.flags]


def _degenerate(name):
    rng = np.random.default_rng(11)
    if name == "constant_column":
        return np.column_stack([rng.normal(size=40), np.full(40, 3.5)])
    if name == "all_duplicates":
        return np.tile([[2.0, -1.0]], (25, 1))
    if name == "collinear":
        t = rng.normal(size=50)
        return np.column_stack([t, 2.0 * t + 1.0, -t])
    raise KeyError(name)


# Which covariance types can even express the degeneracy: a spherical variance
# averages over the features, so one constant feature does not make it zero,
# and a diagonal covariance cannot see that features are collinear.
SINGULAR_FOR = {
    "constant_column": ("full", "tied", "diag"),
    "all_duplicates": COVARIANCE_TYPES,
    "collinear": ("full", "tied"),
}


@pytest.mark.parametrize("init", INITS[:-1])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("name", sorted(SINGULAR_FOR))
def test_degenerate_data_stays_finite_and_is_flagged(name, covariance_type, init):
    X = _degenerate(name)
    history = em_core.fit_history(X, 2, covariance_type=covariance_type, init=init, seed=0, max_iter=20)
    assert_all_finite(history)
    regularised = flagged(history, "component_regularised")
    if covariance_type in SINGULAR_FOR[name]:
        # Singular without reg_covar: flagged at the init and at every M-step after it.
        em_updates = [s.index for s in history if s.kind in ("init", "m_step")]
        assert regularised == em_updates
        assert all(history[i].flags["component_regularised"] for i in regularised)
    else:
        assert not any(history[i].kind in ("init", "e_step", "m_step") for i in regularised)


def test_kmeans_init_keeps_the_variance_of_a_lone_point_far_from_the_data_mean():
    """Regression: the init statistics were taken about the data mean and cancelled."""
    X = np.array([[770.18244737], [803.42942185]])
    history = em_core.fit_history(X, 2, seed=0, tol=0, max_iter=3)
    init = history[history.first_em_index]
    np.testing.assert_allclose(init.covariances.ravel(), [1e-6, 1e-6], rtol=1e-9)
    lls = [s.log_likelihood for s in history if not s.is_kmeans]
    assert all(b >= a - 1e-12 for a, b in zip(lls, lls[1:]))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_as_many_components_as_points(covariance_type):
    X = np.random.default_rng(3).normal(size=(6, 2))
    history = em_core.fit_history(X, 6, covariance_type=covariance_type, seed=1, max_iter=10)
    assert_all_finite(history)
    init = history[history.first_em_index]
    # k-means puts every point in its own cluster: zero spread, regularised.
    np.testing.assert_array_equal(np.sort(init.counts), np.ones(6))
    assert flagged(history, "component_regularised")


def test_duplicates_with_more_components_than_distinct_points_reseed_empty_clusters():
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 5.0]]), 10, axis=0)
    history = em_core.fit_history(X, 5, seed=0, max_iter=10)
    assert_all_finite(history)
    reseeded = flagged(history, "empty_cluster_reseeded")
    assert reseeded and all(history[i].kind == "kmeans_update" for i in reseeded)
    assert all(history[i].flags["empty_cluster_reseeded"] for i in reseeded)
    # Fewer than one point's worth of responsibility somewhere: a collapsed component.
    assert flagged(history, "component_nearly_empty")


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_component_that_loses_every_point_collapses_without_nan(covariance_type):
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal((0, 0), 1.0, (50, 2)), rng.normal((6, 0), 1.0, (50, 2))])
    params = given_parameters(X, 3, covariance_type, 0)
    params["means_init"] = np.array([[0.0, 0.0], [6.0, 0.0], [1e4, 1e4]])  # far from every point
    history = em_core.fit_history(X, 3, covariance_type=covariance_type, init="given", tol=0, max_iter=5,
                                  **params)
    assert_all_finite(history)
    collapsed = flagged(history, "component_nearly_empty")
    assert collapsed and all(history[i].kind == "m_step" for i in collapsed)
    assert all(history[i].flags["component_nearly_empty"] == (2,) for i in collapsed)
    final = history.final
    assert final.weights[2] < 1e-12 and final.counts[2] < 1.0
    # A component with no responsibility keeps its mean instead of jumping anywhere.
    np.testing.assert_array_equal(final.means[2], [1e4, 1e4])


# Chunks and threads ------------------------------------------------------------------

def _assert_identical(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second):
        for name in ("weights", "means", "covariances", "counts"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (a.index, name)
        assert (a.log_likelihood, a.lower_bound, a.kmeans_objective, dict(a.flags)) == \
            (b.log_likelihood, b.lower_bound, b.kmeans_objective, dict(b.flags)), a.index
    for index in (first.first_em_index, len(first) - 2, len(first) - 1):
        assert np.array_equal(first.responsibilities(index), second.responsibilities(index))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init", ["kmeans", "random_resp"])
def test_threads_do_not_change_a_single_bit(monkeypatch, covariance_type, init):
    """Chunks are reduced in chunk order, so the number of worker threads cannot matter."""
    from em_core import _chunks

    X = random_data(3, 3000, 3, 4, rounding=False)
    monkeypatch.setattr(_chunks, "CHUNK_ROWS", 257)  # 12 chunks, the last one short
    runs = []
    for workers in (1, 2, 3, 2):
        monkeypatch.setattr(_chunks, "WORKERS", workers)
        runs.append(em_core.fit_history(X, 4, covariance_type=covariance_type, init=init, seed=5,
                                        tol=0, max_iter=6))
    for other in runs[1:]:
        _assert_identical(runs[0], other)


def test_chunk_size_changes_only_rounding(monkeypatch):
    from em_core import _chunks

    X = random_data(4, 2000, 2, 3, rounding=False)
    one_chunk = em_core.fit_history(X, 3, seed=1, tol=0, max_iter=10)
    monkeypatch.setattr(_chunks, "CHUNK_ROWS", 100)
    many_chunks = em_core.fit_history(X, 3, seed=1, tol=0, max_iter=10)
    for a, b in zip(one_chunk, many_chunks):
        np.testing.assert_allclose(b.means, a.means, rtol=1e-10, atol=1e-10 * np.abs(X).max())
        np.testing.assert_allclose(b.covariances, a.covariances, rtol=1e-9,
                                   atol=1e-12 * np.abs(a.covariances).max())
        if a.log_likelihood is not None:
            assert b.log_likelihood == pytest.approx(a.log_likelihood, rel=1e-12)


def _fit_in_child(X, queue):
    queue.put(em_core.fit_history(X, 2, seed=0, tol=0, max_iter=3).final.log_likelihood)


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork")
def test_a_forked_child_can_still_fit(monkeypatch):
    """The child inherits the thread pool object but not its threads; it must not hang."""
    import multiprocessing

    from em_core import _chunks

    monkeypatch.setattr(_chunks, "CHUNK_ROWS", 100)
    monkeypatch.setattr(_chunks, "WORKERS", 2)
    X = random_data(5, 1000, 2, 2, rounding=False)
    expected = em_core.fit_history(X, 2, seed=0, tol=0, max_iter=3).final.log_likelihood  # pool now exists
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_fit_in_child, args=(X, queue))
    child.start()
    child.join(60)
    if child.is_alive():
        child.kill()
        pytest.fail("a forked child hung on the parent's thread pool")
    assert queue.get(timeout=5) == expected
