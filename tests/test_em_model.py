"""The fitted model (GaussianMixtureModel) and the History/Step containers.

scipy.stats is the independent oracle for densities here; the comparison
with scikit-learn lives in test_em_oracle.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import em_core

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def make_X(n=240, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal((0, 0), 1.0, (n // 3, 2)),
                           rng.normal((5, 1), (0.5, 2.0), (n // 3, 2)),
                           rng.normal((1, 6), 0.8, (n - 2 * (n // 3), 2))])


def log_joint_scipy(X, step, covariance_type):
    """log(pi_k) + log N(x | mu_k, Sigma_k) by scipy.stats, shape (n, K)."""
    K, d = step.means.shape
    full = em_core.expand_covariances(step.covariances, covariance_type, K, d)
    return np.column_stack([np.log(step.weights[k]) + stats.multivariate_normal(step.means[k], full[k]).logpdf(X)
                            for k in range(K)]).reshape(X.shape[0], K)


@pytest.fixture(scope="module", params=COVARIANCE_TYPES)
def fitted(request):
    X = make_X()
    return X, em_core.fit_history(X, 3, covariance_type=request.param, seed=4, max_iter=30)


# Densities and prediction --------------------------------------------------------

def test_scores_match_scipy_densities(fitted):
    X, history = fitted
    queries = np.concatenate([X, [[100.0, -50.0], [0.5, 0.5]]])
    for index in (history.first_em_index, len(history) - 1):
        model = history.model(index)
        joint = log_joint_scipy(queries, history[index], history.covariance_type)
        np.testing.assert_allclose(model.score_samples(queries), logsumexp(joint, axis=1), rtol=1e-10)
        np.testing.assert_allclose(model.predict_proba(queries),
                                   np.exp(joint - logsumexp(joint, axis=1, keepdims=True)), rtol=1e-9, atol=1e-14)


def test_recorded_log_likelihood_is_the_models_total_score(fitted):
    X, history = fitted
    for step in history:
        if step.log_likelihood is not None:
            total = history.model(step.index).score_samples(X).sum()
            assert step.log_likelihood == pytest.approx(total, rel=1e-12)
    assert history.model().score(X) == pytest.approx(history.final.log_likelihood / X.shape[0], rel=1e-12)


def test_lower_bound_is_the_jensen_bound_of_the_recorded_responsibilities(fitted):
    """Computed directly: sum_nk gamma_nk (log pi_k + log N_k(x_n)) - sum gamma log gamma."""
    X, history = fitted
    for index in [history.first_em_index] + history.indices_of("m_step")[:3] + history.indices_of("e_step")[:3]:
        step = history[index]
        resp = history.responsibilities(index)
        joint = log_joint_scipy(X, step, history.covariance_type)
        positive = resp > 0
        entropy = -np.sum(resp[positive] * np.log(resp[positive]))
        assert step.lower_bound == pytest.approx(np.sum(resp * joint) + entropy, rel=1e-10)


def test_e_step_bound_is_computed_and_meets_the_log_likelihood(fitted):
    """The E-step's bound is computed from its responsibilities, not copied from the likelihood.

    The theory page's table shows the gap closing at every E-step: that must be a
    demonstration, so the two numbers come from different sums and agree only to rounding.
    """
    _, history = fitted
    e_steps = [history[i] for i in history.indices_of("e_step")]
    gaps = np.array([s.log_likelihood - s.lower_bound for s in e_steps])
    scale = np.abs([s.log_likelihood for s in e_steps])
    assert np.all(np.abs(gaps) <= 1e-9 * scale)
    # Two different sums: at least one E-step differs in the last bits (a copy never would).
    assert np.any(gaps != 0.0)


def test_predictions_are_consistent(fitted):
    X, history = fitted
    model = history.model()
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=1))
    np.testing.assert_allclose(proba, em_core.posterior(X, model.weights, model.means, model.covariances,
                                                        model.covariance_type), rtol=0, atol=0)
    np.testing.assert_array_equal(history.labels(-1), history.responsibilities(-1).argmax(axis=1))
    assert model.score(X) == pytest.approx(model.score_samples(X).mean(), rel=1e-14)


def test_information_criteria_by_their_formulas(fitted):
    X, history = fitted
    model = history.model()
    total = model.score_samples(X).sum()
    p = model.n_parameters()
    assert model.bic(X) == pytest.approx(-2 * total + p * np.log(X.shape[0]), rel=1e-12)
    assert model.aic(X) == pytest.approx(-2 * total + 2 * p, rel=1e-12)


def test_far_away_points_do_not_underflow(fitted):
    _, history = fitted
    model = history.model()
    far = np.array([[1e4, 1e4], [-1e5, 3.0]])
    proba = model.predict_proba(far)
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1.0)
    scores = model.score_samples(far)
    assert np.isfinite(scores).all() and np.all(scores < -1e6)


def test_chunk_boundaries_do_not_matter():
    """Rows are processed in chunks; a chunked result equals the row-by-row one."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20_000, 2))
    model = em_core.fit_history(X[:500], 2, seed=0, max_iter=5).model()
    whole = model.score_samples(X)
    pieces = np.concatenate([model.score_samples(X[i:i + 777]) for i in range(0, X.shape[0], 777)])
    np.testing.assert_allclose(whole, pieces, rtol=1e-15)
    assert model.score_samples(np.empty((0, 2))).shape == (0,)
    assert model.predict_proba(np.empty((0, 2))).shape == (0, 2)


def test_history_on_more_rows_than_one_chunk():
    """EM statistics accumulated over several chunks equal one-shot numpy sums."""
    rng = np.random.default_rng(2)
    X = np.concatenate([rng.normal(0, 1, (11_000, 2)), rng.normal(4, 1, (9_000, 2))])
    for init in ("given", "random_points", "random_resp", "kmeans"):
        kwargs = dict(weights_init=[0.5, 0.5], means_init=[[0.0, 0.0], [4.0, 4.0]],
                      covariances_init=np.stack([np.eye(2)] * 2)) if init == "given" else {}
        history = em_core.fit_history(X, 2, init=init, seed=0, tol=0, max_iter=3, **kwargs)
        m_step = history.indices_of("m_step")[-1]
        resp = history.responsibilities(m_step)
        counts = resp.sum(axis=0)
        np.testing.assert_allclose(history[m_step].counts, counts, rtol=1e-10)
        np.testing.assert_allclose(history[m_step].means, resp.T @ X / counts[:, None], rtol=1e-10, atol=1e-12)
        init_step = history[history.first_em_index]
        np.testing.assert_allclose(init_step.counts, history.responsibilities(init_step.index).sum(axis=0),
                                   rtol=1e-12)


# Sampling ----------------------------------------------------------------------------

@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sampling_follows_the_mixture(covariance_type):
    weights = np.array([0.2, 0.5, 0.3])
    means = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    covariances = {"full": np.array([[[1.0, 0.6], [0.6, 2.0]], np.eye(2) * 0.5, [[3.0, -1.0], [-1.0, 1.0]]]),
                   "tied": np.array([[1.0, 0.6], [0.6, 2.0]]),
                   "diag": np.array([[1.0, 2.0], [0.5, 0.5], [3.0, 1.0]]),
                   "spherical": np.array([1.0, 0.5, 3.0])}[covariance_type]
    model = em_core.GaussianMixtureModel(weights, means, covariances, covariance_type)
    X, labels = model.sample(60_000, seed=3)
    assert X.shape == (60_000, 2) and labels.shape == (60_000,)
    np.testing.assert_allclose(np.bincount(labels, minlength=3) / 60_000, weights, atol=0.01)
    full = em_core.expand_covariances(covariances, covariance_type, 3, 2)
    for k in range(3):
        points = X[labels == k]
        np.testing.assert_allclose(points.mean(axis=0), means[k], atol=0.05)
        np.testing.assert_allclose(np.cov(points.T), full[k], atol=0.1)
    again, again_labels = model.sample(60_000, seed=3)
    assert np.array_equal(X, again) and np.array_equal(labels, again_labels)
    assert not np.array_equal(X, model.sample(60_000, seed=4)[0])


def test_sample_of_one_point():
    model = em_core.GaussianMixtureModel([1.0], [[1.0, 2.0, 3.0]], [[[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]])
    X, labels = model.sample(seed=0)
    assert X.shape == (1, 3) and labels.tolist() == [0]


# History and Step containers ------------------------------------------------------

def test_history_is_a_read_only_sequence_of_steps():
    X = make_X()
    history = em_core.fit_history(X, 3, seed=0, max_iter=5, tol=0)
    assert len(history) == len(list(history))
    assert history[-1] is history.final and history[0] is next(iter(history))
    assert [s.index for s in history[2:5]] == [2, 3, 4]
    assert (history.n_samples, history.n_features, history.n_components) == (X.shape[0], 2, 3)
    assert "K=3" in repr(history) and "covariance_type='full'" in repr(history)
    assert history.options["max_iter"] == 5 and history.options["init"] == "kmeans"
    with pytest.raises(TypeError):
        history.options["max_iter"] = 6
    step = history.final
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.weights = np.ones(3)
    with pytest.raises(ValueError):
        step.means[0, 0] = 1.0
    with pytest.raises(TypeError):
        step.flags["converged"] = ()
    with pytest.raises(ValueError):
        history.responsibilities(-1)[0, 0] = 0.5


def test_kinds_iterations_and_derived_views():
    X = make_X()
    history = em_core.fit_history(X, 3, seed=0, max_iter=4, tol=0)
    kmeans = history.indices_of("kmeans_assign", "kmeans_update")
    first = history.first_em_index
    assert kmeans == list(range(first)) and history[first].kind == "init"
    assert all(history[i].is_kmeans for i in kmeans) and not history[first].is_kmeans
    assert [history[i].iteration for i in history.indices_of("e_step")] == [1, 2, 3, 4]
    assert [history[i].iteration for i in history.indices_of("m_step")] == [1, 2, 3, 4]
    assert history[first].iteration == 0
    lls, bounds = history.log_likelihoods(), history.lower_bounds()
    assert np.isnan(lls[:first]).all() and np.isnan(bounds[:first]).all()
    assert np.isfinite(lls[first:]).all() and np.isfinite(bounds[first:]).all()
    assert history.n_iter == 4 and not history.converged
    # A Step's counts always sum to N (hard or soft).
    for step in history:
        assert step.counts.sum() == pytest.approx(X.shape[0], rel=1e-12)
    assert set(em_core.STEP_KINDS) >= {s.kind for s in history}
    for step in history:
        assert set(step.flags) <= set(em_core.FLAG_DESCRIPTIONS)


def test_responsibilities_at_the_init_step_by_init_method():
    X = make_X()
    K = 3
    h = em_core.fit_history(X, K, init="kmeans", seed=0, max_iter=2)
    resp = h.responsibilities(h.first_em_index)
    assert set(np.unique(resp)) == {0.0, 1.0}
    last_assign = h.indices_of("kmeans_assign")[-1]
    np.testing.assert_array_equal(h.labels(h.first_em_index), h.labels(last_assign))
    # k-means' M-step: the init means are the centroids of the final partition.
    np.testing.assert_allclose(h[h.first_em_index].means, h[last_assign].means, rtol=1e-12)

    h = em_core.fit_history(X, K, init="random_resp", seed=0, max_iter=2)
    resp = h.responsibilities(h.first_em_index)
    assert len(np.unique(resp)) > K  # soft
    np.testing.assert_allclose(resp.sum(axis=0), h[h.first_em_index].counts, rtol=1e-12)

    for init, extra in (("random_points", {}), ("given", dict(weights_init=[0.2, 0.3, 0.5], means_init=X[:3],
                                                             covariances_init=np.stack([np.eye(2)] * 3)))):
        h = em_core.fit_history(X, K, init=init, seed=0, max_iter=2, **extra)
        np.testing.assert_array_equal(h.responsibilities(h.first_em_index), np.full((X.shape[0], K), 1 / K))
        if init == "random_points":
            # K distinct data rows as means, equal weights, the data covariance for all.
            assert all(any(np.array_equal(m, x) for x in X) for m in h[0].means)
            np.testing.assert_array_equal(h[0].weights, np.full(K, 1 / K))
            np.testing.assert_allclose(h[0].covariances[0], np.cov(X.T, bias=True) + 1e-6 * np.eye(2), rtol=1e-12)
        else:
            np.testing.assert_array_equal(h[0].weights, [0.2, 0.3, 0.5])


def test_responsibilities_are_recomputed_consistently_after_cache_eviction():
    X = make_X()
    history = em_core.fit_history(X, 3, seed=0, max_iter=8, tol=0)
    first = {i: history.responsibilities(i).copy() for i in range(len(history))}
    for i in reversed(range(len(history))):
        assert np.array_equal(history.responsibilities(i), first[i])
    assert np.array_equal(history.responsibilities(-1), first[len(history) - 1])
    with pytest.raises(IndexError):
        history.responsibilities(len(history))


def test_convergence_with_tol():
    X = make_X()
    history = em_core.fit_history(X, 3, seed=0, max_iter=500, tol=1e-8)
    assert history.converged and history.n_iter < 500
    assert "converged" in history.final.flags and history.final.kind == "m_step"
    # The test: the new parameters' mean log-likelihood moved by less than tol from the previous ones'.
    assert abs(history.final.log_likelihood - history[-2].log_likelihood) / X.shape[0] < 1e-8
    before = history[history.indices_of("m_step")[-2]]
    assert abs(before.log_likelihood - history[before.index - 1].log_likelihood) / X.shape[0] >= 1e-8


def test_the_explorers_imports_need_no_scipy():
    """scipy costs up to a second at start-up; the explorer's first screen needs none of it (imported when used)."""
    import subprocess
    import sys

    code = ("import sys, em_core, emviz.figures, emviz.ui, emviz.pagekit, emviz.stepper, emviz.explain; "
            "print(sorted(m for m in ('scipy.special', 'scipy.optimize', 'scipy.stats', 'sklearn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("spec", [("uniform", None), ("random", 12345)])
def test_any_responsibilities_give_the_datas_variance(spec):
    """The collapse floor's data variance is read off the statistics: it must be the data's own."""
    from em_core._rows import as_rows
    from em_core._steps import _statistics_of

    X = np.random.default_rng(4).normal([1.0, 50.0, -3.0], [2.0, 0.5, 7.0], (700, 3))
    shift = np.random.default_rng(5).normal(size=(4, 3))
    stats = _statistics_of(as_rows(X, 4), spec, shift)
    assert stats.data_variance() == pytest.approx(X.var(axis=0).mean(), rel=1e-10)
