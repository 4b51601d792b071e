"""One step's picture, for any view: the single place where 1-D and 2-D data part ways.

:func:`scene_for` picks the scene module for a view (a histogram for a 1-D
view, a scatter otherwise); :func:`step_picture` turns one step's scene into a
figure plus its note, and :mod:`.animation` reuses the same scenes for every
frame.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import plotly.graph_objects as go

from ..ellipse_levels import DEFAULT_LEVEL_KIND
from .histogram import HistogramScene, histogram_setup
from .overlays import overlay_layers, overlay_note
from .scatter import ScatterScene, levels_of
from .style import figure, style_for
from .view import View, axis_titles, check_rows, check_selected, make_view, resolve_index


def scene_for(history, view: View, *, levels=None, level_kind: str = DEFAULT_LEVEL_KIND, color_mode: str = "mix",
              rows=None, lecture: bool = False, column_names=None, bins="auto"):
    """The scene that draws every step of ``history`` in ``view``.

    Returns a :class:`.histogram.HistogramScene` for a 1-D view, else a
    :class:`.scatter.ScatterScene`; both offer ``scene(index, selected_row=None)
    -> Scene`` (a ringed row adds its trace) and ``layout(title, annotations) -> dict``.
    ``levels``/``level_kind`` only matter in 2-D, ``bins`` only in 1-D.
    """
    style = style_for(lecture)
    titles = axis_titles(view, column_names)
    if view.is_1d:
        return HistogramScene(history, view, histogram_setup(history, bins, view), color_mode, rows, style,
                              titles[0])
    return ScatterScene(history, view, levels_of(levels, level_kind), color_mode, rows, style, titles)


@dataclass(frozen=True)
class StepPicture:
    """A step's figure and its note (what the picture shows, Plotly markup, lines joined by ``<br>``)."""

    figure: go.Figure
    note: str


def step_picture(history, index: int, view: View, *, levels=None, level_kind: str = DEFAULT_LEVEL_KIND,
                 color_mode: str = "mix", display_rows=None, selected_row=None, lecture: bool = False,
                 column_names=None, note_in_figure: bool = True, bins="auto", overlays=(),
                 overlay_seed: int = 0) -> StepPicture:
    """:func:`step_figure` and its note, the note optionally left out of the figure (to show it elsewhere).

    ``overlays`` (keys of :data:`.overlays.OVERLAYS`) add the density contours, the
    posterior map and a sample of the step's mixture (seeded by ``overlay_seed``
    and the step) on top of the scene's own traces.
    """
    index = resolve_index(history, index)
    rows = check_rows(display_rows, history.n_samples)
    selected = check_selected(selected_row, history.n_samples)
    drawer = scene_for(history, view, levels=levels, level_kind=level_kind, color_mode=color_mode, rows=rows,
                       lecture=lecture, column_names=column_names, bins=bins)
    scene = drawer.scene(index, selected)
    extra_note = overlay_note(history, index, view, overlays)
    if extra_note:
        scene = replace(scene, note=f"{scene.note}<br>{extra_note}")
    annotations = scene.annotations(drawer.style, with_note=note_in_figure)
    layout = drawer.layout(scene.title, annotations)
    if extra_note and note_in_figure:
        # One more line of note under the plot: room for it.
        layout["margin"] = dict(layout["margin"], b=layout["margin"]["b"] + int(1.4 * max(drawer.style.font - 2, 10)))
    traces = list(scene.traces)
    if overlays:
        extra, images = overlay_layers(history, index, view, overlays, drawer.style,
                                       n_points=history.n_samples if rows is None else len(rows), seed=overlay_seed)
        traces += extra
        layout["images"] = list(layout.get("images", [])) + images
    return StepPicture(figure(traces, layout), scene.note)


def step_figure(history, index: int, view: View, *, levels=None, level_kind: str = DEFAULT_LEVEL_KIND,
                color_mode: str = "mix", display_rows=None, selected_row=None, lecture: bool = False,
                column_names=None) -> go.Figure:
    """The main picture of one step: points, means and covariance ellipses (a histogram in 1-D).

    Parameters
    ----------
    history : em_core.History
    index : int
        Step index (negative counts from the end).
    view : View
        From :func:`make_view`; a 1-D view draws :func:`histogram_figure`'s picture.
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
        Overrides the view's axis titles in ``"columns"`` and ``"1d"`` mode.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces, in order: ``points``, ``changed points``, K x len(levels)
        ``ellipse k=.. ..``, K ``ghost ellipse k=..``, K ``arrow ..``, K
        ``mean ..`` (``centroid ..`` during k-means), then ``selected row`` if
        asked for. Traces with nothing to show at this step are empty. The
        note under the plot is the annotation named ``step note``.

    Notes
    -----
    - k-means steps: hard colours, centroids, no ellipses; after an update,
      arrows from the old to the new centroids; after an assignment, rings on
      the points that switched cluster.
    - After an M-step the previous ellipses are drawn as dashed ghosts with an
      arrow from each old mean to the new one; after an E-step the 5 % of
      points whose responsibilities moved most (total variation) are ringed.
    """
    return step_picture(history, index, view, levels=levels, level_kind=level_kind, color_mode=color_mode,
                        display_rows=display_rows, selected_row=selected_row, lecture=lecture,
                        column_names=column_names).figure


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
    view = view if view is not None else make_view(history, column_names=column_names)
    return step_picture(history, index, view, lecture=lecture, display_rows=display_rows,
                        selected_row=selected_row, color_mode=color_mode, column_names=column_names,
                        bins=bins).figure
