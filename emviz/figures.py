"""Pure Plotly figure builders: one step of a fit in, a ``plotly.graph_objects.Figure`` out.

Nothing here imports Streamlit or keeps state between calls, so the same
builders serve the live explorer, the client-side animation and the offline
HTML export.

The main picture is built from a fixed list of traces (see :func:`step_figure`)
whose order and count depend only on K, the ellipse levels and whether a row is
selected, never on the step. That is what lets :func:`animation_figure` reuse
the very same builder for every Plotly frame.

Trace names (for tests and for anyone post-processing a figure):

- 2-D: ``"points"``, ``"changed points"``, ``"ellipse k=1 2σ"`` (or
  ``"ellipse k=1 90%"`` for mass levels), ``"ghost ellipse k=1"``,
  ``"arrow 1"``, ``"mean 1"`` (``"centroid 1"`` during k-means),
  ``"selected row"``.
- 1-D: ``"histogram"``, ``"component 1"``, ``"mixture"``, ``"ghost mixture"``,
  ``"mean 1"`` / ``"centroid 1"``, ``"points"``, ``"changed points"``,
  ``"selected row"``.

Every trace also carries ``meta={"role": ..., "component": k, ...}`` (0-based k).
Any trace of data points keeps the point's row index in ``customdata[:, 0]``,
which the explorer's stepper (``emviz/stepper.js``) reads back from a click.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from scipy.special import logsumexp

import em_core

from . import explain
from .ellipse_levels import DEFAULT_LEVEL_KIND, ELLIPSE_LEVELS, level_masses
from .palette import NEUTRAL, UNCERTAINTY_COLORSCALE, component_colors, mix_colors, rgba

__all__ = [
    "View", "animation_figure", "component_colors", "histogram_figure", "kmeans_objective_figure",
    "loglik_figure", "make_view", "mix_colors", "parameters_table",
    "step_figure", "step_label", "step_title", "weights_figure",
]

#: Above this many displayed points the scatter is drawn with WebGL (``go.Scattergl``);
#: SVG makes one DOM element per point and stalls the browser beyond a few thousand.
GL_THRESHOLD = 2000
#: Fraction of displayed points ringed after an E-step (largest responsibility change).
CHANGED_FRACTION = 0.05
#: Total-variation changes below this are not worth a ring even if in the top fraction.
CHANGED_MIN_TV = 0.01
#: Padding around the data on each side, as a fraction of the data span.
AXIS_PAD = 0.10
#: Ellipses may widen an axis to at most this multiple of the data span.
AXIS_MAX_FACTOR = 1.5
#: Points on each ellipse outline.
ELLIPSE_POINTS = 100
#: Grid points for the 1-D density curves.
DENSITY_POINTS = 400
#: Axis-range ratio beyond which equal aspect would squash the plot into a strip.
EQUAL_ASPECT_MAX_RATIO = 3.0

#: Whether plotly.py validates every property when a figure is built. Validation
#: re-checks each of N colour strings with a regular expression and deep-copies
#: the template: about 20 ms at N = 490 and 200 ms at N = 10,000, for figures
#: that are always built the same way. The test suite turns it on and
#: re-validates every kind of figure, so a typo in a property still fails there.
#: (Animation frames are validated regardless: plotly.py has no switch for them.)
VALIDATE = False

_TRANSPARENT = "rgba(0,0,0,0)"
_GRID = "rgba(128,128,128,0.22)"
_KIND_SHORT = {"kmeans_assign": "assign", "kmeans_update": "update", "init": "init", "e_step": "E-step",
               "m_step": "M-step"}
_KIND_WHAT = {
    "kmeans_assign": "k-means: assign every point to its nearest centroid",
    "kmeans_update": "k-means: move every centroid to the mean of its points",
    "init": "EM starts from these parameters",
    "e_step": "E-step: responsibilities γ from the current π, μ, Σ",
    "m_step": "M-step: new π, μ, Σ from the responsibilities γ",
}


def _figure(data, layout: dict, frames=None) -> go.Figure:
    """Assemble a Figure from trace and layout dicts (unvalidated unless ``VALIDATE``)."""
    layout = dict(layout, template=pio.templates["plotly_white"])
    if not VALIDATE:
        try:
            # ``_validate`` is plotly.py's own switch (its templates are loaded with it off).
            return go.Figure(data=data, layout=layout, frames=frames, _validate=False)
        except TypeError:  # a plotly.py without the switch: fall back to validating
            pass
    return go.Figure(data=data, layout=layout, frames=frames)


# --------------------------------------------------------------------------- styles
@dataclass(frozen=True)
class _Style:
    font: int
    title: int
    point: float
    mean: float
    line: float
    arrow: float
    width: int | None
    height: int
    panel_height: int


_NORMAL = _Style(font=13, title=17, point=7, mean=15, line=2.0, arrow=13, width=None, height=600,
                 panel_height=300)
# Sized for a 1280 x 720 projector: everything readable from the back row.
_LECTURE = _Style(font=20, title=26, point=11, mean=24, line=3.4, arrow=20, width=1280, height=720,
                  panel_height=420)


def _style(lecture: bool) -> _Style:
    return _LECTURE if lecture else _NORMAL


# --------------------------------------------------------------------------- the view
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

    def project_step(self, step, covariance_type: str) -> tuple[np.ndarray, np.ndarray]:
        """Exact screen-space means (K, 2) and covariances (K, 2, 2) of a step's mixture."""
        return em_core.project_mixture(step.means, step.covariances, covariance_type, self.projection,
                                       self.centre)


def _default_names(column_names, d: int) -> tuple[str, ...]:
    if column_names is None:
        return tuple(f"x{j + 1}" for j in range(d))
    names = tuple(str(c) for c in column_names)
    if len(names) != d:
        raise ValueError(f"Got {len(names)} column names for {d} columns.")
    return names


def _em_steps(history) -> Sequence:
    return history[history.first_em_index:]


def _fixed_range(history, projection, centre, coordinates) -> np.ndarray:
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
    for step in history:
        means, covs = em_core.project_mixture(step.means, step.covariances, history.covariance_type,
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
    X = np.asarray(history.X, dtype=float)
    d = X.shape[1]
    names = _default_names(column_names, d)
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
    ranges = _fixed_range(history, projection, centre, coordinates)
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


# --------------------------------------------------------------------------- labels
def _resolve_index(history, index: int) -> int:
    return range(len(history))[index]


def step_label(step) -> str:
    """Short label of a step, as on the animation slider: ``"it 3 · M-step"``, ``"km 2 · assign"``."""
    prefix = "km" if step.is_kmeans else "it"
    return f"{prefix} {step.iteration} · {_KIND_SHORT[step.kind]}"


def step_title(history, index: int) -> tuple[str, str]:
    """Title and subtitle of a step's figure: what the step did, then where it stands.

    Returns
    -------
    title : str
        E.g. ``"Iteration 3 · M-step: new π, μ, Σ from the responsibilities γ"``.
    subtitle : str
        Step number, log-likelihood (or k-means J) and any flags.
    """
    step = history[_resolve_index(history, index)]
    what = _KIND_WHAT[step.kind]
    if step.is_kmeans:
        what = what.split(": ", 1)[1]
        sub = f"k-means objective J = {step.kmeans_objective:,.4g}"
    else:
        sub = f"log-likelihood {step.log_likelihood:,.2f}"
    head = f"{explain.step_position(step)} · {what}"
    flags = explain.flag_phrases(step)
    if flags:
        sub += " · " + " · ".join(flags)
    return head, f"step {step.index} of {len(history) - 1} · {sub}"


# --------------------------------------------------------------------------- levels
@dataclass(frozen=True)
class _Level:
    label: str  # the trace-name suffix ("1σ", "90%"): an identifier, not what the user reads
    mass: float
    sigma: float | None


def _levels(levels, level_kind: str) -> list[_Level]:
    """The levels to draw; ``levels=None`` takes the values of the ``level_kind`` option."""
    if levels is None and level_kind in ELLIPSE_LEVELS:
        levels = ELLIPSE_LEVELS[level_kind].values
    masses = level_masses(levels, level_kind)
    if level_kind == "sigma":
        return [_Level(f"{n:g}σ", m, float(n)) for n, m in zip(levels, masses)]
    return [_Level(f"{100 * m:.3g}%", m, None) for m in masses]


def _level_sentence(levels: list[_Level]) -> str:
    masses = ", ".join(f"{lv.mass:.1%}" for lv in levels)
    radii = ", ".join(f"{em_core.chi2_radius(lv.mass):.2f}" for lv in levels)
    return f"Ellipses enclose {masses} of each component's mass (Mahalanobis radii {radii})"


# --------------------------------------------------------------------------- shared helpers
def _check_rows(display_rows, n: int) -> np.ndarray | None:
    if display_rows is None:
        return None
    rows = np.asarray(display_rows)
    if rows.ndim != 1 or (rows.size and not np.issubdtype(rows.dtype, np.integer)):
        raise ValueError("display_rows must be a 1-D array of integer row indices.")
    if rows.size and (rows.min() < 0 or rows.max() >= n):
        raise ValueError(f"display_rows must index rows 0..{n - 1}.")
    return rows.astype(np.intp)


def _check_selected(selected_row, n: int) -> int | None:
    if selected_row is None:
        return None
    row = int(selected_row)
    if not 0 <= row < n:
        raise ValueError(f"selected_row must lie in 0..{n - 1}; got {selected_row}.")
    return row


def _subsample_rows(n: int, max_points: int | None) -> np.ndarray | None:
    """A fixed random subset of rows for display (the same every call), or None for all."""
    if max_points is None or n <= max_points:
        return None
    return np.sort(np.random.default_rng(0).choice(n, size=int(max_points), replace=False))


def _changed(history, index: int, resp: np.ndarray, rows) -> tuple[np.ndarray, np.ndarray]:
    """Displayed positions whose responsibilities moved most at this step, and their change.

    The change is the total variation ``0.5 * sum_k |gamma_nk - gamma'_nk|`` against
    the responsibilities in force one step earlier. After an E-step the top
    ``CHANGED_FRACTION`` are kept; after a k-means assignment, every point that
    switched cluster.
    """
    step = history[index]
    empty = np.empty(0, dtype=np.intp), np.empty(0)
    if index == 0 or step.kind not in ("e_step", "kmeans_assign"):
        return empty
    before = history.responsibilities(index - 1)
    if rows is not None:
        before = before[rows]
    tv = 0.5 * np.abs(resp - before).sum(axis=1)
    if step.kind == "kmeans_assign":
        picked = np.flatnonzero(tv > 0.5)
    else:
        count = min(tv.size, max(1, math.ceil(CHANGED_FRACTION * tv.size)))
        top = np.argpartition(-tv, count - 1)[:count]
        picked = np.sort(top[tv[top] > CHANGED_MIN_TV])
    return picked, tv[picked]


def _gamma_hover(K: int, colors: list[str], first: int) -> str:
    return "".join(f"<br><span style='color:{colors[k]}'>●</span> γ{k + 1} = %{{customdata[{first + k}]:.3f}}"
                   for k in range(K))


def _point_payload(row_ids: np.ndarray, resp: np.ndarray) -> np.ndarray:
    """``customdata`` for data points: row index, the K responsibilities, then 1 - max γ.

    float32 halves what every animation frame ships to the browser; it holds row
    indices exactly up to 2^24 and γ far beyond the three decimals shown.
    """
    return np.column_stack([row_ids, resp, 1.0 - resp.max(axis=1)]).astype(np.float32)


def _point_marker(resp, colors, color_mode: str, size: float, opacity: float, K: int) -> dict:
    if color_mode == "mix":
        return dict(color=mix_colors(resp, colors), size=size, opacity=opacity, line=dict(width=0))
    if color_mode == "uncertainty":
        # A fixed colour range (0 up to the most uncertain possible, 1 - 1/K)
        # keeps the colour bar from rescaling between steps.
        return dict(color=1.0 - resp.max(axis=1), colorscale=UNCERTAINTY_COLORSCALE, cmin=0.0,
                    cmax=(1.0 - 1.0 / K) if K > 1 else 1.0, showscale=True, size=size, opacity=opacity,
                    line=dict(width=0),
                    colorbar=dict(title=dict(text="1 − max γ"), thickness=14, len=0.75, x=1.01))
    raise ValueError(f"color_mode must be 'mix' or 'uncertainty'; got {color_mode!r}.")


def _weight_factor(weight: float, K: int) -> float:
    """Line-width factor of a component relative to an equal share 1/K."""
    return float(np.clip(math.sqrt(max(weight, 0.0) * K), 0.45, 1.6))


def _weight_opacity(weight: float, K: int) -> float:
    return float(np.clip(0.35 + 0.65 * weight * K, 0.35, 1.0))


def _title(title: tuple[str, str], style: _Style) -> dict:
    head, sub = title
    return dict(text=head, subtitle=dict(text=sub, font=dict(size=max(style.font - 1, 10))))


def _base_layout(style: _Style, title: tuple[str, str], annotations: list[dict], *, top: int = 100,
                 bottom: int = 70) -> dict:
    top = int(top * (1.35 if style is _LECTURE else 1.0))
    return dict(
        paper_bgcolor=_TRANSPARENT,
        plot_bgcolor=_TRANSPARENT,
        font=dict(size=style.font),
        title=_title(title, style) | dict(x=0.01, xanchor="left", y=1.0, yref="container", yanchor="top",
                                          pad=dict(t=12), font=dict(size=style.title)),
        legend=dict(orientation="h", x=0.0, xanchor="left", y=1.0, yanchor="bottom", bgcolor=_TRANSPARENT,
                    font=dict(size=style.font), itemsizing="constant"),
        margin=dict(l=70, r=30, t=top, b=bottom),
        height=style.height,
        width=style.width,
        hovermode="closest",
        # Keep the user's zoom while the step changes under it.
        uirevision="emviz",
        annotations=annotations,
    )


def _note(text: str, name: str, style: _Style, *, x=0.0, y=0.0, xanchor="left") -> dict:
    # Shifted in pixels, not paper units: it must clear the tick labels and the axis
    # title whatever the height of the plot area.
    return dict(text=text, name=name, xref="paper", yref="paper", x=x, y=y, xanchor=xanchor, yanchor="top",
                yshift=-int(3.9 * style.font) if y == 0.0 else 0, showarrow=False, align="left",
                font=dict(size=max(style.font - 2, 10)))


def _note_margin(style: _Style) -> int:
    """Bottom margin for tick labels, axis title and a two-line note."""
    return int(3.9 * style.font + 2.6 * max(style.font - 2, 10) + 12)


def _subsample_note(shown: int, total: int, style: _Style) -> dict:
    return _note(f"showing {shown:,} of {total:,} points (the fit uses all)", "subsample note", style, x=1.0,
                 y=1.0, xanchor="right") | dict(yanchor="bottom", yshift=4)


# --------------------------------------------------------------------------- 2-D scene
def _scene_2d(history, index: int, view: View, levels: list[_Level], color_mode: str, rows, style: _Style,
              axis_titles, selected_row: int | None, with_selected: bool):
    """Traces (as dicts, in the fixed order), annotations and title of one step."""
    step = history[index]
    K = history.n_components
    colors = component_colors(K)
    kmeans = step.is_kmeans
    resp = np.asarray(history.responsibilities(index))
    xy = view.coordinates
    row_ids = np.arange(history.n_samples)
    if rows is not None:
        resp, xy, row_ids = resp[rows], xy[rows], rows
    n_shown = row_ids.size
    scatter_type = "scattergl" if n_shown > GL_THRESHOLD else "scatter"
    size = style.point * (0.7 if n_shown > GL_THRESHOLD else 1.0)
    xname, yname = axis_titles
    traces: list[dict] = []

    # Points -----------------------------------------------------------------------------
    hover = (f"<b>row %{{customdata[0]:d}}</b><br>{xname} = %{{x:.4g}}<br>{yname} = %{{y:.4g}}"
             + ("<br>k-means: hard assignment" if kmeans else "") + _gamma_hover(K, colors, 1)
             + (f"<br>1 − max γ = %{{customdata[{K + 1}]:.3f}}" if color_mode == "uncertainty" else "")
             + "<extra></extra>")
    traces.append(dict(
        type=scatter_type, name="points", x=xy[:, 0], y=xy[:, 1], mode="markers",
        marker=_point_marker(resp, colors, color_mode, size, 0.85 if n_shown <= GL_THRESHOLD else 0.6, K),
        customdata=_point_payload(row_ids, resp), hovertemplate=hover, showlegend=False,
        meta=dict(role="points", n_shown=int(n_shown), n_total=int(history.n_samples))))

    # Points whose responsibilities changed most --------------------------------------------
    picked, tv = _changed(history, index, resp, rows)
    traces.append(dict(
        type=scatter_type, name="changed points", x=xy[picked, 0], y=xy[picked, 1], mode="markers",
        marker=dict(symbol="circle-open", size=size * 2.1, color=NEUTRAL, line=dict(width=style.line, color=NEUTRAL)),
        customdata=np.column_stack([row_ids[picked], tv]),
        hovertemplate="<b>row %{customdata[0]:d}</b><br>responsibilities changed by %{customdata[1]:.2f}"
                      "<br>(total variation since the previous step)<extra></extra>",
        showlegend=bool(picked.size), legendgroup="changed",
        meta=dict(role="changed points", count=int(picked.size))))

    # Ellipses -----------------------------------------------------------------------------
    means2, covs2 = view.project_step(step, history.covariance_type)
    for k in range(K):
        weight = float(step.weights[k])
        for j, level in enumerate(levels):
            outline = np.empty((0, 2))
            if not kmeans:
                outline = _outline(means2[k], covs2[k], level.mass)
            analogue = (f"<br>(in 1-D, the share within ±{level.sigma:g} standard deviations)"
                        if level.sigma is not None else "")
            traces.append(dict(
                type="scatter", name=f"ellipse k={k + 1} {level.label}", x=outline[:, 0], y=outline[:, 1],
                mode="lines", line=dict(color=colors[k], width=style.line * _weight_factor(weight, K)
                                        * (1.0 - 0.18 * j)),
                opacity=_weight_opacity(weight, K), legendgroup=f"component {k + 1}", showlegend=False,
                hovertemplate=(f"component {k + 1} · {level.mass:.1%} ellipse<br>encloses {level.mass:.1%} of "
                               f"component {k + 1}'s probability mass (Mahalanobis radius "
                               f"{em_core.chi2_radius(level.mass):.2f}){analogue}<br>π{k + 1} = {weight:.3f}"
                               "<extra></extra>"),
                meta=dict(role="ellipse", component=k, level=level.label, mass=level.mass)))

    # Ghosts of the previous parameters, and arrows old mean -> new mean ---------------------------
    previous = history[index - 1] if index > 0 else None
    ghosts = step.kind == "m_step" and previous is not None
    moved = step.kind in ("m_step", "kmeans_update") and previous is not None
    if ghosts or moved:
        old_means2, old_covs2 = view.project_step(previous, history.covariance_type)
    for k in range(K):
        xs: list = []
        ys: list = []
        if ghosts:
            for level in levels:
                outline = _outline(old_means2[k], old_covs2[k], level.mass)
                xs += outline[:, 0].tolist() + [None]
                ys += outline[:, 1].tolist() + [None]
        traces.append(dict(
            type="scatter", name=f"ghost ellipse k={k + 1}", x=xs, y=ys, mode="lines",
            line=dict(color=colors[k], width=style.line * 0.6, dash="dash"), opacity=0.5,
            legendgroup=f"component {k + 1}", showlegend=False, hoverinfo="skip",
            meta=dict(role="ghost ellipse", component=k)))
    span = max(view.x_range[1] - view.x_range[0], view.y_range[1] - view.y_range[0])
    # Stop the arrowhead at the edge of the mean's marker instead of under it
    # (approximate: the plot area is about height - 230 px tall).
    marker_reach = 0.5 * style.mean / max(style.height - 230, 200) * span
    for k in range(K):
        ax: list = []
        ay: list = []
        if moved:
            start, end = old_means2[k], means2[k]
            length = float(np.hypot(*(end - start)))
            # An arrowhead on a zero-length arrow has no direction; draw none.
            if length > 2e-3 * span:
                tip = end - (end - start) * min(marker_reach / length, 0.3)
                ax, ay = [float(start[0]), float(tip[0])], [float(start[1]), float(tip[1])]
        what = "centroid" if kmeans else "μ"
        traces.append(dict(
            type="scatter", name=f"arrow {k + 1}", x=ax, y=ay, mode="lines+markers",
            line=dict(color=colors[k], width=style.line * 1.1),
            marker=dict(symbol=["circle", "arrow"], size=[0, style.arrow], angleref="previous",
                        color=colors[k], line=dict(width=0)),
            legendgroup=f"component {k + 1}", showlegend=False,
            hovertemplate=f"{what} {k + 1} moved here from the previous step<extra></extra>",
            meta=dict(role="arrow", component=k)))

    # Means / centroids --------------------------------------------------------------------
    for k in range(K):
        if kmeans:
            name, label = f"centroid {k + 1}", f"centroid {k + 1}"
            hover = (f"centroid {k + 1} = (%{{x:.4g}}, %{{y:.4g}})<br>{int(round(step.counts[k])):,} points "
                     f"({step.weights[k]:.1%})<extra></extra>")
            symbol = "x"
        else:
            name, label = f"mean {k + 1}", f"μ{k + 1}"
            hover = (f"μ{k + 1} = (%{{x:.4g}}, %{{y:.4g}})<br>π{k + 1} = {step.weights[k]:.3f}"
                     f"<br>N{k + 1} = {step.counts[k]:,.1f}<extra></extra>")
            symbol = "diamond"
        traces.append(dict(
            type="scatter", name=name, x=[float(means2[k, 0])], y=[float(means2[k, 1])], mode="markers+text",
            text=[label], textposition="top center",
            # Bold with a contrasting halo: the label sits on top of same-coloured points.
            textfont=dict(size=style.font + 2, color=colors[k], weight="bold", shadow="auto"),
            marker=dict(symbol=symbol, size=style.mean, color=colors[k], line=dict(width=1.5, color="white")),
            legendgroup=f"component {k + 1}", showlegend=True, hovertemplate=hover,
            meta=dict(role="mean", component=k)))

    if with_selected:
        traces.append(_selected_trace(history, index, view.coordinates, selected_row, style, K, colors,
                                      axis_titles))

    annotations = [_note(_step_note_2d(step, levels, picked.size), "step note", style)]
    if rows is not None:
        annotations.append(_subsample_note(n_shown, history.n_samples, style))
    return traces, annotations, step_title(history, index)


def _outline(mean, cov, mass: float) -> np.ndarray:
    try:
        return em_core.ellipse_outline(mean, cov, mass, ELLIPSE_POINTS)
    except np.linalg.LinAlgError:
        # A projected covariance that is not numerically positive definite has no
        # ellipse to draw; leaving the trace empty keeps the trace count fixed.
        return np.empty((0, 2))


def _selected_trace(history, index, coordinates, row, style, K, colors, axis_titles) -> dict:
    xs, ys, custom, text = [], [], np.empty((0, K + 2)), []
    if row is not None:
        resp = np.asarray(history.responsibilities(index))[row:row + 1]
        point = coordinates[row]
        xs = [float(point[0])]
        ys = [float(point[1])] if coordinates.shape[1] > 1 else [None]
        custom = _point_payload(np.array([row]), resp)
        text = [f"row {row}"]
    return dict(
        type="scatter", name="selected row", x=xs, y=ys, mode="markers+text", text=text,
        textposition="bottom center", textfont=dict(size=style.font),
        marker=dict(symbol="circle-open", size=style.point * 3.2, color=NEUTRAL,
                    line=dict(width=style.line * 1.5, color=NEUTRAL)),
        customdata=custom, showlegend=False,
        hovertemplate=(f"<b>selected: row %{{customdata[0]:d}}</b><br>{axis_titles[0]} = %{{x:.4g}}"
                       + _gamma_hover(K, colors, 1) + "<extra></extra>"),
        meta=dict(role="selected row", row=row))


def _step_note_2d(step, levels, n_changed: int) -> str:
    if step.is_kmeans:
        text = "k-means: hard assignments, centroids only (no covariances yet)"
        if step.kind == "kmeans_update":
            text += " · arrows: how each centroid moved"
        elif n_changed:
            text += f" · ringed: the {n_changed:,} points that switched cluster"
        return text
    text = _level_sentence(levels)
    if step.kind == "m_step":
        text += "<br>Dashed: the ellipses before this M-step · arrows: how each mean moved · line width follows π"
    elif step.kind == "e_step":
        text += (f"<br>Ringed: the {n_changed:,} points whose responsibilities changed most in this E-step"
                 if n_changed else "<br>No responsibility changed noticeably in this E-step")
    else:
        text += "<br>Line width follows the mixing proportion π"
    return text


def _layout_2d(view: View, style: _Style, title: tuple[str, str], annotations, axis_titles) -> dict:
    layout = _base_layout(style, title, annotations, bottom=_note_margin(style))
    layout["xaxis"] = dict(range=list(view.x_range), autorange=False, title=dict(text=axis_titles[0]),
                           zeroline=False, gridcolor=_GRID, constrain="domain")
    layout["yaxis"] = dict(range=list(view.y_range), autorange=False, title=dict(text=axis_titles[1]),
                           zeroline=False, gridcolor=_GRID, constrain="domain")
    if view.equal_aspect:
        layout["yaxis"].update(scaleanchor="x", scaleratio=1)
    return layout


def _axis_titles(view: View, column_names) -> tuple[str, ...]:
    if column_names is None or view.mode != "columns":
        return view.axis_titles
    names = _default_names(column_names, view.projection.shape[0])
    return names[view.columns[0]], names[view.columns[1]]


def step_figure(history, index: int, view: View, *, levels=None, level_kind: str = DEFAULT_LEVEL_KIND,
                color_mode: str = "mix", display_rows=None, selected_row=None, lecture: bool = False,
                column_names=None) -> go.Figure:
    """The main picture of one step: points, means and covariance ellipses.

    Parameters
    ----------
    history : em_core.History
    index : int
        Step index (negative counts from the end).
    view : View
        From :func:`make_view`; a 1-D view returns :func:`histogram_figure`.
    levels : sequence of float, optional
        Ellipse levels: numbers of σ (``level_kind="sigma"``) or probability
        masses in (0, 1) (``level_kind="mass"``); by default the values of the
        ``level_kind`` option in ``emviz.ellipse_levels.ELLIPSE_LEVELS``.
    level_kind : {"sigma", "mass"}
        ``"sigma"``: the ellipse for n encloses ``mass_for_sigma(n)`` of the
        component (68.3 %, 95.4 %, 99.7 %), the same share as ±nσ in 1-D; its
        Mahalanobis radius is ``chi2_radius(mass)``, not n.
    color_mode : {"mix", "uncertainty"}
        Points in the responsibility-weighted mix of the component colours, or by
        ``1 - max_k γ_nk`` on a sequential scale with a colour bar.
    display_rows : array_like of int, optional
        Row indices to draw (the fit still uses every row); a note says how
        many are shown.
    selected_row : int, optional
        Row index to ring and label.
    lecture : bool
        Large type, markers and lines at 1280 x 720 for a projector.
    column_names : sequence of str, optional
        Overrides the view's axis titles in ``"columns"`` mode.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces, in order: ``points``, ``changed points``, K x len(levels)
        ``ellipse k=.. ..``, K ``ghost ellipse k=..``, K ``arrow ..``, K
        ``mean ..`` (``centroid ..`` during k-means), then ``selected row`` if
        asked for. Traces with nothing to show at this step are empty.

    Notes
    -----
    - k-means steps: hard colours, centroids, no ellipses; after an update,
      arrows from the old to the new centroids; after an assignment, rings on
      the points that switched cluster.
    - After an M-step the previous ellipses are drawn as dashed ghosts with an
      arrow from each old mean to the new one; after an E-step the 5 % of
      points whose responsibilities moved most (total variation) are ringed.
    """
    index = _resolve_index(history, index)
    if view.is_1d:
        return histogram_figure(history, index, lecture=lecture, display_rows=display_rows,
                                selected_row=selected_row, color_mode=color_mode, column_names=column_names,
                                view=view)
    style = _style(lecture)
    rows = _check_rows(display_rows, history.n_samples)
    selected = _check_selected(selected_row, history.n_samples)
    titles = _axis_titles(view, column_names)
    traces, annotations, title = _scene_2d(history, index, view, _levels(levels, level_kind), color_mode, rows,
                                           style, titles, selected, selected is not None)
    return _figure(traces, _layout_2d(view, style, title, annotations, titles))


# --------------------------------------------------------------------------- 1-D scene
@dataclass(frozen=True)
class _HistogramSetup:
    edges: np.ndarray
    heights: np.ndarray
    grid: np.ndarray
    y_top: float
    rug_y: np.ndarray
    x_range: tuple[float, float]


def _component_log_densities(step, covariance_type: str, grid: np.ndarray, K: int) -> np.ndarray:
    """``log pi_k + log N(x | mu_k, sigma_k^2)`` on the grid, shape (G, K)."""
    variances = em_core.expand_covariances(np.asarray(step.covariances), covariance_type, K, 1)[:, 0, 0]
    means = np.asarray(step.means)[:, 0]
    with np.errstate(divide="ignore"):
        log_w = np.log(np.asarray(step.weights))
    z2 = (grid[:, None] - means[None, :]) ** 2 / variances[None, :]
    return log_w - 0.5 * (np.log(2.0 * np.pi * variances) + z2)


def _histogram_setup(history, bins, view: View) -> _HistogramSetup:
    x = np.asarray(history.X, dtype=float)[:, 0]
    low, high = float(x.min()), float(x.max())
    if high <= low:
        low, high = low - 0.5, high + 0.5
    edges = np.histogram_bin_edges(x, bins=bins, range=(low, high))
    heights, _ = np.histogram(x, bins=edges, density=True)
    grid = np.linspace(view.x_range[0], view.x_range[1], DENSITY_POINTS)
    K = history.n_components
    peak = 0.0
    for step in _em_steps(history):
        log_comp = _component_log_densities(step, history.covariance_type, grid, K)
        peak = max(peak, float(np.exp(logsumexp(log_comp, axis=1)).max()))
    hist_top = float(heights.max()) if heights.size else 1.0
    # A collapsing component can spike to any height; the axis follows the data.
    y_top = 1.08 * max(hist_top, min(peak, AXIS_MAX_FACTOR * hist_top))
    jitter = np.random.default_rng(0).uniform(0.03, 0.11, size=x.size)
    return _HistogramSetup(edges, heights, grid, y_top, -jitter * y_top, view.x_range)


def _nice_ticks(top: float) -> list[float]:
    raw = top / 4.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [round(i * step, 12) for i in range(int(top // step) + 1)]


def _scene_1d(history, index: int, view: View, setup: _HistogramSetup, color_mode: str, rows, style: _Style,
              x_title: str, selected_row, with_selected: bool):
    step = history[index]
    K = history.n_components
    colors = component_colors(K)
    kmeans = step.is_kmeans
    grid = setup.grid
    traces: list[dict] = []
    centres = 0.5 * (setup.edges[:-1] + setup.edges[1:])
    traces.append(dict(
        type="bar", name="histogram", x=centres, y=setup.heights, width=np.diff(setup.edges),
        marker=dict(color="rgba(128,128,128,0.35)", line=dict(width=0)), showlegend=True,
        hovertemplate=f"{x_title} ≈ %{{x:.3g}}<br>data density %{{y:.3f}}<extra></extra>",
        meta=dict(role="histogram")))

    log_comp = None if kmeans else _component_log_densities(step, history.covariance_type, grid, K)
    for k in range(K):
        ys = np.empty(0) if kmeans else np.exp(log_comp[:, k])
        traces.append(dict(
            type="scatter", name=f"component {k + 1}", x=grid if not kmeans else np.empty(0), y=ys,
            mode="lines", line=dict(color=colors[k], width=style.line * _weight_factor(step.weights[k], K)),
            fill="tozeroy", fillcolor=rgba(colors[k], 0.12), legendgroup=f"component {k + 1}", showlegend=True,
            hovertemplate=(f"π{k + 1} N(x | μ{k + 1}, σ{k + 1}²)<br>x = %{{x:.3g}}, density %{{y:.3f}}"
                           "<extra></extra>"),
            meta=dict(role="component density", component=k)))
    mixture = np.empty(0) if kmeans else np.exp(logsumexp(log_comp, axis=1))
    traces.append(dict(
        type="scatter", name="mixture", x=grid if not kmeans else np.empty(0), y=mixture, mode="lines",
        line=dict(color=NEUTRAL, width=style.line * 1.2), showlegend=True,
        hovertemplate="mixture density<br>x = %{x:.3g}, density %{y:.3f}<extra></extra>",
        meta=dict(role="mixture density")))
    ghost = np.empty(0)
    if step.kind == "m_step" and index > 0:
        previous = _component_log_densities(history[index - 1], history.covariance_type, grid, K)
        ghost = np.exp(logsumexp(previous, axis=1))
    traces.append(dict(
        type="scatter", name="ghost mixture", x=grid if ghost.size else np.empty(0), y=ghost, mode="lines",
        line=dict(color=NEUTRAL, width=style.line * 0.7, dash="dash"), opacity=0.6, showlegend=bool(ghost.size),
        hoverinfo="skip", meta=dict(role="ghost mixture")))

    means = np.asarray(step.means)[:, 0]
    for k in range(K):
        if kmeans:
            top, name, dash = setup.y_top, f"centroid {k + 1}", "solid"
            hover = f"centroid {k + 1} = %{{x:.4g}}<br>{int(round(step.counts[k])):,} points<extra></extra>"
        else:
            variance = float(em_core.expand_covariances(np.asarray(step.covariances), history.covariance_type,
                                                        K, 1)[k, 0, 0])
            top = min(setup.y_top, float(step.weights[k]) / math.sqrt(2.0 * math.pi * variance))
            name, dash = f"mean {k + 1}", "dot"
            hover = (f"μ{k + 1} = %{{x:.4g}}<br>σ{k + 1} = {math.sqrt(variance):.4g}<br>"
                     f"π{k + 1} = {step.weights[k]:.3f}<extra></extra>")
        traces.append(dict(
            type="scatter", name=name, x=[float(means[k])] * 2, y=[0.0, top], mode="lines",
            line=dict(color=colors[k], width=style.line * (1.2 if kmeans else 0.8), dash=dash),
            legendgroup=f"component {k + 1}", showlegend=kmeans, hovertemplate=hover,
            meta=dict(role="mean", component=k)))

    # The points as a strip below the axis, coloured like the 2-D scatter.
    resp = np.asarray(history.responsibilities(index))
    xs = view.coordinates[:, 0]
    rug_y = setup.rug_y
    row_ids = np.arange(history.n_samples)
    if rows is not None:
        resp, xs, rug_y, row_ids = resp[rows], xs[rows], rug_y[rows], rows
    scatter_type = "scattergl" if row_ids.size > GL_THRESHOLD else "scatter"
    size = style.point * 0.8
    traces.append(dict(
        type=scatter_type, name="points", x=xs, y=rug_y, mode="markers",
        marker=_point_marker(resp, colors, color_mode, size, 0.8, K),
        customdata=_point_payload(row_ids, resp), showlegend=False,
        hovertemplate=(f"<b>row %{{customdata[0]:d}}</b><br>{x_title} = %{{x:.4g}}" + _gamma_hover(K, colors, 1)
                       + "<extra></extra>"),
        meta=dict(role="points", n_shown=int(row_ids.size), n_total=int(history.n_samples))))
    picked, tv = _changed(history, index, resp, rows)
    traces.append(dict(
        type=scatter_type, name="changed points", x=xs[picked], y=rug_y[picked], mode="markers",
        marker=dict(symbol="circle-open", size=size * 2.1, color=NEUTRAL, line=dict(width=style.line * 0.8,
                                                                                     color=NEUTRAL)),
        customdata=np.column_stack([row_ids[picked], tv]), showlegend=bool(picked.size),
        hovertemplate="<b>row %{customdata[0]:d}</b><br>responsibilities changed by %{customdata[1]:.2f}"
                      "<extra></extra>",
        meta=dict(role="changed points", count=int(picked.size))))
    if with_selected:
        coords = np.column_stack([view.coordinates[:, 0], setup.rug_y])
        traces.append(_selected_trace(history, index, coords, selected_row, style, K, colors, (x_title,)))

    if kmeans:
        text = "k-means: centroids as vertical lines<br>Strip below the axis: the points in their hard clusters"
    else:
        text = "Curves: each π_k N(x | μ_k, σ_k²) and their sum, the mixture density"
        if step.kind == "m_step":
            text += " · dashed: the mixture before this M-step"
        text += "<br>Strip below the axis: the points, coloured by their responsibilities"
        if step.kind == "e_step" and picked.size:
            text += f" · ringed: the {picked.size:,} that changed most"
    annotations = [_note(text, "step note", style)]
    if rows is not None:
        annotations.append(_subsample_note(row_ids.size, history.n_samples, style))
    return traces, annotations, step_title(history, index)


def _layout_1d(setup: _HistogramSetup, style: _Style, title, annotations, x_title) -> dict:
    # Room for a second row of legend entries (histogram, K curves, mixture and its ghost wrap
    # in a half-width column) between the subtitle and the plot.
    layout = _base_layout(style, title, annotations, top=140, bottom=_note_margin(style))
    layout["xaxis"] = dict(range=list(setup.x_range), autorange=False, title=dict(text=x_title), zeroline=False,
                           gridcolor=_GRID)
    # The strip of points lives below zero; ticks only on the density part.
    layout["yaxis"] = dict(range=[-0.14 * setup.y_top, setup.y_top], autorange=False, title=dict(text="density"),
                           tickmode="array", tickvals=_nice_ticks(setup.y_top), zeroline=True,
                           zerolinecolor=_GRID, gridcolor=_GRID)
    layout["bargap"] = 0
    return layout


def histogram_figure(history, index: int, *, bins="auto", lecture: bool = False, display_rows=None,
                     selected_row=None, color_mode: str = "mix", column_names=None,
                     view: View | None = None) -> go.Figure:
    """One step of a fit on one-column data: histogram, weighted component densities and mixture.

    Parameters
    ----------
    history : em_core.History
        Fitted on data with exactly one column.
    index : int
        Step index (negative counts from the end).
    bins : int, str or sequence
        Passed to ``numpy.histogram_bin_edges`` (``"auto"`` by default).
    lecture : bool
        Large type and lines at 1280 x 720.
    display_rows : array_like of int, optional
        Rows drawn in the strip of points below the axis.
    selected_row : int, optional
        Row to ring in the strip.
    color_mode : {"mix", "uncertainty"}
        Colouring of the strip of points.
    column_names : sequence of str, optional
        The column's name for the axis title.
    view : View, optional
        A 1-D view from :func:`make_view` (made here if not given).

    Returns
    -------
    plotly.graph_objects.Figure
        Traces, in order: ``histogram`` (a probability-density histogram),
        K ``component k`` curves ``π_k N(x | μ_k, σ_k²)``, ``mixture``,
        ``ghost mixture`` (after an M-step: the mixture before it), K ``mean k``
        lines (``centroid k``, full height, during k-means), ``points`` (the
        strip below zero), ``changed points``, then ``selected row`` if asked.
        Both axes are fixed across steps.
    """
    if history.n_features != 1:
        raise ValueError(f"histogram_figure needs one-column data; this fit has {history.n_features} columns.")
    index = _resolve_index(history, index)
    view = view if view is not None else make_view(history, column_names=column_names)
    style = _style(lecture)
    rows = _check_rows(display_rows, history.n_samples)
    selected = _check_selected(selected_row, history.n_samples)
    x_title = _default_names(column_names, 1)[0] if column_names is not None else view.axis_titles[0]
    setup = _histogram_setup(history, bins, view)
    traces, annotations, title = _scene_1d(history, index, view, setup, color_mode, rows, style, x_title,
                                           selected, selected is not None)
    return _figure(traces, _layout_1d(setup, style, title, annotations, x_title))


# --------------------------------------------------------------------------- animation
_FIXED_POSITION_ROLES = ("points",)


def animation_figure(history, view: View, *, levels=None, level_kind: str = DEFAULT_LEVEL_KIND,
                     color_mode: str = "mix", max_points: int | None = 5000, lecture: bool = False,
                     column_names=None, frame_duration: int = 700) -> go.Figure:
    """Every step as one Plotly frame, with a slider and Play/Pause buttons; runs without a server.

    Parameters
    ----------
    history : em_core.History
    view : View
        From :func:`make_view` (a 1-D view animates the histogram picture).
    levels, level_kind, color_mode, lecture, column_names
        As in :func:`step_figure`.
    max_points : int or None
        Draw at most this many points (a fixed random subset; the fit used all).
    frame_duration : int
        Milliseconds per step while playing.

    Returns
    -------
    plotly.graph_objects.Figure
        ``len(history)`` frames named ``"0"``, ``"1"``, ...; every frame carries
        the same traces in the same order as ``fig.data`` (empty where a step
        has nothing to draw). The slider steps are labelled by
        :func:`step_label`, e.g. ``"it 3 · M-step"``. Suitable for
        ``fig.write_html(path, include_plotlyjs=True)``.

    Notes
    -----
    Point positions are sent once (in ``fig.data``); each frame restyles the
    points' colours and hover data and redraws everything else. plotly.py
    validates every frame, mostly the N colour strings, so building takes about
    a second for 500 points and 50 steps, and a few seconds at 5,000 points:
    build it on demand and cache it per fit.
    """
    style = _style(lecture)
    rows = _subsample_rows(history.n_samples, max_points)
    if view.is_1d:
        x_title = _default_names(column_names, 1)[0] if column_names is not None else view.axis_titles[0]
        setup = _histogram_setup(history, "auto", view)

        def scene(i):
            return _scene_1d(history, i, view, setup, color_mode, rows, style, x_title, None, False)
    else:
        titles = _axis_titles(view, column_names)
        parsed_levels = _levels(levels, level_kind)

        def scene(i):
            return _scene_2d(history, i, view, parsed_levels, color_mode, rows, style, titles, None, False)

    frames = []
    first = None
    for i in range(len(history)):
        traces, annotations, title = scene(i)
        if first is None:
            first = (traces, annotations, title)
        # Point positions never change between steps: send them once, in fig.data,
        # and let each frame restyle colours and hover data only (frames are merged
        # into the traces by plotly.js). This keeps the offline HTML small.
        slim = [{key: value for key, value in trace.items() if key not in ("x", "y")}
                if trace["meta"]["role"] in _FIXED_POSITION_ROLES else trace for trace in traces]
        frames.append(dict(name=str(i), data=slim, layout=dict(title=_title(title, style), annotations=annotations)))

    traces, annotations, title = first
    if view.is_1d:
        layout = _layout_1d(setup, style, title, annotations, x_title)
    else:
        layout = _layout_2d(view, style, title, annotations, titles)
    layout["height"] = style.height + 100
    layout["margin"]["b"] = layout["margin"]["b"] + 100
    many = len(history) > 16
    still = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    layout["sliders"] = [dict(
        active=0, x=0.22, len=0.78, y=0.0, yanchor="top", pad=dict(t=_note_margin(style) + 10, b=0),
        currentvalue=dict(prefix="step: ", visible=True, xanchor="left", font=dict(size=style.font, color=NEUTRAL)),
        # With dozens of steps the tick labels collide; the current value shows the label instead.
        font=dict(size=max(style.font - 3, 9), color=_TRANSPARENT if many else NEUTRAL),
        steps=[dict(method="animate", label=step_label(step), args=[[str(step.index)], still])
               for step in history],
    )]
    layout["updatemenus"] = [dict(
        type="buttons", direction="left", showactive=False, x=0.0, xanchor="left", y=0.0, yanchor="top",
        pad=dict(t=_note_margin(style) + 20, r=10),
        buttons=[
            dict(label="▶ Play", method="animate",
                 args=[None, dict(mode="immediate", fromcurrent=True, frame=dict(duration=frame_duration, redraw=True),
                                  transition=dict(duration=0))]),
            dict(label="❚❚ Pause", method="animate",
                 args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                    transition=dict(duration=0))]),
        ],
    )]
    return _figure(traces, layout, frames)


# --------------------------------------------------------------------------- side panels
def _panel_layout(style: _Style, title: str, x_title: str, y_title: str) -> dict:
    return dict(
        paper_bgcolor=_TRANSPARENT, plot_bgcolor=_TRANSPARENT,
        font=dict(size=style.font), title=dict(text=title, x=0.01, xanchor="left", font=dict(size=style.font + 2)),
        height=style.panel_height,
        margin=dict(l=60, r=20, t=60, b=50), hovermode="closest", uirevision="emviz",
        legend=dict(orientation="h", x=0.0, y=-0.25, yanchor="top", bgcolor=_TRANSPARENT),
        xaxis=dict(title=dict(text=x_title), gridcolor=_GRID, zeroline=False),
        yaxis=dict(title=dict(text=y_title), gridcolor=_GRID, zeroline=False),
    )


def _current_line(index: int) -> dict:
    return dict(type="line", name="current step", xref="x", yref="paper", x0=index, x1=index, y0=0, y1=1,
                line=dict(color=NEUTRAL, width=1.5, dash="dot"))


def _current_label(index: int, label: str, style: _Style) -> dict:
    return dict(text=label, name="current step", xref="x", yref="paper", x=index, y=1.0, yanchor="bottom",
                showarrow=False, font=dict(size=max(style.font - 2, 10)))


def _empty_state(style: _Style, title: str, text: str) -> go.Figure:
    layout = _panel_layout(style, title, "", "")
    layout["xaxis"].update(visible=False)
    layout["yaxis"].update(visible=False)
    layout["annotations"] = [dict(text=text, name="empty note", xref="paper", yref="paper", x=0.5, y=0.5,
                                  showarrow=False, font=dict(size=style.font))]
    return _figure([], layout)


def loglik_figure(history, index: int, *, lecture: bool = False) -> go.Figure:
    """Log-likelihood and Jensen lower bound over the EM steps, the current step marked.

    Parameters
    ----------
    history : em_core.History
    index : int
        Current step (negative counts from the end).
    lecture : bool

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``log-likelihood``, ``lower bound``, the M-steps where the
        log-likelihood fell (``meta.role == "likelihood decreases"``, empty when
        none did) and ``current step`` (a marker, empty during k-means); a dotted
        vertical line (shape ``current step``) at the current step. x is the step
        index; hover gives the step label. The bound touches the log-likelihood
        after every E-step and lies below it after an M-step: without
        ``reg_covar`` the log-likelihood never decreases.
    """
    index = _resolve_index(history, index)
    style = _style(lecture)
    em = np.array(history.indices_of("init", "e_step", "m_step"))
    ll = history.log_likelihoods()[em]
    lb = history.lower_bounds()[em]
    labels = [step_label(history[i]) for i in em]
    layout = _panel_layout(style, "Log-likelihood and its lower bound", "step", "log-likelihood")
    traces = [
        dict(type="scatter", name="log-likelihood", x=em, y=ll, mode="lines+markers", customdata=labels,
             line=dict(color="rgb(0,114,178)", width=2), marker=dict(size=5),
             hovertemplate="%{customdata}<br>log-likelihood %{y:,.3f}<extra></extra>"),
        dict(type="scatter", name="lower bound (Jensen)", x=em, y=lb, mode="lines+markers", customdata=labels,
             line=dict(color="rgb(230,159,0)", width=1.5, dash="dash"), marker=dict(size=4, symbol="triangle-up"),
             hovertemplate="%{customdata}<br>lower bound %{y:,.3f}<extra></extra>"),
    ]
    # Where the log-likelihood fell: named for what it is, a regularised M-step (reg_covar > 0
    # moves the M-step off the bound's maximiser); without regularisation it would be a bug.
    fell = explain.likelihood_decreases(history)
    regularised = history.options.get("reg_covar", 0.0) > 0
    traces.append(dict(type="scatter", name="fell: regularised M-step" if regularised else "fell (unexpected)",
                       x=fell, y=[history[i].log_likelihood for i in fell], mode="markers",
                       customdata=[step_label(history[i]) for i in fell], showlegend=bool(fell),
                       marker=dict(size=11, symbol="x-thin-open", color="rgb(213,94,0)", line=dict(width=2.5)),
                       hovertemplate=("%{customdata}<br>log-likelihood fell: with reg_covar > 0 the M-step's "
                                      "Σ = S/Nₖ + εI<br>is not the bound's maximiser<extra></extra>"
                                      if regularised else "%{customdata}<br>log-likelihood fell<extra></extra>"),
                       meta=dict(role="likelihood decreases")))
    step = history[index]
    current_x, current_y = [], []
    if step.is_kmeans:
        layout["annotations"] = [dict(text=f"k-means phase: EM starts at step {history.first_em_index}",
                                      name="phase note", xref="paper", yref="paper", x=0.99, y=0.05,
                                      xanchor="right", showarrow=False)]
    else:
        current_x, current_y = [index], [step.log_likelihood]
        layout["shapes"] = [_current_line(index)]
        layout["annotations"] = [_current_label(index, step_label(step), style)]
    traces.append(dict(type="scatter", name="current step", x=current_x, y=current_y, mode="markers",
                       marker=dict(size=12, color="rgb(0,114,178)", line=dict(width=2, color="white")),
                       showlegend=False, hovertemplate="current step<br>log-likelihood %{y:,.3f}<extra></extra>"))
    layout["xaxis"]["range"] = [em[0] - 0.5, em[-1] + 0.5]
    return _figure(traces, layout)


def weights_figure(history, index: int, *, lecture: bool = False) -> go.Figure:
    """Mixing proportions π_k over all steps (cluster fractions during k-means), the current step marked.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``π k`` line per component in its colour, a ``current step`` marker
        trace (K points) and a dotted vertical line; the k-means phase is shaded.
    """
    index = _resolve_index(history, index)
    style = _style(lecture)
    K = history.n_components
    colors = component_colors(K)
    x = np.arange(len(history))
    weights = np.array([np.asarray(step.weights) for step in history])
    labels = [step_label(step) for step in history]
    layout = _panel_layout(style, "Mixing proportions π", "step", "π")
    layout["yaxis"]["range"] = [0.0, min(1.0, float(weights.max()) * 1.1 + 0.02)]
    traces = [dict(type="scatter", name=f"π{k + 1}", x=x, y=weights[:, k], mode="lines",
                   line=dict(color=colors[k], width=2), customdata=labels, legendgroup=f"component {k + 1}",
                   hovertemplate=f"%{{customdata}}<br>π{k + 1} = %{{y:.3f}}<extra></extra>") for k in range(K)]
    traces.append(dict(type="scatter", name="current step", x=[index] * K, y=weights[index], mode="markers",
                       marker=dict(size=10, color=colors, line=dict(width=1.5, color="white")), showlegend=False,
                       hovertemplate="current step<br>π = %{y:.3f}<extra></extra>"))
    shapes = [_current_line(index)]
    layout["annotations"] = [_current_label(index, labels[index], style)]
    first_em = history.first_em_index
    if first_em > 0:
        shapes.insert(0, dict(type="rect", name="k-means phase", xref="x", yref="paper", x0=-0.5, x1=first_em - 0.5,
                              y0=0, y1=1, fillcolor="rgba(128,128,128,0.12)", line=dict(width=0), layer="below",
                              label=dict(text="k-means", textposition="top left", font=dict(size=11))))
    layout["shapes"] = shapes
    layout["xaxis"]["range"] = [-0.5, len(history) - 0.5]
    return _figure(traces, layout)


def kmeans_objective_figure(history, index: int, *, lecture: bool = False) -> go.Figure:
    """The k-means objective J over the k-means steps, the current step marked.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``J`` and ``current step``; when the fit had no k-means steps, an
        empty figure whose annotation (``empty note``) says so.
    """
    index = _resolve_index(history, index)
    style = _style(lecture)
    km = history.indices_of("kmeans_assign", "kmeans_update")
    title = "k-means objective J"
    if not km:
        return _empty_state(style, title, f"No k-means steps: this fit started with init = '{history.init}'.")
    J = np.array([history[i].kmeans_objective for i in km])
    labels = [step_label(history[i]) for i in km]
    layout = _panel_layout(style, title, "step", "J (sum of squared distances)")
    traces = [dict(type="scatter", name="J", x=km, y=J, mode="lines+markers", customdata=labels,
                   line=dict(color="rgb(0,158,115)", width=2), marker=dict(size=5),
                   hovertemplate="%{customdata}<br>J = %{y:,.4g}<extra></extra>")]
    step = history[index]
    current_x, current_y = [], []
    if step.is_kmeans:
        current_x, current_y = [index], [step.kmeans_objective]
        layout["shapes"] = [_current_line(index)]
        layout["annotations"] = [_current_label(index, labels[km.index(index)], style)]
    else:
        layout["annotations"] = [dict(text=f"EM phase: k-means ended at step {km[-1]}", name="phase note",
                                      xref="paper", yref="paper", x=0.99, y=0.95, xanchor="right",
                                      showarrow=False)]
    traces.append(dict(type="scatter", name="current step", x=current_x, y=current_y, mode="markers",
                       marker=dict(size=12, color="rgb(0,158,115)", line=dict(width=2, color="white")),
                       showlegend=False, hovertemplate="current step<br>J = %{y:,.4g}<extra></extra>"))
    layout["xaxis"]["range"] = [km[0] - 0.5, km[-1] + 0.5]
    return _figure(traces, layout)


# --------------------------------------------------------------------------- table
def _compact(values, digits: int = 3) -> str:
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        return "[" + ", ".join(f"{v:.{digits}g}" for v in array) + "]"
    return "[" + ", ".join(_compact(row, digits) for row in array) + "]"


def parameters_table(history, index: int, column_names=None) -> pd.DataFrame:
    """π, N_k, μ and Σ of every component at step ``index``.

    Parameters
    ----------
    history : em_core.History
    index : int
    column_names : sequence of str, optional
        One name per data column (default ``x1, x2, ...``).

    Returns
    -------
    pandas.DataFrame
        One row per component: ``component`` (1-based), ``π``, ``N_k``, then for
        d <= 3 one numeric column per mean entry (``μ[x]``) and per covariance
        entry on and above the diagonal (``Σ[x,y]``); for d > 3 two text columns
        ``μ`` and ``Σ`` (e.g. ``"[[1.02, 0.31], [0.31, 0.54]]"``). During k-means
        the values are the hard clusters' fractions, centroids and spreads.
    """
    step = history[_resolve_index(history, index)]
    K, d = history.n_components, history.n_features
    names = _default_names(column_names, d)
    full = em_core.expand_covariances(np.asarray(step.covariances), history.covariance_type, K, d)
    table: dict[str, object] = {"component": np.arange(1, K + 1), "π": np.asarray(step.weights, dtype=float),
                                "N_k": np.asarray(step.counts, dtype=float)}
    if d <= 3:
        for j in range(d):
            table[f"μ[{names[j]}]"] = step.means[:, j]
        for i in range(d):
            for j in range(i, d):
                table[f"Σ[{names[i]},{names[j]}]"] = full[:, i, j]
    else:
        table["μ"] = [_compact(step.means[k]) for k in range(K)]
        table["Σ"] = [_compact(full[k]) for k in range(K)]
    return pd.DataFrame(table)
