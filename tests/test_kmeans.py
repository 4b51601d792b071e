"""k-means by hand: distances, k-means++ seeding, Lloyd's algorithm and its record in a History."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans

import em_core
from em_core import kmeans


def blobs(seed=0, n=300, offset=0.0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [5.0, 1.0], [1.0, 6.0], [6.0, 6.0]])
    return centres[rng.integers(4, size=n)] + rng.normal(size=(n, 2)) + offset


# Distances ----------------------------------------------------------------------

def test_squared_distances_by_brute_force():
    rng = np.random.default_rng(0)
    X, C = rng.normal(size=(50, 3)), rng.normal(size=(4, 3))
    expected = ((X[:, None, :] - C[None]) ** 2).sum(axis=2)
    np.testing.assert_allclose(kmeans.squared_distances(X, C), expected, rtol=1e-14)


def test_squared_distances_do_not_cancel_far_from_the_origin():
    X = np.array([[1e8 + 1.0, 1e8], [1e8, 1e8 + 2.0]])
    C = np.array([[1e8, 1e8]])
    np.testing.assert_array_equal(kmeans.squared_distances(X, C)[:, 0], [1.0, 4.0])


def test_nearest_centroid_breaks_ties_towards_the_lowest_index():
    X = np.array([[0.0], [1.0], [2.0]])
    C = np.array([[1.0], [1.0], [0.0]])  # centroids 0 and 1 coincide
    labels, dist = kmeans.nearest_centroid(X, C)
    np.testing.assert_array_equal(labels, [2, 0, 0])
    np.testing.assert_array_equal(dist, [0.0, 0.0, 1.0])


@pytest.mark.parametrize("workers", [1, 2])
def test_nearest_centroid_across_chunks(monkeypatch, workers):
    from em_core import _chunks

    monkeypatch.setattr(_chunks, "CHUNK_ROWS", 7)
    monkeypatch.setattr(_chunks, "WORKERS", workers)
    X = blobs(n=100)
    C = X[:4]
    labels, dist = kmeans.nearest_centroid(X, C)
    full = ((X[:, None, :] - C[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(labels, full.argmin(axis=1))
    np.testing.assert_allclose(dist, full.min(axis=1), rtol=1e-14)
    assert kmeans.objective(X, labels, C) == pytest.approx(full.min(axis=1).sum(), rel=1e-13)


# k-means++ ----------------------------------------------------------------------------

def test_kmeans_plusplus_picks_data_rows_deterministically():
    X = blobs()
    seeds = kmeans.kmeans_plusplus(X, 4, np.random.default_rng(1))
    assert seeds.shape == (4, 2)
    assert all(any(np.array_equal(s, x) for x in X) for s in seeds)
    assert len({tuple(s) for s in seeds}) == 4  # a chosen point has D = 0: never chosen twice
    np.testing.assert_array_equal(seeds, kmeans.kmeans_plusplus(X, 4, np.random.default_rng(1)))


def test_kmeans_plusplus_never_repeats_a_point_while_others_remain():
    # D^2 is zero at every chosen point, so with two distinct values both are always chosen.
    X = np.array([[0.0]] * 9 + [[1.0]])
    for seed in range(50):
        seeds = kmeans.kmeans_plusplus(X, 2, np.random.default_rng(seed))
        assert sorted(seeds[:, 0]) == [0.0, 1.0]


def test_kmeans_plusplus_samples_proportionally_to_squared_distance():
    # After a first seed at 0, the points 1 and 3 have D^2 = 1 and 9: each candidate is 3 with
    # probability 0.9. Greedy seeding draws 2 + int(log 2) = 2 candidates and keeps the better one
    # (3 always lowers the total more), so 3 is chosen unless both candidates are 1: 1 - 0.1^2.
    X = np.array([[0.0], [1.0], [3.0]])
    second = []
    for seed in range(3000):
        seeds = kmeans.kmeans_plusplus(X, 2, np.random.default_rng(seed))
        if seeds[0, 0] == 0.0:
            second.append(seeds[1, 0])
    second = np.array(second)
    assert 800 < second.size < 1200
    assert np.mean(second == 3.0) == pytest.approx(0.99, abs=0.008)
    assert set(second) == {1.0, 3.0}


def test_kmeans_plusplus_with_fewer_distinct_points_than_clusters():
    X = np.zeros((5, 2))
    seeds = kmeans.kmeans_plusplus(X, 3, np.random.default_rng(0))
    np.testing.assert_array_equal(seeds, np.zeros((3, 2)))


# Lloyd -----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("offset", [0.0, 1e3])
def test_lloyd_matches_sklearn_from_the_same_seeds(seed, offset):
    X = blobs(seed, n=400, offset=offset)
    seeds = kmeans.kmeans_plusplus(X, 4, np.random.default_rng(seed))
    run = kmeans.lloyd(X, seeds)
    sk = KMeans(4, init=seeds, n_init=1, algorithm="lloyd", tol=0.0, max_iter=300).fit(X)
    assert run.converged
    np.testing.assert_array_equal(run.labels, sk.labels_)
    final = run.records[-1]
    np.testing.assert_allclose(final.centroids, sk.cluster_centers_, rtol=1e-10)
    assert final.objective == pytest.approx(sk.inertia_, rel=1e-9)


def test_lloyd_record_structure():
    X = blobs(3)
    run = kmeans.lloyd(X, X[:4].copy())
    kinds = [r.kind for r in run.records]
    assert kinds[::2] == ["kmeans_assign"] * len(kinds[::2])
    assert kinds[1::2] == ["kmeans_update"] * len(kinds[1::2])
    assert kinds[-1] == "kmeans_assign" and run.records[-1].converged
    assert not any(r.converged for r in run.records[:-1])
    assert [r.iteration for r in run.records] == [i // 2 + 1 for i in range(len(kinds))]
    objectives = [r.objective for r in run.records]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(objectives, objectives[1:]))
    for r in run.records:
        assert r.counts.sum() == X.shape[0]
    # After an update each centroid is the mean of its points.
    for assign, update in zip(run.records[::2], run.records[1::2]):
        labels, _ = kmeans.nearest_centroid(X, assign.centroids)
        for k in range(4):
            np.testing.assert_allclose(update.centroids[k], X[labels == k].mean(axis=0), rtol=1e-12)


def test_lloyd_stops_at_max_iter():
    X = blobs(4)
    run = kmeans.lloyd(X, X[:4].copy(), max_iter=1)
    assert [r.kind for r in run.records] == ["kmeans_assign", "kmeans_update"]
    assert not run.converged


def test_empty_cluster_is_reseeded_at_the_farthest_point():
    X = np.array([[0.0, 0.0], [0.1, 0.0], [4.0, 0.0], [4.2, 0.0], [9.0, 0.0]])
    seeds = np.array([[0.0, 0.0], [4.0, 0.0], [1e3, 1e3]])  # the third gets no point
    run = kmeans.lloyd(X, seeds)
    first_update = run.records[1]
    assert first_update.reseeded == (2,)
    # Distances to their centroids in the first assignment: 9.0 is farthest from (4, 0).
    np.testing.assert_array_equal(first_update.centroids[2], [9.0, 0.0])
    assert run.records[2].counts.tolist() == [2.0, 2.0, 1.0]
    assert all(r.reseeded == () for r in run.records[2:])


def test_best_of_restarts_keeps_the_lowest_objective():
    X = blobs(5, n=200)
    best, objectives = kmeans.best_of_restarts(X, 4, np.random.default_rng(0), n_init=6)
    assert len(objectives) == 6
    assert best.final_objective == min(objectives)
    runs_again = []
    rng = np.random.default_rng(0)
    for _ in range(6):
        runs_again.append(kmeans.lloyd(X, kmeans.kmeans_plusplus(X, 4, rng)).final_objective)
    assert runs_again == objectives


# k-means inside fit_history ---------------------------------------------------------------

def test_kmeans_steps_in_the_history():
    X = blobs(6)
    history = em_core.fit_history(X, 4, seed=2, n_init=3, max_iter=3, covariance_type="full")
    steps = [s for s in history if s.is_kmeans]
    assert len(history.kmeans_restart_objectives) == 3
    assert steps[-1].kmeans_objective == min(history.kmeans_restart_objectives)
    assert "converged" in steps[-1].flags and history.kmeans_converged
    for step in steps:
        np.testing.assert_allclose(step.weights, step.counts / X.shape[0], rtol=1e-15)
        labels = history.labels(step.index)
        np.testing.assert_array_equal(np.bincount(labels, minlength=4), step.counts)
        # Each step's covariance is the spread of its hard clusters about its centroids.
        for k in range(4):
            diff = X[labels == k] - step.means[k]
            cov = diff.T @ diff / step.counts[k] + 1e-6 * np.eye(2)
            np.testing.assert_allclose(step.covariances[k], cov, rtol=1e-9, atol=1e-12)
    # The update keeps the assignment's labels.
    for index in history.indices_of("kmeans_update"):
        np.testing.assert_array_equal(history.labels(index), history.labels(index - 1))


def test_kmeans_max_iter_caps_the_lloyd_rounds():
    X = blobs(7)
    history = em_core.fit_history(X, 4, seed=0, kmeans_max_iter=2, max_iter=1)
    assert len(history.indices_of("kmeans_assign")) <= 2
    assert len(history.indices_of("kmeans_update")) <= 2


def test_kmeansplusplus_init_records_only_the_seeds():
    X = blobs(8)
    history = em_core.fit_history(X, 4, init="kmeans++", seed=0, max_iter=2)
    assert [s.kind for s in history[:2]] == ["kmeans_assign", "init"]
    assert history.kmeans_converged is None
    seeds = history[0].means
    assert all(any(np.array_equal(s, x) for x in X) for s in seeds)
    labels = history.labels(0)
    init = history[1]
    for k in range(4):
        np.testing.assert_allclose(init.means[k], X[labels == k].mean(axis=0), rtol=1e-12)


def test_different_seeds_give_different_kmeans_runs():
    X = blobs(9)
    a = em_core.fit_history(X, 4, seed=0, n_init=1, max_iter=1)
    b = em_core.fit_history(X, 4, seed=1, n_init=1, max_iter=1)
    assert not np.array_equal(a[0].means, b[0].means)
