"""Where the data goes on screen: the projection, the fixed axis ranges and the displayed sample.

A :class:`View` is made once per fit by :func:`make_view` and every step is
drawn in it, so the axes never move while scrubbing. One-column data has a
view too (``mode="1d"``): the scenes, the stepper, the animation and the
exports all dispatch on ``view.is_1d``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import em_core

#: Padding around the data on each side, as a fraction of the data span.
AXIS_PAD = 0.10
#: Ellipses may widen an axis to at most this multiple of the data span.
AXIS_MAX_FACTOR = 1.5
#: Axis-range ratio beyond which equal aspect would squash the plot into a strip.
EQUAL_ASPECT_MAX_RATIO = 3.0


@dataclass(frozen=True, eq=False)
class View:
    """How the data is laid out on screen: a fixed projection and fixed axis ranges.

    Built once per fit by :func:`make_view`; every step of the fit is drawn in
    the same view, so the axes never move while scrubbing.

    Attributes
    ----------
    mode : str
        ``"columns"`` (two chosen columns), ``"pca"`` (first two principal axes)
        or ``"1d"`` (one-column data, drawn as a histogram).
    projection : numpy.ndarray of shape (d, 2), or (1, 1) in 1-D
        ``W``: screen coordinates are ``(x - centre) @ W``.
    centre : numpy.ndarray of shape (d,)
        Zero for ``"columns"``, the data mean for ``"pca"``.
    axis_titles : tuple of str
        Horizontal then vertical axis title.
    coordinates : numpy.ndarray of shape (N, 2), or (N, 1) in 1-D
        Screen coordinates of every data row.
    x_range, y_range : tuple of float
        Fixed axis ranges; ``y_range`` is None in 1-D (the histogram sets it).
    columns : tuple of int or None
        The two columns shown in ``"columns"`` mode.
    explained_variance_ratio : tuple of float or None
        Share of variance along each principal axis in ``"pca"`` mode.
    equal_aspect : bool
        Whether one unit is as long on both axes (circles look round).
    column_names : tuple of str
    """

    mode: str
    projection: np.ndarray
    centre: np.ndarray
    axis_titles: tuple[str, ...]
    coordinates: np.ndarray
    x_range: tuple[float, float]
    y_range: tuple[float, float] | None
    columns: tuple[int, int] | None = None
    explained_variance_ratio: tuple[float, ...] | None = None
    equal_aspect: bool = False
    column_names: tuple[str, ...] = ()

    @property
    def is_1d(self) -> bool:
        """True for one-column data (histogram mode)."""
        return self.mode == "1d"

    def project_points(self, X) -> np.ndarray:
        """Screen coordinates of rows ``X`` (shape (M, d)) in this view."""
        return (np.asarray(X, dtype=float) - self.centre) @ self.projection

    def lift_points(self, plane, anchor) -> np.ndarray:
        """Data-space points (M, d) that this view draws at screen positions ``plane`` (M, 2) (or (M, 1) in 1-D).

        A screen position fixes a point only within the plotted plane; along the directions the
        view does not show, every lifted point takes ``anchor``'s coordinates (the data's centre,
        or the mean being moved). The projection's columns are orthonormal (two coordinate axes,
        or two principal axes), so ``project_points(lift_points(p, a)) == p``.
        """
        W = self.projection
        anchor = np.asarray(anchor, dtype=float)
        plane = np.atleast_2d(np.asarray(plane, dtype=float))
        return anchor + (plane - (anchor - self.centre) @ W) @ W.T

    def project_step(self, step, covariance_type: str) -> tuple[np.ndarray, np.ndarray]:
        """Exact screen-space means (K, 2) and covariances (K, 2, 2) of a step's mixture."""
        return em_core.project_mixture(step.means, step.covariances, covariance_type, self.projection,
                                       self.centre)


def default_names(column_names, d: int) -> tuple[str, ...]:
    if column_names is None:
        return tuple(f"x{j + 1}" for j in range(d))
    names = tuple(str(c) for c in column_names)
    if len(names) != d:
        raise ValueError(f"Got {len(names)} column names for {d} columns.")
    return names


def axis_titles(view: View, column_names) -> tuple[str, ...]:
    """The view's axis titles, or the given column names for the columns it shows."""
    if column_names is None or view.mode == "pca":
        return view.axis_titles
    names = default_names(column_names, view.projection.shape[0])
    if view.is_1d:
        return names[0], view.axis_titles[1]
    return names[view.columns[0]], names[view.columns[1]]


def em_steps(history) -> Sequence:
    return history[history.first_em_index:]


def resolve_index(history, index: int) -> int:
    """A step index (negative counts from the end) as a plain position; raises IndexError if out of range."""
    return range(len(history))[index]


def _fixed_range(steps, covariance_type, projection, centre, coordinates) -> np.ndarray:
    """Per-axis [low, high]: the padded data, widened by every step's 3σ ellipse up to a cap.

    The cap matters: an early EM step can have a huge covariance, and fitting the
    axes to it would shrink the data to a dot for every other step.
    """
    low = coordinates.min(axis=0)
    high = coordinates.max(axis=0)
    span = high - low
    span = np.where(span > 0, span, np.maximum(np.abs(high), 1.0))
    lower = low - AXIS_PAD * span
    upper = high + AXIS_PAD * span
    dims = coordinates.shape[1]
    radius = em_core.chi2_radius(em_core.mass_for_sigma(3)) if dims == 2 else 3.0
    for step in steps:
        means, covs = em_core.project_mixture(step.means, step.covariances, covariance_type,
                                              projection, centre)
        reach = np.zeros_like(means)
        if not step.is_kmeans:  # k-means spreads are never drawn, so they must not stretch the axes
            reach = radius * np.sqrt(np.maximum(np.diagonal(covs, axis1=1, axis2=2), 0.0))
        lower = np.minimum(lower, (means - reach).min(axis=0))
        upper = np.maximum(upper, (means + reach).max(axis=0))
    extra = 0.5 * (AXIS_MAX_FACTOR - 1.0) * span
    lower = np.maximum(lower, low - extra)
    upper = np.minimum(upper, high + extra)
    return np.stack([lower, upper], axis=1)


def make_view(history, mode: str = "columns", columns=(0, 1), column_names=None, *,
              equal_aspect: bool | None = None) -> View:
    """Fix the projection and the axis ranges for drawing every step of ``history``.

    Parameters
    ----------
    history : em_core.History
    mode : {"columns", "pca"}
        Show two data columns, or the first two principal axes of the data.
        Ignored for one-column data, whose view is always ``"1d"``.
    columns : tuple of int
        The two columns for ``mode="columns"``.
    column_names : sequence of str, optional
        One name per data column (default ``x1, x2, ...``).
    equal_aspect : bool, optional
        Force or forbid equal scaling of the two axes. By default it is on
        unless the two axis ranges differ by more than a factor of 3.

    Returns
    -------
    View

    Notes
    -----
    The ranges are computed once, over the data and every step's means and
    3σ-equivalent ellipses: the data range is padded by 10 % of its span on each
    side and may be widened by ellipses to at most 1.5 times the data span.
    """
    return _view(np.asarray(history.X, dtype=float), history, history.covariance_type, mode, columns, column_names,
                 equal_aspect)


def data_view(X, mode: str = "columns", columns=(0, 1), column_names=None) -> View:
    """The view of data alone, before any fit (placing the starting means): axes fitted to the padded data."""
    return _view(np.asarray(X, dtype=float), (), "full", mode, columns, column_names, None)


def _view(X, steps, covariance_type, mode, columns, column_names, equal_aspect) -> View:
    d = X.shape[1]
    names = default_names(column_names, d)
    ratio = None
    chosen = None
    if d == 1:
        mode = "1d"
        projection = np.ones((1, 1))
        centre = np.zeros(1)
        titles = (names[0], "density")
    elif mode == "columns":
        chosen = (int(columns[0]), int(columns[1]))
        projection = em_core.column_projection(d, chosen)
        centre = np.zeros(d)
        titles = (names[chosen[0]], names[chosen[1]])
    elif mode == "pca":
        projection, centre, ratio_array = em_core.pca(X, 2)
        ratio = tuple(float(r) for r in ratio_array)
        titles = tuple(f"PC{j + 1} ({ratio[j]:.0%} of variance)" for j in range(2))
    else:
        raise ValueError(f"mode must be 'columns' or 'pca'; got {mode!r}.")
    coordinates = (X - centre) @ projection
    coordinates.setflags(write=False)
    ranges = _fixed_range(steps, covariance_type, projection, centre, coordinates)
    x_range = (float(ranges[0, 0]), float(ranges[0, 1]))
    y_range = None if d == 1 else (float(ranges[1, 0]), float(ranges[1, 1]))
    if equal_aspect is None:
        equal_aspect = False
        if y_range is not None:
            aspect = (x_range[1] - x_range[0]) / (y_range[1] - y_range[0])
            equal_aspect = 1.0 / EQUAL_ASPECT_MAX_RATIO <= aspect <= EQUAL_ASPECT_MAX_RATIO
    return View(mode=mode, projection=projection, centre=centre, axis_titles=titles, coordinates=coordinates,
                x_range=x_range, y_range=y_range, columns=chosen, explained_variance_ratio=ratio,
                equal_aspect=bool(equal_aspect) and d > 1, column_names=names)


# --------------------------------------------------------------------------- the displayed sample
def check_rows(display_rows, n: int) -> np.ndarray | None:
    """``display_rows`` as row indices into 0..n-1, or None for every row."""
    if display_rows is None:
        return None
    rows = np.asarray(display_rows)
    if rows.ndim != 1 or (rows.size and not np.issubdtype(rows.dtype, np.integer)):
        raise ValueError("display_rows must be a 1-D array of integer row indices.")
    if rows.size and (rows.min() < 0 or rows.max() >= n):
        raise ValueError(f"display_rows must index rows 0..{n - 1}.")
    return rows.astype(np.intp)


def check_selected(selected_row, n: int) -> int | None:
    if selected_row is None:
        return None
    row = int(selected_row)
    if not 0 <= row < n:
        raise ValueError(f"selected_row must lie in 0..{n - 1}; got {selected_row}.")
    return row


#: Above this many points the explorer draws a fixed, seeded sample so that stepping stays instant
#: (the fit always uses every row; the figure says how many it shows).
DISPLAY_CAP = 10_000


def subsample_rows(n: int, max_points: int | None = DISPLAY_CAP) -> np.ndarray | None:
    """A fixed random subset of rows for display (the same every call), or None for all."""
    if max_points is None or n <= max_points:
        return None
    return np.sort(np.random.default_rng(0).choice(n, size=int(max_points), replace=False))
