"""Responsibilities row by row, never stored for all rows: chunk kernels shared by every path.

A history keeps how its initial responsibilities were made (a *spec*), not
the N x K matrix, so that the same rows give the same numbers on any row
source (numpy, each Dask block, a saved display sample):

- ``("nearest", centroids)``: one-hot on the nearest centroid (k-means inits);
- ``("random", key)``: seeded random responsibilities, a pure function of the
  row's number and ``key`` (a counter-based generator), so a block of rows,
  or a sample of them, regenerates its own rows without the others;
- ``("uniform", None)``: 1/K everywhere (the parameters came first).
"""

from __future__ import annotations

import numpy as np

from .gaussian import centred, log_joint, normalise_log_joint

# SplitMix64's constants (Steele, Lea and Flood 2014): a 64-bit mix good enough to pass BigCrush
# when fed a counter, and only five vectorised integer operations per number.
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _uniform_by_counter(counters: np.ndarray, key: int) -> np.ndarray:
    """Uniform numbers in (0, 1), one per uint64 counter: SplitMix64 of ``key + (counter + 1) * gamma``."""
    z = np.uint64(key) + (counters + np.uint64(1)) * _GAMMA  # uint64 arrays wrap, as intended
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z ^= z >> np.uint64(31)
    # The top 53 bits, centred in their interval: never exactly 0, so a row's sum is never 0.
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0 ** -53


def random_responsibilities(row_numbers: np.ndarray, n_components: int, key: int) -> np.ndarray:
    """Seeded random responsibilities of the given rows, shape (K, n); each column sums to 1."""
    counters = (np.asarray(row_numbers, dtype=np.uint64)[None, :] * np.uint64(n_components)
                + np.arange(n_components, dtype=np.uint64)[:, None])
    resp = _uniform_by_counter(counters, key)
    resp /= resp.sum(axis=0)
    return resp


def nearest_labels(X_chunk: np.ndarray, centroids: np.ndarray):
    """Nearest centroid of each row and the squared distance to it, ties to the lowest index."""
    diff = centred(X_chunk, centroids)
    d2 = np.einsum("kin,kin->kn", diff, diff)
    # A running minimum over the K rows of d2: argmin along axis 0 would make numpy
    # copy d2 transposed and call its inner loop once per data row (1.5x slower).
    # Strict '<' keeps the first minimum: ties go to the lowest index.
    labels = np.zeros(d2.shape[1], dtype=np.intp)
    dist = d2[0].copy()
    for k in range(1, d2.shape[0]):
        np.putmask(labels, d2[k] < dist, k)
        np.minimum(dist, d2[k], out=dist)
    return labels, dist, diff


def one_hot(labels: np.ndarray, n_components: int) -> np.ndarray:
    """(K, n) one-hot responsibilities of hard labels."""
    out = np.zeros((n_components, labels.size))
    out[labels, np.arange(labels.size)] = 1.0
    return out


def initial_chunk(X_chunk: np.ndarray, start: int, spec: tuple, n_components: int,
                  row_numbers: np.ndarray | None = None) -> np.ndarray:
    """The initial responsibilities of a chunk of rows, shape (K, n).

    ``row_numbers`` are the global numbers of the source's rows when they are
    not ``0 .. N-1`` (a display sample); the chunk's are ``row_numbers[start:start + n]``.
    """
    kind, payload = spec
    n = X_chunk.shape[0]
    if kind == "nearest":
        return one_hot(nearest_labels(X_chunk, np.asarray(payload, dtype=float))[0], n_components)
    if kind == "random":
        rows = np.arange(start, start + n) if row_numbers is None else row_numbers[start:start + n]
        return random_responsibilities(rows, n_components, payload)
    return np.full((n_components, n), 1.0 / n_components)


def posterior_chunk(X_chunk: np.ndarray, start: int, log_weights: np.ndarray, means: np.ndarray,
                    factors) -> np.ndarray:
    """Responsibilities of a chunk under the given parameters (one E-step), shape (K, n)."""
    return normalise_log_joint(log_joint(centred(X_chunk, means), log_weights, factors))[0]


def hard_chunk(X_chunk: np.ndarray, start: int, centroids: np.ndarray, n_components: int) -> np.ndarray:
    """One-hot responsibilities on the nearest of ``centroids``, shape (K, n)."""
    return one_hot(nearest_labels(X_chunk, centroids)[0], n_components)
