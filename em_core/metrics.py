"""Comparing clusterings: adjusted Rand index, contingency tables and component matching."""

from __future__ import annotations

import numpy as np


def contingency_table(labels_a, labels_b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of each (a, b) label pair.

    Returns
    -------
    table : numpy.ndarray of shape (n_a, n_b)
    classes_a, classes_b : numpy.ndarray
        The distinct labels, in sorted order, for the rows and columns.
    """
    labels_a = np.asarray(labels_a)
    labels_b = np.asarray(labels_b)
    if labels_a.shape != labels_b.shape or labels_a.ndim != 1:
        raise ValueError("Both labelings must be 1-D and of the same length.")
    classes_a, idx_a = np.unique(labels_a, return_inverse=True)
    classes_b, idx_b = np.unique(labels_b, return_inverse=True)
    table = np.zeros((classes_a.size, classes_b.size), dtype=np.int64)
    np.add.at(table, (idx_a, idx_b), 1)
    return table, classes_a, classes_b


def adjusted_rand_index(labels_a, labels_b) -> float:
    """Adjusted Rand index of two labelings (1 = identical partitions, about 0 = chance).

    Computed from pair counts of the contingency table (Hubert and Arabie, 1985).
    """
    table, _, _ = contingency_table(labels_a, labels_b)
    n = table.sum()
    if n < 2:
        return 1.0

    def pairs(x):
        x = np.asarray(x, dtype=float)
        return float((x * (x - 1) / 2).sum())

    index = pairs(table)
    rows = pairs(table.sum(axis=1))
    cols = pairs(table.sum(axis=0))
    total = n * (n - 1) / 2
    expected = rows * cols / total
    maximum = 0.5 * (rows + cols)
    if maximum == expected:
        # Both partitions trivial (all one cluster or all singletons): identical by convention.
        return 1.0
    return float((index - expected) / (maximum - expected))


def match_components(means_a, means_b) -> np.ndarray:
    """Pair components of two fits by the Hungarian algorithm on mean distances.

    Returns
    -------
    numpy.ndarray of shape (K,)
        ``order`` such that component ``k`` of ``a`` matches component ``order[k]`` of ``b``.
    """
    means_a = np.asarray(means_a, dtype=float)
    means_b = np.asarray(means_b, dtype=float)
    if means_a.shape != means_b.shape:
        raise ValueError(f"Both fits need the same shape of means; got {means_a.shape} and {means_b.shape}.")
    cost = np.sqrt(((means_a[:, None, :] - means_b[None, :, :]) ** 2).sum(axis=2))
    from scipy.optimize import linear_sum_assignment  # here, not at the top: scipy.optimize takes a second to import

    rows, cols = linear_sum_assignment(cost)
    order = np.empty(means_a.shape[0], dtype=np.intp)
    order[rows] = cols
    return order


def match_labels(predicted, truth):
    """Map predicted cluster ids to true classes so that agreement is largest (Hungarian).

    Returns
    -------
    mapping : dict
        Predicted cluster id to the true class it is matched with (clusters left
        over when there are more clusters than classes are absent).
    table : numpy.ndarray
        Contingency table, rows = predicted clusters, columns = true classes.
    clusters, classes : numpy.ndarray
    """
    table, clusters, classes = contingency_table(predicted, truth)
    from scipy.optimize import linear_sum_assignment  # here, not at the top: scipy.optimize takes a second to import

    rows, cols = linear_sum_assignment(-table)
    # tolist() turns numpy scalars into Python ones and leaves strings (object arrays) as they are.
    cluster_list, class_list = clusters.tolist(), classes.tolist()
    return {cluster_list[r]: class_list[c] for r, c in zip(rows, cols)}, table, clusters, classes
