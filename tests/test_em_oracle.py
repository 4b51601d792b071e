"""em_core's EM against scikit-learn's GaussianMixture as an oracle.

Both start from the same parameters (``init="given"`` for us; ``weights_init``,
``means_init`` and ``precisions_init`` for scikit-learn, which then skips its
own initialisation) and run the same number of iterations (``tol=0``), so the
fitted parameters must agree to rounding. "1e-8 relative" is measured against
the largest entry of each array: an off-diagonal covariance can be ~0, and a
relative error of an entry that is zero up to rounding means nothing.

em_core itself never imports scikit-learn; only the tests do.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture

import em_core

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
RTOL = 1e-8


def assert_close(ours, theirs, rtol=RTOL, what=""):
    """Agreement to ``rtol`` relative to the largest entry of ``theirs``."""
    ours = np.asarray(ours, dtype=float)
    theirs = np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, what
    scale = max(float(np.max(np.abs(theirs))), np.finfo(float).tiny)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale, err_msg=what)


# Data sets -------------------------------------------------------------------

def _blobs(rng, centres, n_per, scale=1.0):
    return np.concatenate([rng.normal(c, scale, size=(n_per, len(c))) for c in centres])


def make_data(name: str) -> np.ndarray:
    rng = np.random.default_rng(sum(map(ord, name)))  # a fixed seed per data set
    if name == "blobs":
        return _blobs(rng, [(0, 0), (6, 1), (2, 7)], 100)
    if name == "anisotropic":
        shear = np.array([[0.6, -0.64], [-0.41, 0.85]])
        return _blobs(rng, [(0, 0), (4, 3), (-3, 5)], 120) @ shear
    if name == "overlapping":
        return _blobs(rng, [(0, 0), (1.0, 0.5), (0.3, 1.2)], 150)
    if name == "one_d":
        return np.concatenate([rng.normal(-2, 0.7, 150), rng.normal(3, 1.5, 100),
                               rng.normal(0.5, 0.3, 50)])[:, None]
    if name == "five_d":
        centres = rng.normal(scale=3.0, size=(3, 5))
        X = _blobs(rng, centres, 120)
        return X @ (np.eye(5) + 0.3 * rng.normal(size=(5, 5)))
    if name == "offset_small":
        # Far enough from the origin to catch a careless formula, near enough
        # that scikit-learn's own tied/diag/spherical M-step (E[x^2] - mean^2,
        # which cancels catastrophically further out) is still a 1e-8 oracle.
        return _blobs(rng, [(0, 0), (6, 1), (2, 7)], 100) + np.array([100.0, -150.0])
    if name == "offset_large":
        # Only scikit-learn's full M-step (scatter about the mean) is accurate here.
        return _blobs(rng, [(0, 0), (6, 1), (2, 7)], 100) + np.array([1e4, -3e4])
    raise KeyError(name)


DATA_NAMES = ("blobs", "anisotropic", "overlapping", "one_d", "five_d", "offset_small")


def initial_parameters(X, n_components, covariance_type, seed=0):
    """Unequal weights, K distinct data rows as means, scaled data covariances."""
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    weights = rng.uniform(0.5, 1.5, n_components)
    weights /= weights.sum()
    means = X[rng.choice(X.shape[0], n_components, replace=False)].copy()
    cov = np.atleast_2d(np.cov(X.T))
    scales = rng.uniform(0.3, 1.0, n_components)
    if covariance_type == "full":
        covariances = scales[:, None, None] * cov[None]
    elif covariance_type == "tied":
        covariances = 0.5 * cov
    elif covariance_type == "diag":
        covariances = scales[:, None] * np.diag(cov)[None]
    else:
        covariances = scales * np.diag(cov).mean()
    return weights, means, covariances


def precisions_of(covariances, covariance_type):
    """scikit-learn's ``precisions_init``: the inverse of our covariances (test-side only)."""
    if covariance_type in ("full", "tied"):
        return np.linalg.inv(covariances)
    return 1.0 / covariances


def fit_both(X, n_components, covariance_type, n_iter, seed=0, reg_covar=1e-6):
    weights, means, covariances = initial_parameters(X, n_components, covariance_type, seed)
    history = em_core.fit_history(X, n_components, covariance_type=covariance_type, init="given",
                                  weights_init=weights, means_init=means, covariances_init=covariances,
                                  tol=0.0, max_iter=n_iter, reg_covar=reg_covar)
    sk = GaussianMixture(n_components, covariance_type=covariance_type, tol=0.0, max_iter=n_iter,
                         reg_covar=reg_covar, weights_init=weights, means_init=means,
                         precisions_init=precisions_of(covariances, covariance_type))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 never "converges": ConvergenceWarning is expected
        sk.fit(X)
    return history, sk


def assert_parameters_match(step, sk, rtol=RTOL):
    assert_close(step.weights, sk.weights_, rtol, "weights")
    assert_close(step.means, sk.means_, rtol, "means")
    assert_close(step.covariances, sk.covariances_, rtol, "covariances")


# EM trajectories ---------------------------------------------------------------

@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("data_name", DATA_NAMES)
@pytest.mark.parametrize("n_iter", [1, 20])
def test_parameters_match_sklearn(data_name, covariance_type, n_iter):
    X = make_data(data_name)
    history, sk = fit_both(X, 3, covariance_type, n_iter)
    assert history.n_iter == n_iter and not history.converged
    assert history.final.kind == "m_step"
    assert_parameters_match(history.final, sk)
    # scikit-learn's lower_bound_ is the mean log-likelihood of the last E-step's parameters.
    last_e = history[history.indices_of("e_step")[-1]]
    assert last_e.log_likelihood / X.shape[0] == pytest.approx(sk.lower_bound_, rel=1e-10)
    # ... and its score() is the mean log-likelihood of the fitted parameters, which we record.
    assert history.final.log_likelihood / X.shape[0] == pytest.approx(sk.score(X), rel=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_far_from_origin_full_and_small_offset(covariance_type):
    # offset_large is only an oracle for "full" (see make_data); the translation
    # test in test_em_properties covers the other types far from the origin.
    name = "offset_large" if covariance_type == "full" else "offset_small"
    history, sk = fit_both(make_data(name), 3, covariance_type, 15)
    assert_parameters_match(history.final, sk)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("n_components", [1, 2, 5])
def test_other_component_counts(covariance_type, n_components):
    history, sk = fit_both(make_data("anisotropic"), n_components, covariance_type, 10, seed=3)
    assert_parameters_match(history.final, sk)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_statistics_summed_over_many_chunks_and_threads(monkeypatch, covariance_type):
    from em_core import _chunks

    monkeypatch.setattr(_chunks, "CHUNK_ROWS", 64)  # 360 rows: 6 chunks, the last one short
    monkeypatch.setattr(_chunks, "WORKERS", 2)
    X = make_data("anisotropic")
    history, sk = fit_both(X, 3, covariance_type, 10)
    assert_parameters_match(history.final, sk)
    assert history.final.log_likelihood / X.shape[0] == pytest.approx(sk.score(X), rel=1e-10)
    assert_close(history.model().predict_proba(X), sk.predict_proba(X), 1e-8, "predict_proba")


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_reg_covar_is_passed_on_like_sklearn(covariance_type):
    history, sk = fit_both(make_data("blobs"), 3, covariance_type, 5, reg_covar=0.25)
    assert_parameters_match(history.final, sk)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_every_recorded_m_step_matches_sklearn_step_by_step(covariance_type):
    """warm_start=True with max_iter=1 makes scikit-learn do one EM iteration per fit call."""
    X = make_data("overlapping")
    n_iter = 8
    weights, means, covariances = initial_parameters(X, 3, covariance_type, seed=5)
    history = em_core.fit_history(X, 3, covariance_type=covariance_type, init="given", tol=0.0,
                                  max_iter=n_iter, weights_init=weights, means_init=means,
                                  covariances_init=covariances)
    sk = GaussianMixture(3, covariance_type=covariance_type, tol=0.0, max_iter=1, warm_start=True,
                         weights_init=weights, means_init=means,
                         precisions_init=precisions_of(covariances, covariance_type))
    m_steps = history.indices_of("m_step")
    assert len(m_steps) == n_iter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index in m_steps:
            sk.fit(X)
            assert_parameters_match(history[index], sk)
            if index + 1 < len(history):
                # The next E-step's responsibilities are the posterior under these parameters.
                assert history[index + 1].kind == "e_step"
                assert_close(history.responsibilities(index + 1), sk.predict_proba(X), 1e-9,
                             "responsibilities")


# The fitted model -----------------------------------------------------------------

def _sklearn_with(weights, means, covariances, covariance_type, X):
    """A scikit-learn mixture holding exactly the given parameters (fitted for 0 work)."""
    sk = GaussianMixture(len(weights), covariance_type=covariance_type, max_iter=1, tol=0.0,
                         weights_init=weights, means_init=means,
                         precisions_init=precisions_of(np.asarray(covariances), covariance_type))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk.fit(X)
    # Overwrite the fitted state with the parameters under test.
    from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

    sk.weights_ = np.array(weights, dtype=float)
    sk.means_ = np.array(means, dtype=float)
    sk.covariances_ = np.array(covariances, dtype=float)
    sk.precisions_cholesky_ = _compute_precision_cholesky(sk.covariances_, covariance_type)
    return sk


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("data_name", ["blobs", "one_d", "five_d"])
def test_model_scores_match_sklearn(data_name, covariance_type):
    X = make_data(data_name)
    history, _ = fit_both(X, 3, covariance_type, 12)
    for index in (history.first_em_index, history.indices_of("m_step")[3], len(history) - 1):
        step = history[index]
        model = history.model(index)
        sk = _sklearn_with(step.weights, step.means, step.covariances, covariance_type, X)
        rng = np.random.default_rng(index)
        queries = np.concatenate([X, X[:20] + rng.normal(scale=5.0, size=(20, X.shape[1]))])
        assert_close(model.score_samples(queries), sk.score_samples(queries), 1e-10, "score_samples")
        assert_close(model.predict_proba(queries), sk.predict_proba(queries), 1e-10, "predict_proba")
        assert model.score(X) == pytest.approx(sk.score(X), rel=1e-10)
        assert model.bic(X) == pytest.approx(sk.bic(X), rel=1e-10)
        assert model.aic(X) == pytest.approx(sk.aic(X), rel=1e-10)
        assert model.n_parameters() == sk._n_parameters()
        # Where the posterior is not a near tie, the hard labels agree too.
        proba = sk.predict_proba(X)
        clear = np.sort(proba, axis=1)[:, -1] - np.sort(proba, axis=1)[:, -2] > 1e-6
        np.testing.assert_array_equal(model.predict(X)[clear], sk.predict(X)[clear])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("n_features", [1, 2, 5])
@pytest.mark.parametrize("n_components", [1, 4])
def test_n_parameters_matches_sklearn(covariance_type, n_features, n_components):
    rng = np.random.default_rng(n_features * 10 + n_components)
    X = rng.normal(size=(40, n_features))
    history, sk = fit_both(X, n_components, covariance_type, 2)
    assert em_core.n_parameters(n_components, n_features, covariance_type) == sk._n_parameters()
    assert history.model().n_parameters() == sk._n_parameters()


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_responsibilities_match_sklearn_predict_proba(covariance_type):
    X = make_data("overlapping")
    history, sk = fit_both(X, 3, covariance_type, 6)
    # The responsibilities in force at the final M-step are the last E-step's,
    # i.e. those of the parameters one iteration earlier; scikit-learn's
    # predict_proba uses the final parameters, which the next E-step would use.
    step = history.final
    sk_final = _sklearn_with(step.weights, step.means, step.covariances, covariance_type, X)
    assert_close(em_core.posterior(X, step.weights, step.means, step.covariances, covariance_type),
                 sk_final.predict_proba(X), 1e-10)
    assert_close(history.responsibilities(-1), history.responsibilities(-2), 0.0)
