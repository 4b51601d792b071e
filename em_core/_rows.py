"""Where the rows live: one interface for passes over a numpy array or a Dask array.

Every pass over the data in em_core (an E-step, the M-step's statistics, a
k-means assignment) is written once, as a *chunk kernel*: a module-level
function ``kernel(X_chunk, start, *args) -> partial`` that sees one chunk of
consecutive rows (``start`` is the global number of its first row) and
returns small partial results (K x d x d at most), plus a *combine* function
that adds partials up in the order given. A row source runs the pair:

- :class:`NumpyRows` slices the array into ``_chunks.CHUNK_ROWS``-row chunks
  and runs the kernel on the thread pool (``_chunks.map_chunks``), then
  combines in chunk order;
- ``em_core._dask.DaskRows`` sends the kernel, its arguments and
  :func:`block_pass` to every block of a Dask array; each block is cut into the
  same ``CHUNK_ROWS`` chunks and combined on its worker, and the driver
  combines the blocks' partials in block order.

So numpy and Dask share every line of arithmetic; only the order of the
final additions differs (the block boundaries), which moves results in
their last bits and no more. Dask is imported only when a Dask array arrives.
"""

from __future__ import annotations

import numpy as np

from . import _validation as v
from ._chunks import map_chunks, row_chunks


def block_pass(block: np.ndarray, start: int, kernel, combine, args: tuple):
    """Run ``kernel`` on the ``CHUNK_ROWS``-row chunks of one block and combine them in order.

    This is what a Dask worker runs for each block: the temporaries stay a
    chunk's size whatever the block's size, as on the numpy path.
    """
    block = np.asarray(block, dtype=np.float64)
    return combine([kernel(block[rows], start + rows.start, *args) for rows in row_chunks(block.shape[0])])


def block_rows(block: np.ndarray, start: int, kernel, width: int, args: tuple) -> np.ndarray:
    """Per-row results ``kernel(X_chunk, start, *args) -> (width, n)`` of one block, as (n, width).

    The per-row counterpart of :func:`block_pass` (responsibilities, labels).
    """
    block = np.asarray(block, dtype=np.float64)
    out = np.empty((block.shape[0], width))
    for rows in row_chunks(block.shape[0]):
        out[rows] = kernel(block[rows], start + rows.start, *args).T
    return out


class NumpyRows:
    """Rows held in memory by this process (a validated, read-only float64 array)."""

    is_dask = False

    def __init__(self, X: np.ndarray):
        self.X = X
        self.n_samples, self.n_features = X.shape

    def run(self, kernel, combine, *args):
        """``combine([kernel(X[rows], rows.start, *args) for rows in chunks])`` on the thread pool."""
        X = self.X
        return combine(map_chunks(lambda rows: kernel(X[rows], rows.start, *args), self.n_samples))

    def per_row(self, kernel, width: int, *args) -> np.ndarray:
        """The (N, width) array of ``kernel``'s per-row results (see :func:`block_rows`)."""
        X = self.X
        out = np.empty((self.n_samples, width))

        def fill(rows):
            # Each chunk writes its own rows of ``out``: no two threads touch the same memory.
            out[rows] = kernel(X[rows], rows.start, *args).T

        map_chunks(fill, self.n_samples)
        return out

    def take(self, row_numbers: np.ndarray) -> np.ndarray:
        """The rows with these (sorted) numbers, as a new numpy array."""
        return self.X[np.asarray(row_numbers, dtype=np.intp)]


def is_dask_array(X) -> bool:
    """Whether ``X`` is a Dask array, decided without importing Dask."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks") and hasattr(X, "dask")


def as_rows(X, n_components: int):
    """Validate the data and wrap it in its row source: numpy in memory, or Dask.

    Raises
    ------
    ValueError
        With the same sentences for both kinds of array (see ``_validation.check_data``).
    """
    if is_dask_array(X):
        from ._dask import DaskRows  # the only place that brings Dask in

        return DaskRows(X, n_components)
    return NumpyRows(v.check_data(X, n_components))


# Small kernels shared by several passes ----------------------------------------------------------

def column_sums_chunk(X_chunk: np.ndarray, start: int) -> np.ndarray:
    """The chunk's column sums (for the data mean)."""
    return X_chunk.sum(axis=0)


def bad_rows_chunk(X_chunk: np.ndarray, start: int):
    """How many rows hold NaN or infinity, and the numbers of the first five."""
    bad = np.flatnonzero(~np.isfinite(X_chunk).all(axis=1))
    return bad.size, (bad[:5] + start).tolist()


def sum_in_order(parts):
    """Add up array (or float) partials in the order given: deterministic whatever ran them."""
    total = np.array(parts[0], dtype=float, copy=True)
    for part in parts[1:]:
        total += part
    return total


def sum_parts(parts) -> tuple:
    """Add up tuples of partials (arrays or floats) element by element, in the order given."""
    totals = tuple(np.array(value, dtype=float, copy=True) for value in parts[0])
    for part in parts[1:]:
        for total, value in zip(totals, part):
            total += value
    return totals


def combine_bad_rows(parts):
    count, first = 0, []
    for n_bad, rows in parts:
        count += n_bad
        first.extend(rows)
    return count, first[:5]


def data_mean(rows) -> np.ndarray:
    """Column means of a row source, from chunk sums added in chunk order."""
    return rows.run(column_sums_chunk, sum_in_order) / rows.n_samples


def seeded_rows(n_samples: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` distinct row numbers (all of them when ``size >= n_samples``), sorted."""
    if size >= n_samples:
        return np.arange(n_samples)
    return np.sort(rng.choice(n_samples, size=size, replace=False))
