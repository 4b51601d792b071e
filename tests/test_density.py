"""em_core.density: a mixture's densities on a grid, checked against scipy.stats."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import em_core

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def _params_1d(covariance_type: str):
    variances = np.array([0.7, 2.5, 0.04])
    covariances = {"full": variances[:, None, None], "tied": np.array([[1.3]]), "diag": variances[:, None],
                   "spherical": variances}[covariance_type]
    return SimpleNamespace(weights=np.array([0.5, 0.3, 0.2]), means=np.array([[-2.0], [1.0], [4.0]]),
                           covariances=covariances)


def _variances_1d(params, covariance_type: str) -> np.ndarray:
    return em_core.expand_covariances(np.asarray(params.covariances), covariance_type, 3, 1)[:, 0, 0]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_dimensional_components_match_scipy_norm(covariance_type):
    params = _params_1d(covariance_type)
    grid = np.linspace(-8.0, 9.0, 301)
    log_comp = em_core.component_log_densities_1d(params, covariance_type, grid)
    assert log_comp.shape == (301, 3)
    sd = np.sqrt(_variances_1d(params, covariance_type))
    expected = np.log(params.weights) + stats.norm.logpdf(grid[:, None], params.means[:, 0], sd)
    np.testing.assert_allclose(log_comp, expected, rtol=1e-12, atol=1e-12)
    mixture = em_core.mixture_log_density_1d(params, covariance_type, grid)
    np.testing.assert_allclose(np.exp(mixture), np.exp(expected).sum(axis=1), rtol=1e-12)
    # A density: it integrates to one over a wide enough grid.
    wide = np.linspace(-30.0, 30.0, 20001)
    assert np.trapezoid(np.exp(em_core.mixture_log_density_1d(params, covariance_type, wide)), wide) \
        == pytest.approx(1.0, abs=1e-9)


def test_one_dimensional_helpers_stay_finite_far_out_and_allow_empty_components():
    params = _params_1d("spherical")
    far = np.array([-1e4, 1e4])
    log_p = em_core.mixture_log_density_1d(params, "spherical", far)
    sd = np.sqrt(params.covariances)
    expected = logsumexp(stats.norm.logpdf(far[:, None], params.means[:, 0], sd) + np.log(params.weights), axis=1)
    assert np.all(np.isfinite(log_p)) and np.all(log_p < -1e5)
    np.testing.assert_allclose(log_p, expected, rtol=1e-9)
    empty = SimpleNamespace(weights=np.array([1.0, 0.0, 0.0]), means=params.means, covariances=params.covariances)
    log_comp = em_core.component_log_densities_1d(empty, "spherical", np.array([0.0]))
    assert np.isneginf(log_comp[0, 1:]).all()
    np.testing.assert_allclose(em_core.mixture_log_density_1d(empty, "spherical", [0.0]),
                               stats.norm.logpdf(0.0, -2.0, sd[0]))
    with pytest.raises(ValueError):
        em_core.component_log_densities_1d(SimpleNamespace(weights=[1.0], means=np.zeros((1, 2)),
                                                           covariances=np.eye(2)[None]), "full", [0.0])


def _params(d: int, covariance_type: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    K = 3
    roots = rng.normal(size=(K, d, d)) * 0.6 + np.eye(d)
    full = np.einsum("kij,klj->kil", roots, roots) + 0.1 * np.eye(d)
    covariances = {"full": full, "tied": full[0], "diag": np.diagonal(full, axis1=1, axis2=2).copy(),
                   "spherical": np.diagonal(full, axis1=1, axis2=2).mean(axis=1)}[covariance_type]
    return SimpleNamespace(weights=np.array([0.2, 0.5, 0.3]), means=rng.normal(scale=2.0, size=(K, d)),
                           covariances=covariances)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_two_dimensional_grid_matches_scipy_multivariate_normal(covariance_type):
    params = _params(2, covariance_type)
    xs, ys = np.linspace(-5.0, 5.0, 23), np.linspace(-4.0, 6.0, 17)
    log_p = em_core.mixture_log_density_grid(params, covariance_type, xs, ys)
    assert log_p.shape == (17, 23)
    full = em_core.expand_covariances(np.asarray(params.covariances), covariance_type, 3, 2)
    gx, gy = np.meshgrid(xs, ys)
    points = np.dstack([gx, gy])
    expected = sum(w * stats.multivariate_normal(m, c).pdf(points)
                   for w, m, c in zip(params.weights, params.means, full))
    np.testing.assert_allclose(np.exp(log_p), expected, rtol=1e-10)
    # Row i, column j is the point (xs[j], ys[i]): the layout of a heatmap's z.
    one = sum(w * stats.multivariate_normal(m, c).pdf([xs[5], ys[2]])
              for w, m, c in zip(params.weights, params.means, full))
    assert np.exp(log_p[2, 5]) == pytest.approx(one, rel=1e-10)


@pytest.mark.parametrize("covariance_type", ("full", "diag"))
def test_projected_grid_is_the_marginal_on_the_plane(covariance_type):
    params = _params(4, covariance_type, seed=3)
    rng = np.random.default_rng(7)
    W, _ = np.linalg.qr(rng.normal(size=(4, 2)))
    centre = rng.normal(size=4)
    xs, ys = np.linspace(-6.0, 6.0, 15), np.linspace(-6.0, 6.0, 11)
    log_p = em_core.mixture_log_density_grid(params, covariance_type, xs, ys, projection=W, centre=centre)
    full = em_core.expand_covariances(np.asarray(params.covariances), covariance_type, 3, 4)
    gx, gy = np.meshgrid(xs, ys)
    points = np.dstack([gx, gy])
    expected = sum(w * stats.multivariate_normal((m - centre) @ W, W.T @ c @ W).pdf(points)
                   for w, m, c in zip(params.weights, params.means, full))
    np.testing.assert_allclose(np.exp(log_p), expected, rtol=1e-9)
    # Two columns of the data: the marginal of those two coordinates.
    cols = em_core.column_projection(4, (2, 0))
    log_cols = em_core.mixture_log_density_grid(params, covariance_type, xs, ys, projection=cols)
    expected = sum(w * stats.multivariate_normal(m[[2, 0]], c[np.ix_([2, 0], [2, 0])]).pdf(points)
                   for w, m, c in zip(params.weights, params.means, full))
    np.testing.assert_allclose(np.exp(log_cols), expected, rtol=1e-10)
    with pytest.raises(ValueError):
        em_core.mixture_log_density_grid(params, covariance_type, xs, ys)


def test_grid_accepts_a_recorded_step():
    X = np.random.default_rng(1).normal(size=(120, 2)) * [1.0, 0.4]
    history = em_core.fit_history(X, 2, seed=0, max_iter=5)
    step = history[-1]
    log_p = em_core.mixture_log_density_grid(step, history.covariance_type, [0.0, 1.0], [0.5])
    direct = np.log(sum(w * stats.multivariate_normal(m, c).pdf([[0.0, 0.5], [1.0, 0.5]])
                        for w, m, c in zip(step.weights, step.means, step.covariances)))
    np.testing.assert_allclose(log_p[0], direct, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", ("full", "tied", "diag", "spherical"))
def test_posterior_grid_matches_scipy_and_sums_to_one(covariance_type):
    params = _params(4, covariance_type, seed=5)
    W, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(4, 2)))
    xs, ys = np.linspace(-5.0, 5.0, 13), np.linspace(-4.0, 4.0, 9)
    post = em_core.posterior_grid(params, covariance_type, xs, ys, projection=W)
    assert post.shape == (9, 13, 3)
    np.testing.assert_allclose(post.sum(axis=2), 1.0, atol=1e-12)
    full = em_core.expand_covariances(np.asarray(params.covariances), covariance_type, 3, 4)
    gx, gy = np.meshgrid(xs, ys)
    joint = np.stack([w * stats.multivariate_normal(m @ W, W.T @ c @ W).pdf(np.dstack([gx, gy]))
                      for w, m, c in zip(params.weights, params.means, full)], axis=-1)
    np.testing.assert_allclose(post, joint / joint.sum(axis=-1, keepdims=True), rtol=1e-8, atol=1e-300)
    # The density map and the posterior map share their grid: p(x) is the normaliser of the joint.
    log_p = em_core.mixture_log_density_grid(params, covariance_type, xs, ys, projection=W)
    np.testing.assert_allclose(np.exp(log_p), joint.sum(axis=-1), rtol=1e-9)
