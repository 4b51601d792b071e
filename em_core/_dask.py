"""Rows in a Dask array: the passes of em_core run per block, where the block lives.

Imported only when ``fit_history`` (or a history) meets a Dask array, so that
em_core itself needs nothing but numpy and scipy. Each pass sends the chunk
kernel, its arguments (the current parameters: K x d x d at most) and
``_rows.block_pass`` to every block; each block returns its small partial
sums, and this process adds them up in block order. The rows never come
here, except the few that are asked for by number (``take``: the k-means++
sample, ``random_points``' means, a display sample).
"""

from __future__ import annotations

import dask
import numpy as np

from . import _validation as v
from ._rows import bad_rows_chunk, block_pass, block_rows, combine_bad_rows


class DaskRows:
    """A 2-D numeric Dask array, chunked by rows only, as a row source (see ``_rows``).

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
    n_components : int or None
        Checked against the number of rows; None skips every check that needs a
        pass over the data (for an array em_core has checked before).

    Raises
    ------
    ValueError
        The same sentences as for a numpy array (``_validation.check_data``).
    """

    is_dask = True

    def __init__(self, X, n_components: int | None):
        if np.issubdtype(X.dtype, np.complexfloating):
            raise ValueError(v.COMPLEX_DATA)
        if not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_):
            raise ValueError(f"X must contain numbers only; its dtype is {X.dtype}. "
                             "Remove or convert the non-numeric columns first.")
        if X.ndim == 2 and any(np.isnan(c) for c in X.chunks[0]):
            # Lengths unknown (e.g. from a dataframe): one cheap pass that counts rows per block.
            X = X.compute_chunk_sizes()
        v.check_shape(X.shape)
        # Every block holds whole rows: the kernels need all columns of a row at once.
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        X = X.astype(np.float64)
        self.X = X
        self.n_samples, self.n_features = (int(s) for s in X.shape)
        self.starts = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(int).tolist()
        if n_components is not None:
            # In the numpy path's order, so that both give the same first complaint.
            v.check_finite_rows(*self.run(bad_rows_chunk, combine_bad_rows))
            v.check_enough_rows(self.n_samples, n_components)

    def run(self, kernel, combine, *args):
        """``combine`` of every block's ``block_pass``, added up here in block order."""
        # One graph key for the arguments: shipped once to each worker, not once per block.
        shared = dask.delayed(args, pure=True, traverse=False)
        passes = [dask.delayed(block_pass, pure=True)(block, start, kernel, combine, shared)
                  for block, start in zip(self.X.to_delayed().ravel(), self.starts)]
        return combine(list(dask.compute(*passes)))

    def take(self, row_numbers) -> np.ndarray:
        """The rows with these sorted numbers, gathered from their blocks."""
        row_numbers = np.asarray(row_numbers, dtype=np.intp)
        if row_numbers.size == 0:
            return np.empty((0, self.n_features))
        return np.asarray(self.X[row_numbers].compute(), dtype=np.float64)


def lazy_per_row(X, kernel, width: int, *args):
    """A lazy (N, width) Dask array of ``kernel``'s per-row results, block by block (``_rows.block_rows``)."""
    rows = DaskRows(X, None)
    starts = np.asarray(rows.starts)

    def one_block(block, block_info=None):
        start = int(starts[block_info[0]["chunk-location"][0]])
        return block_rows(block, start, kernel, width, args)

    return rows.X.map_blocks(one_block, chunks=(rows.X.chunks[0], (width,)), dtype=np.float64)
