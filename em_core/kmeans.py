"""k-means by hand: k-means++ seeding and Lloyd's algorithm, step by step.

The objective is ``J = sum_n sum_k z_kn ||x_n - u_k||^2``. Lloyd's algorithm
alternates an assignment step (each point to its nearest centroid: J cannot
increase because every term is minimised) and an update step (each centroid
to the mean of its points: J cannot increase because the mean minimises the
sum of squared distances). Both steps are recorded separately.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CHUNK_ROWS = 65_536


def _row_chunks(n_rows: int, size: int = CHUNK_ROWS):
    for start in range(0, n_rows, size):
        yield slice(start, min(start + size, n_rows))


def squared_distances(X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """``||x_n - u_k||^2`` for every row and centroid, shape (n, K).

    Computed from the differences rather than the expanded
    ``|x|^2 - 2 x.u + |u|^2`` form, which cancels badly far from the origin.
    """
    out = np.empty((X.shape[0], centroids.shape[0]))
    for k, centroid in enumerate(centroids):
        diff = X - centroid
        out[:, k] = np.einsum("ij,ij->i", diff, diff)
    return out


def nearest_centroid(X: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centroid of each row and the squared distance to it.

    Ties go to the lowest index, so the result is deterministic.
    """
    labels = np.empty(X.shape[0], dtype=np.intp)
    dist = np.empty(X.shape[0])
    for rows in _row_chunks(X.shape[0]):
        d2 = squared_distances(X[rows], centroids)
        labels[rows] = d2.argmin(axis=1)
        dist[rows] = d2[np.arange(d2.shape[0]), labels[rows]]
    return labels, dist


def objective(X: np.ndarray, labels: np.ndarray, centroids: np.ndarray) -> float:
    """``J`` for the given assignment and centroids."""
    total = 0.0
    for rows in _row_chunks(X.shape[0]):
        diff = X[rows] - centroids[labels[rows]]
        total += float(np.einsum("ij,ij->", diff, diff))
    return total


def kmeans_plusplus(X: np.ndarray, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++ seeding: seeds drawn with probability proportional to D(x)^2.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
    n_clusters : int
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray of shape (n_clusters, d)
        The seeds (copies of data points).

    Notes
    -----
    Arthur and Vassilvitskii's seeding with the greedy refinement they suggest:
    for each new seed, ``2 + log K`` candidates are drawn proportionally to
    D(x)^2 and the one that lowers the total squared distance most is kept.
    One candidate per seed too often puts two seeds in the same cluster.
    When every point coincides with a seed (fewer distinct points than
    clusters) candidates are drawn uniformly.
    """
    n = X.shape[0]
    n_trials = 2 + int(np.log(n_clusters))
    indices = [int(rng.integers(n))]
    closest = squared_distances(X, X[indices[0]][None])[:, 0]
    for _ in range(1, n_clusters):
        total = closest.sum()
        if total > 0:
            # Inverse-CDF draws: sampling proportional to D^2.
            targets = rng.random(n_trials) * total
            candidates = np.minimum(np.searchsorted(np.cumsum(closest), targets, side="right"), n - 1)
        else:
            candidates = rng.integers(n, size=n_trials)
        candidate_dist = np.minimum(closest[:, None], squared_distances(X, X[candidates]))
        best = int(candidate_dist.sum(axis=0).argmin())
        indices.append(int(candidates[best]))
        closest = candidate_dist[:, best].copy()
    return X[indices].copy()


@dataclass
class KMeansRecord:
    """The state after one k-means step (internal to em_core)."""

    kind: str
    iteration: int
    centroids: np.ndarray
    counts: np.ndarray
    objective: float
    reseeded: tuple[int, ...] = ()
    converged: bool = False


@dataclass
class KMeansRun:
    """Every step of one Lloyd run, with the final labels."""

    records: list[KMeansRecord] = field(default_factory=list)
    labels: np.ndarray | None = None
    converged: bool = False

    @property
    def final_objective(self) -> float:
        return self.records[-1].objective


def _update_centroids(X, labels, n_clusters, previous, point_dist):
    """Means of the clusters; an empty cluster is re-seeded at the point farthest from its centroid.

    Returns the new centroids, the counts and the indices of re-seeded clusters.
    """
    counts = np.bincount(labels, minlength=n_clusters).astype(float)
    sums = np.stack([np.bincount(labels, weights=X[:, j], minlength=n_clusters)
                     for j in range(X.shape[1])], axis=1)
    centroids = previous.copy()
    occupied = counts > 0
    centroids[occupied] = sums[occupied] / counts[occupied, None]
    reseeded = []
    if not occupied.all():
        # Farthest points first: each one is the point J would gain most from moving.
        order = np.argsort(-point_dist, kind="stable")
        taken = 0
        for k in np.flatnonzero(~occupied):
            centroids[k] = X[order[taken % X.shape[0]]]
            taken += 1
            reseeded.append(int(k))
    return centroids, counts, tuple(reseeded)


def lloyd(X: np.ndarray, seeds: np.ndarray, max_iter: int = 300) -> KMeansRun:
    """Lloyd's algorithm from the given seeds, recording every half-step.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
    seeds : numpy.ndarray of shape (K, d)
        Initial centroids.
    max_iter : int
        Maximum number of assignment/update rounds.

    Returns
    -------
    KMeansRun
        ``records`` alternate ``kmeans_assign`` and ``kmeans_update``; the run
        stops after an assignment that changes no label (that last assignment
        is recorded and marked converged).
    """
    n_clusters = seeds.shape[0]
    centroids = np.array(seeds, dtype=float)
    run = KMeansRun()
    previous_labels = None
    for iteration in range(1, max_iter + 1):
        labels, point_dist = nearest_centroid(X, centroids)
        counts = np.bincount(labels, minlength=n_clusters).astype(float)
        unchanged = previous_labels is not None and np.array_equal(labels, previous_labels)
        # objective() rather than point_dist.sum(): the same summation order as the update
        # step's J, so an assignment that changes nothing reports exactly the same J.
        run.records.append(KMeansRecord("kmeans_assign", iteration, centroids.copy(), counts,
                                        objective(X, labels, centroids), converged=unchanged))
        run.labels = labels
        if unchanged:
            run.converged = True
            break
        centroids, counts, reseeded = _update_centroids(X, labels, n_clusters, centroids, point_dist)
        run.records.append(KMeansRecord("kmeans_update", iteration, centroids.copy(), counts,
                                        objective(X, labels, centroids), reseeded=reseeded))
        previous_labels = labels
    return run


def seed_only(X: np.ndarray, seeds: np.ndarray) -> KMeansRun:
    """The k-means++ seeds and the partition they induce, with no Lloyd iteration."""
    labels, point_dist = nearest_centroid(X, seeds)
    counts = np.bincount(labels, minlength=seeds.shape[0]).astype(float)
    record = KMeansRecord("kmeans_assign", 1, np.array(seeds, dtype=float), counts, float(point_dist.sum()))
    return KMeansRun(records=[record], labels=labels, converged=False)


def best_of_restarts(X: np.ndarray, n_clusters: int, rng: np.random.Generator, n_init: int,
                     max_iter: int = 300, lloyd_iterations: bool = True) -> tuple[KMeansRun, list[float]]:
    """Run k-means ``n_init`` times from k-means++ seeds; keep the run with the lowest J.

    Returns
    -------
    best : KMeansRun
    objectives : list of float
        The final J of every restart, in the order they ran.
    """
    best = None
    objectives = []
    for _ in range(n_init):
        seeds = kmeans_plusplus(X, n_clusters, rng)
        run = lloyd(X, seeds, max_iter) if lloyd_iterations else seed_only(X, seeds)
        objectives.append(run.final_objective)
        # Strict '<' keeps the earliest of equally good runs: deterministic.
        if best is None or run.final_objective < best.final_objective:
            best = run
    return best, objectives
