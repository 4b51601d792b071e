"""k-means is a Gaussian mixture in the limit: EM with σ²I fixed, equal weights and σ → 0 is Lloyd's algorithm."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import em_core


def _blobs(seed: int, K: int, per: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, (K, 2))
    return np.vstack([rng.normal(c, 1.0, (per, 2)) for c in centres])


def _soft_kmeans(X, seeds, variance, **options):
    K, d = seeds.shape
    return em_core.fit_history(X, K, init="given", means_init=seeds, fixed_variance=variance, equal_weights=True,
                               covariance_type="spherical", **options)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(2, 4))
def test_vanishing_variance_gives_lloyds_partition_and_means(seed, K):
    X = _blobs(seed, K)
    seeds = em_core.kmeans_plusplus(X, K, np.random.default_rng(seed))
    run = em_core.lloyd(X, seeds)
    history = _soft_kmeans(X, seeds, 1e-4, max_iter=60, tol=0.0)
    labels = history.labels(-1)
    final_means = run.records[-1].centroids
    assert em_core.adjusted_rand_index(labels, np.asarray(em_core.nearest_centroid(X, final_means)[0])) == 1.0
    np.testing.assert_allclose(history.final.means, final_means, rtol=1e-6, atol=1e-9)


def test_its_path_is_lloyds_path_step_by_step():
    X = _blobs(3, 3)
    seeds = X[[0, 1, 2]]  # three points of one cluster: Lloyd needs several rounds to spread them
    run = em_core.lloyd(X, seeds)
    updates = [r.centroids for r in run.records if r.kind == "kmeans_update"]
    assert len(updates) >= 3
    history = _soft_kmeans(X, seeds, 1e-4, max_iter=len(updates), tol=0.0)
    em_means = [history[i].means for i in history.indices_of("m_step")]
    for lloyd_means, soft_means in zip(updates, em_means):
        np.testing.assert_allclose(soft_means, lloyd_means, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_fixed_parts_never_move(covariance_type):
    X = _blobs(1, 3)
    history = em_core.fit_history(X, 3, covariance_type=covariance_type, seed=0, fixed_variance=2.5,
                                  equal_weights=True, max_iter=5, tol=0)
    expected = em_core.expand_covariances(history[history.first_em_index].covariances, covariance_type, 3, 2)
    np.testing.assert_allclose(expected, np.broadcast_to(2.5 * np.eye(2), (3, 2, 2)))
    for step in history:
        if not step.is_kmeans:
            np.testing.assert_array_equal(step.weights, np.full(3, 1 / 3))
            np.testing.assert_array_equal(em_core.expand_covariances(step.covariances, covariance_type, 3, 2),
                                          expected)
            assert "component_regularised" not in step.flags
    assert history.options["fixed_variance"] == 2.5 and history.options["equal_weights"] is True
    # Only the means move, so EM still climbs (the M-step maximises the bound over the means).
    lls = history.log_likelihoods()[history.indices_of("e_step", "m_step")]
    assert np.all(np.diff(lls) >= -1e-9 * np.abs(lls).max())


def test_large_variance_keeps_responsibilities_soft_and_small_makes_them_hard():
    X = _blobs(2, 2)
    seeds = X[[0, 45]]
    soft = _soft_kmeans(X, seeds, 50.0, max_iter=3).responsibilities(-1)
    hard = _soft_kmeans(X, seeds, 1e-3, max_iter=3).responsibilities(-1)
    assert soft.max(axis=1).min() < 0.8
    assert hard.max(axis=1).min() > 1 - 1e-9


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_a_variance_must_be_positive(bad):
    with pytest.raises(ValueError, match="fixed_variance"):
        em_core.fit_history(_blobs(0, 2), 2, fixed_variance=bad)


def test_the_pages_limit_numbers_are_recomputed():
    from sklearn.metrics import adjusted_rand_score

    from emviz import compare

    X = _blobs(7, 3)
    seeds = X[[0, 50, 100]]
    run = em_core.lloyd(X, seeds)
    kmeans_labels = em_core.nearest_centroid(X, run.records[-1].centroids)[0]
    for factor in compare.LIMIT_NOTCHES:
        soft = compare.soft_kmeans(X, seeds, factor * compare.data_spread(X))
        summary = compare.limit_summary(soft, kmeans_labels)
        labels = soft.responsibilities(-1).argmax(axis=1)
        assert summary["ari"] == pytest.approx(adjusted_rand_score(kmeans_labels, labels))
        centred = X - soft.final.means[labels]
        assert summary["J"] == pytest.approx(np.einsum("nd,nd->", centred, centred))
        assert summary["hardness"] == pytest.approx(soft.responsibilities(-1).max(axis=1).mean())
        assert f"{summary['hardness']:.3f}" in compare.limit_sentence(factor, summary)
    assert compare.data_spread(X) == pytest.approx(np.sqrt(np.mean(np.var(X, axis=0))))
