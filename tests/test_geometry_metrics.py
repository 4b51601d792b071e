"""Geometry for drawing (ellipses, projections, PCA) and clustering metrics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2
from sklearn.metrics import adjusted_rand_score

import em_core

# Geometry -------------------------------------------------------------------------


def random_spd(rng, d, condition=100.0):
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return q @ np.diag(np.geomspace(1.0, condition, d) * rng.uniform(0.1, 10.0)) @ q.T


def test_mass_for_sigma():
    assert em_core.mass_for_sigma(1) == pytest.approx(0.682689492, abs=1e-9)
    assert em_core.mass_for_sigma(2) == pytest.approx(0.954499736, abs=1e-9)
    assert em_core.mass_for_sigma(3) == pytest.approx(0.997300204, abs=1e-9)


@pytest.mark.parametrize("mass", [0.1, em_core.mass_for_sigma(1), 0.9, em_core.mass_for_sigma(2), 0.999])
def test_chi2_radius_is_the_2d_chi2_quantile(mass):
    assert em_core.chi2_radius(mass) ** 2 == pytest.approx(chi2.ppf(mass, 2), rel=1e-12)


@pytest.mark.parametrize("mass", [0.0, 1.0, -0.5, 1.5])
def test_chi2_radius_rejects_masses_outside_the_open_unit_interval(mass):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        em_core.chi2_radius(mass)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), mass=st.floats(0.01, 0.999), n_points=st.integers(3, 200),
       offset=st.floats(-1e4, 1e4))
def test_every_ellipse_point_lies_on_the_mahalanobis_contour(seed, mass, n_points, offset):
    rng = np.random.default_rng(seed)
    cov = random_spd(rng, 2, condition=rng.uniform(1, 1e4))
    mean = rng.normal(size=2) + offset
    outline = em_core.ellipse_outline(mean, cov, mass, n_points=n_points)
    assert outline.shape == (n_points + 1, 2)
    np.testing.assert_array_equal(outline[0], outline[-1])  # closed
    diff = outline - mean
    mahalanobis = np.einsum("ij,ij->i", diff, np.linalg.solve(cov, diff.T).T)
    np.testing.assert_allclose(mahalanobis, chi2.ppf(mass, 2), rtol=1e-8)


def test_ellipse_encloses_the_right_mass():
    rng = np.random.default_rng(0)
    cov = np.array([[2.0, 1.2], [1.2, 1.0]])
    points = rng.multivariate_normal([1.0, -1.0], cov, size=200_000)
    r2 = chi2.ppf(em_core.mass_for_sigma(1), 2)
    diff = points - [1.0, -1.0]
    inside = np.einsum("ij,ij->i", diff, np.linalg.solve(cov, diff.T).T) <= r2
    assert inside.mean() == pytest.approx(em_core.mass_for_sigma(1), abs=0.005)


def test_ellipse_rejects_non_2d_input():
    with pytest.raises(ValueError, match="2-D mean and a 2 x 2 covariance"):
        em_core.ellipse_outline([0.0, 0.0, 0.0], np.eye(3), 0.5)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_project_mixture_is_W_transpose_sigma_W(covariance_type):
    rng = np.random.default_rng(1)
    K, d = 3, 5
    means = rng.normal(size=(K, d))
    full = np.stack([random_spd(rng, d) for _ in range(K)])
    covariances = {"full": full, "tied": full[0], "diag": np.abs(rng.normal(size=(K, d))) + 0.1,
                   "spherical": np.abs(rng.normal(size=K)) + 0.1}[covariance_type]
    expanded = em_core.expand_covariances(covariances, covariance_type, K, d)
    W = rng.normal(size=(d, 2))
    centre = rng.normal(size=d)
    means_2d, covs_2d = em_core.project_mixture(means, covariances, covariance_type, W, centre)
    for k in range(K):
        np.testing.assert_allclose(covs_2d[k], W.T @ expanded[k] @ W, rtol=1e-12)
        np.testing.assert_array_equal(covs_2d[k], covs_2d[k].T)
        np.testing.assert_allclose(means_2d[k], W.T @ (means[k] - centre), rtol=1e-12)
    no_centre, _ = em_core.project_mixture(means, covariances, covariance_type, W)
    np.testing.assert_allclose(no_centre, means @ W, rtol=1e-12)


def test_column_projection_selects_two_columns():
    W = em_core.column_projection(4, (3, 1))
    X = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(X @ W, X[:, [3, 1]])
    cov = random_spd(np.random.default_rng(2), 4)
    _, projected = em_core.project_mixture(np.zeros((1, 4)), cov[None], "full", W)
    np.testing.assert_array_equal(projected[0], cov[np.ix_([3, 1], [3, 1])])
    for bad in [(1, 1), (0, 4), (-1, 2)]:
        with pytest.raises(ValueError, match="two different indices below 4"):
            em_core.column_projection(4, bad)


@pytest.mark.parametrize("d", [2, 3, 6])
def test_pca_matches_the_eigendecomposition_of_the_covariance(d):
    rng = np.random.default_rng(d)
    X = rng.normal(size=(500, d)) @ random_spd(rng, d, condition=50.0) + 1000.0
    components, centre, ratio = em_core.pca(X, 2)
    np.testing.assert_allclose(centre, X.mean(axis=0), rtol=1e-12)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(X.T))
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    for j in range(2):
        # Same axis up to sign; pca makes the largest loading positive.
        v = eigenvectors[:, j] * np.sign(eigenvectors[np.abs(eigenvectors[:, j]).argmax(), j])
        np.testing.assert_allclose(components[:, j], v, atol=1e-8)
        assert components[np.abs(components[:, j]).argmax(), j] > 0
    np.testing.assert_allclose(components.T @ components, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(ratio, eigenvalues[:2] / eigenvalues.sum(), rtol=1e-9)


def test_pca_of_constant_data_does_not_divide_by_zero():
    components, centre, ratio = em_core.pca(np.ones((10, 3)), 2)
    assert np.isfinite(components).all() and np.array_equal(ratio, [0.0, 0.0])
    np.testing.assert_array_equal(centre, np.ones(3))


# Metrics ----------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, expected", [
    ([0, 0, 1, 1], [0, 0, 1, 1], 1.0),
    ([0, 0, 1, 1], [5, 5, 3, 3], 1.0),           # names don't matter
    ([0, 0, 1, 1], [0, 0, 1, 2], 4.0 / 7.0),     # pairs: index 1, rows 2, cols 1, expected 1/3, max 3/2
    ([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2], 0.24242424242424243),
    ([0, 1, 0, 1], [0, 0, 1, 1], -0.5),          # worse than chance
    ([0, 0, 0, 0], [0, 0, 0, 0], 1.0),           # both trivial: identical by convention
    ([0, 1, 2, 3], [0, 1, 2, 3], 1.0),           # all singletons on both sides
    ([0, 0, 0, 0], [0, 1, 2, 3], 0.0),
    ([3], [7], 1.0),
])
def test_adjusted_rand_index_hand_computed(a, b, expected):
    assert em_core.adjusted_rand_index(a, b) == pytest.approx(expected, abs=1e-12)
    assert em_core.adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)
    assert em_core.adjusted_rand_index(b, a) == pytest.approx(expected, abs=1e-12)  # symmetric


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), k_a=st.integers(1, 8), k_b=st.integers(1, 8),
       agreement=st.floats(0.0, 1.0))
def test_adjusted_rand_index_matches_sklearn(seed, n, k_a, k_b, agreement):
    rng = np.random.default_rng(seed)
    a = rng.integers(k_a, size=n)
    b = np.where(rng.random(n) < agreement, a % k_b, rng.integers(k_b, size=n))
    ours = em_core.adjusted_rand_index(a, b)
    assert ours == pytest.approx(adjusted_rand_score(a, b), abs=1e-10)
    assert -1.0 <= ours <= 1.0 + 1e-12


def test_adjusted_rand_index_accepts_string_labels():
    a = ["x", "x", "y", "y", "z"]
    b = [1, 1, 2, 2, 2]
    assert em_core.adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)


def test_contingency_table():
    table, classes_a, classes_b = em_core.contingency_table([2, 2, 0, 1, 1, 1], ["b", "a", "a", "a", "b", "b"])
    np.testing.assert_array_equal(classes_a, [0, 1, 2])
    np.testing.assert_array_equal(classes_b, ["a", "b"])
    np.testing.assert_array_equal(table, [[1, 0], [1, 2], [1, 1]])
    with pytest.raises(ValueError, match="1-D and of the same length"):
        em_core.contingency_table([0, 1], [0, 1, 2])
    with pytest.raises(ValueError, match="1-D and of the same length"):
        em_core.adjusted_rand_index([[0, 1]], [[0, 1]])


def test_match_components_undoes_a_permutation():
    rng = np.random.default_rng(3)
    means = rng.normal(scale=10, size=(6, 3))
    perm = rng.permutation(6)
    order = em_core.match_components(means, means[perm] + 0.01)
    np.testing.assert_array_equal(perm[order], np.arange(6))
    with pytest.raises(ValueError, match="same shape of means"):
        em_core.match_components(means, means[:5])


def test_match_labels_maximises_agreement():
    truth = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    predicted = np.array([2, 2, 1, 0, 0, 0, 1, 1])
    mapping, table, clusters, classes = em_core.match_labels(predicted, truth)
    assert mapping == {2: 0, 0: 1, 1: 2}
    assert table.sum() == truth.size and table.shape == (3, 3)
    # With more clusters than classes, the leftover cluster is unmatched.
    mapping, *_ = em_core.match_labels([0, 1, 2, 3], ["a", "a", "b", "b"])
    assert len(mapping) == 2 and set(mapping.values()) == {"a", "b"}
