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

from ._chunks import map_chunks
from ._resp import nearest_labels
from ._rows import NumpyRows, seeded_rows, sum_parts
from .gaussian import centred

#: k-means++ seeds are drawn from at most this many rows (a seeded sample above it), on numpy and
#: Dask alike: see ``best_of_restarts``.
SEEDING_SAMPLE = 2 ** 16


def squared_distances(X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """``||x_n - u_k||^2`` for every row and centroid, shape (n, K).

    Computed from the differences rather than the expanded
    ``|x|^2 - 2 x.u + |u|^2`` form, which cancels badly far from the origin.
    """
    diff = centred(X, centroids)
    return np.einsum("kin,kin->kn", diff, diff).T


def _hard_moments(diff: np.ndarray, labels: np.ndarray):
    """Counts, ``sum (x - u_k)`` and ``sum (x - u_k)(x - u_k)^T`` over each cluster's own rows.

    ``diff`` is the chunk's (K, d, n) differences to the centroids ``u_k``.
    """
    K, _, n = diff.shape
    # One-hot weights and the same products as EM's soft statistics: for small K
    # this beats gathering each cluster's columns with K boolean masks (measured
    # 150 vs 390 us per 8192-row chunk, K = 5, d = 2). Weights of exactly 0 and 1
    # make the sums those of the cluster's own rows.
    one_hot = np.zeros((K, n))
    one_hot[labels, np.arange(n)] = 1.0
    weighted = diff * one_hot[:, None, :]
    return one_hot.sum(axis=1), weighted.sum(axis=2), np.matmul(weighted, np.swapaxes(diff, 1, 2))


# Chunk kernels of Lloyd's passes (module level: Dask ships them to its workers) -----------------

def _round_chunk(X_chunk, start, previous, centroids, assign: bool):
    """One chunk's share of a Lloyd round, both half-steps that need the new ``centroids``.

    Returns the number of rows whose label changed, J of the assignment, the
    hard moments of the assignment to ``centroids`` (None unless ``assign``) and
    the moments about ``centroids`` of the clusters of the previous assignment
    (to ``previous``; None for the first round): the update step's statistics.
    The previous labels are recomputed from the previous centroids rather than
    kept: N labels would have to live somewhere, and on Dask no row leaves its worker.
    """
    labels, dist, diff = nearest_labels(X_chunk, centroids)
    changed, regroup = labels.size, None
    if previous is not None:
        old = nearest_labels(X_chunk, previous)[0]
        changed = int(np.count_nonzero(old != labels))
        regroup = _hard_moments(diff, old)
    return changed, float(dist.sum()), (_hard_moments(diff, labels) if assign else None), regroup


def _combine_round(parts):
    changed, objective = 0, 0.0
    for part in parts:  # in chunk order
        changed += part[0]
        objective += part[1]
    moments = None if parts[0][2] is None else sum_parts([part[2] for part in parts])
    regroup = None if parts[0][3] is None else sum_parts([part[3] for part in parts])
    return changed, objective, moments, regroup


def _farthest_chunk(X_chunk, start, centroids, m):
    """The chunk's ``m`` rows farthest from their nearest centroid: (m, distances, row numbers, rows)."""
    dist = nearest_labels(X_chunk, centroids)[1]
    order = np.argsort(-dist, kind="stable")[:m]
    return m, dist[order], order + start, X_chunk[order]


def _combine_farthest(parts):
    dist = np.concatenate([p[1] for p in parts])
    rows = np.concatenate([p[2] for p in parts])
    points = np.concatenate([p[3] for p in parts])
    # Farthest first, ties to the lowest row number: the order of one stable sort of all rows.
    order = np.lexsort((rows, -dist))[:parts[0][0]]
    return parts[0][0], dist[order], rows[order], points[order]


def _as_rows(X):
    """A row source for ``X`` (already one, or an in-memory array)."""
    return X if hasattr(X, "run") else NumpyRows(np.asarray(X, dtype=float))


def nearest_centroid(X: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centroid of each row and the squared distance to it.

    Ties go to the lowest index, so the result is deterministic.
    """
    X = np.asarray(X, dtype=float)
    centroids = np.asarray(centroids, dtype=float)
    parts = map_chunks(lambda rows: nearest_labels(X[rows], centroids)[:2], X.shape[0])
    labels = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, dtype=np.intp)
    dist = np.concatenate([p[1] for p in parts]) if parts else np.empty(0)
    return labels, dist


def objective(X: np.ndarray, labels: np.ndarray, centroids: np.ndarray) -> float:
    """``J`` for the given assignment and centroids."""
    X = np.asarray(X, dtype=float)
    centroids = np.asarray(centroids, dtype=float)
    _, _, scatter = sum_parts(map_chunks(
        lambda rows: _hard_moments(centred(X[rows], centroids), labels[rows]), X.shape[0]))
    return float(np.trace(scatter, axis1=1, axis2=2).sum())


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
    #: (K, d, d) ``sum (x - u_k)(x - u_k)^T`` over each cluster's rows, about these centroids.
    scatter: np.ndarray | None = None


@dataclass
class KMeansRun:
    """Every step of one Lloyd run, and the centroids of its last assignment.

    ``labels`` (the last assignment's labels) is filled only by :func:`lloyd`
    called on an in-memory array; a fit recomputes them from
    ``assigned_to`` where they are needed, so that no N-sized array is kept.
    """

    records: list[KMeansRecord] = field(default_factory=list)
    assigned_to: np.ndarray | None = None
    converged: bool = False
    labels: np.ndarray | None = None

    @property
    def final_objective(self) -> float:
        return self.records[-1].objective


def _update_centroids(rows, shift, counts, sums):
    """Means of the clusters; an empty cluster is re-seeded at the point farthest from its centroid.

    ``sums`` are ``sum (x - shift_k)`` over each cluster, so the mean is
    ``shift_k + sums_k / n_k`` (no cancellation far from the origin). The
    distances are to ``shift``, the centroids of the assignment. Returns the
    new centroids and the indices of re-seeded clusters.
    """
    centroids = shift.copy()
    occupied = counts > 0
    centroids[occupied] += sums[occupied] / counts[occupied, None]
    empty = np.flatnonzero(~occupied)
    if empty.size:
        # Rare, so it costs a pass of its own. Farthest points first: each one is the
        # point J would gain most from moving.
        _, _, _, points = rows.run(_farthest_chunk, _combine_farthest, shift, int(empty.size))
        centroids[empty] = points
    return centroids, tuple(int(k) for k in empty)


def _lloyd(rows, seeds: np.ndarray, max_iter: int) -> KMeansRun:
    centroids = np.array(seeds, dtype=float)
    run = KMeansRun()
    changed, objective_sum, (counts, sums, scatter), _ = rows.run(_round_chunk, _combine_round, None,
                                                                 centroids, True)
    iteration = 1
    while True:
        unchanged = iteration > 1 and changed == 0
        run.records.append(KMeansRecord("kmeans_assign", iteration, centroids.copy(), counts, objective_sum,
                                        converged=unchanged, scatter=scatter))
        run.assigned_to = centroids.copy()
        if unchanged:
            run.converged = True
            break
        new_centroids, reseeded = _update_centroids(rows, centroids, counts, sums)
        more = iteration < max_iter
        # One pass for this round's update (J about the new centroids) and the next assignment.
        changed, objective_sum, assigned, (update_counts, _, update_scatter) = rows.run(
            _round_chunk, _combine_round, centroids, new_centroids, more)
        run.records.append(KMeansRecord("kmeans_update", iteration, new_centroids.copy(), update_counts,
                                        float(np.trace(update_scatter, axis1=1, axis2=2).sum()),
                                        reseeded=reseeded, scatter=update_scatter))
        if not more:
            break
        centroids, (counts, sums, scatter) = new_centroids, assigned
        iteration += 1
    return run


def lloyd(X, seeds: np.ndarray, max_iter: int = 300) -> KMeansRun:
    """Lloyd's algorithm from the given seeds, recording every half-step.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d), or a row source (``em_core._rows``)
    seeds : numpy.ndarray of shape (K, d)
        Initial centroids.
    max_iter : int
        Maximum number of assignment/update rounds.

    Returns
    -------
    KMeansRun
        ``records`` alternate ``kmeans_assign`` and ``kmeans_update``; the run
        stops after an assignment that changes no label (that last assignment
        is recorded and marked converged). Each record carries its clusters'
        scatter about its centroids.

    Notes
    -----
    One pass over the data per round, a sum of per-chunk kernels (so it runs
    per block on Dask): with the previous centroids and the new ones it
    gathers the previous clusters' scatter about the new centroids (the
    update's J), the new assignment's moments (hence the next means) and the
    number of rows whose label changed. An empty cluster costs one more pass,
    for the farthest points.
    """
    rows = _as_rows(X)
    run = _lloyd(rows, np.asarray(seeds, dtype=float), max_iter)
    if not rows.is_dask:
        run.labels = nearest_centroid(rows.X, run.assigned_to)[0]
    return run


def seed_only(X, seeds: np.ndarray) -> KMeansRun:
    """The k-means++ seeds and the partition they induce, with no Lloyd iteration."""
    rows = _as_rows(X)
    seeds = np.array(seeds, dtype=float)
    _, point_dist_sum, (counts, _, scatter), _ = rows.run(_round_chunk, _combine_round, None, seeds, True)
    record = KMeansRecord("kmeans_assign", 1, seeds, counts, point_dist_sum, scatter=scatter)
    return KMeansRun(records=[record], assigned_to=seeds, converged=False)


def best_of_restarts(X, n_clusters: int, rng: np.random.Generator, n_init: int,
                     max_iter: int = 300, lloyd_iterations: bool = True) -> tuple[KMeansRun, list[float]]:
    """Run k-means ``n_init`` times from k-means++ seeds; keep the run with the lowest J.

    Parameters
    ----------
    X : numpy.ndarray or row source
    n_clusters, n_init, max_iter : int
    rng : numpy.random.Generator
    lloyd_iterations : bool
        False: the seeds and their partition only (``init="kmeans++"``).

    Returns
    -------
    best : KMeansRun
    objectives : list of float
        The final J of every restart, in the order they ran.

    Notes
    -----
    The seeds are drawn by k-means++ from a seeded uniform sample of
    ``SEEDING_SAMPLE`` rows (all rows when there are fewer), gathered once;
    Lloyd's rounds then run on every row as sums of chunk kernels. Why not
    k-means|| (Bahmani et al. 2012), Spark's choice: it needs about five more
    passes over all rows plus a weighted re-clustering, and with clusters
    of more than a few thousandths of the rows a 65,536-row sample already
    holds points of every one of them (a cluster of fraction p is missed with
    probability (1 - p)^65536: e^-6.5 for p = 1e-4), and Lloyd's rounds on all
    rows correct the seeds' sampling noise. The same rule on numpy and on Dask
    gives both the same seeds, hence the same history; below 65,536 rows it is
    plain k-means++ on the data, exactly as before the rule existed.
    """
    rows = _as_rows(X)
    sample = seeded_rows(rows.n_samples, SEEDING_SAMPLE, rng)
    # take() copies: for in-memory rows below the threshold use them as they are.
    pool = rows.X if sample.size == rows.n_samples and not rows.is_dask else rows.take(sample)
    best = None
    objectives = []
    for _ in range(n_init):
        seeds = kmeans_plusplus(pool, n_clusters, rng)
        run = _lloyd(rows, seeds, max_iter) if lloyd_iterations else seed_only(rows, seeds)
        objectives.append(run.final_objective)
        # Strict '<' keeps the earliest of equally good runs: deterministic.
        if best is None or run.final_objective < best.final_objective:
            best = run
    return best, objectives
