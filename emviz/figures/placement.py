"""The picture for placing the starting means by hand: the data alone, and the means placed so far.

Before any fit there are no responsibilities, ellipses or steps: the points are
drawn in one neutral colour (a histogram and a strip in 1-D) and the placed
means as numbered markers in their components' colours and shapes. The
explorer's stepper adds, moves and removes the numbered markers in the browser
as the learner clicks; this figure is what it starts from.

Traces, in order: ``"points"`` (a histogram ``"histogram"`` first in 1-D), then
``"placed means"`` (``meta.role == "placed means"``, ``meta.colors`` and
``meta.symbols`` one per component, so the browser can draw the next one).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..palette import NEUTRAL, component_colors, component_symbols
from .style import GL_THRESHOLD, GRID, base_layout, figure, note, note_margin, style_for
from .view import View

#: Where the strip of points sits under a 1-D histogram, as a share of the histogram's height.
_STRIP = (-0.11, -0.03)


def placement_figure(view: View, placed, n_components: int, *, lecture: bool = False,
                     display_rows=None) -> go.Figure:
    """The data in ``view`` with the means placed so far, numbered 1, 2, ….

    Parameters
    ----------
    view : View
        From :func:`emviz.figures.view.data_view` (no fit yet) or any fit's view.
    placed : array_like of shape (M, d), M <= n_components
        The placed means in data coordinates (projected into the view here).
    n_components : int
        K: how many means are wanted.
    lecture : bool
        Projector sizes.
    display_rows : array_like of int, optional
        The rows to draw (a fixed sample of a large data set); every row by default.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    style = style_for(lecture)
    xy = view.coordinates if display_rows is None else view.coordinates[np.asarray(display_rows)]
    placed = np.asarray(placed, dtype=float).reshape(-1, view.projection.shape[0])
    shown = view.project_points(placed) if placed.size else np.zeros((0, view.projection.shape[1]))
    colors, symbols = component_colors(n_components), component_symbols(n_components)
    count = len(shown)
    # No count in the title: the browser adds and removes means without redrawing it (its hint counts).
    head = (f"Place the {n_components} starting means",
            "Click on the chart to place the next mean; click a placed mean to remove it.")
    traces, y_top = [], None
    if view.is_1d:
        heights, edges = np.histogram(xy[:, 0], bins="auto", density=True)
        y_top = 1.1 * float(heights.max()) if heights.size else 1.0
        traces.append(dict(type="bar", name="histogram", x=0.5 * (edges[:-1] + edges[1:]), y=heights,
                           width=np.diff(edges), marker=dict(color=NEUTRAL, opacity=0.35), hoverinfo="skip",
                           showlegend=False, meta=dict(role="histogram")))
        strip = np.random.default_rng(0).uniform(*_STRIP, size=len(xy)) * y_top
        points_xy = np.column_stack([xy[:, 0], strip])
        means_xy = np.column_stack([shown[:, 0], np.zeros(count)]) if count else np.zeros((0, 2))
    else:
        points_xy, means_xy = xy, shown
    many = len(points_xy) > GL_THRESHOLD
    traces.append(dict(type="scattergl" if many else "scatter", name="points", x=points_xy[:, 0], y=points_xy[:, 1],
                       mode="markers", marker=dict(color=NEUTRAL, size=style.point * (0.7 if many else 1.0),
                                                   opacity=0.55), hoverinfo="skip", showlegend=False,
                       meta=dict(role="points")))
    traces.append(dict(type="scatter", name="placed means", x=means_xy[:, 0], y=means_xy[:, 1],
                       mode="markers+text", text=[str(k + 1) for k in range(count)], textposition="middle center",
                       textfont=dict(color="white", size=style.font),
                       marker=dict(color=colors[:count], symbol=symbols[:count], size=style.mean * 1.6,
                                   line=dict(color="white", width=1.5)),
                       hovertemplate="placed mean %{text}<extra></extra>", showlegend=False, cliponaxis=False,
                       meta=dict(role="placed means", colors=colors, symbols=symbols, n_components=n_components)))
    layout = base_layout(style, head, [note("The fit starts once all K means are placed.", "placement note",
                                            style)], bottom=note_margin(style))
    titles = view.axis_titles
    layout["xaxis"] = dict(range=list(view.x_range), autorange=False, title=dict(text=titles[0]), zeroline=False,
                           gridcolor=GRID, fixedrange=True)
    if view.is_1d:
        layout["yaxis"] = dict(range=[_STRIP[0] * 1.3 * y_top, y_top], autorange=False, title=dict(text="density"),
                               zeroline=True, gridcolor=GRID, fixedrange=True)
        layout["bargap"] = 0
    else:
        layout["yaxis"] = dict(range=list(view.y_range), autorange=False, title=dict(text=titles[1]),
                               zeroline=False, gridcolor=GRID, fixedrange=True)
        if view.equal_aspect:
            layout["yaxis"].update(scaleanchor="x", scaleratio=1)
    # No zoom box while placing: a click is a placement, and a slightly moved click must not zoom.
    layout["dragmode"] = False
    return figure(traces, layout)
