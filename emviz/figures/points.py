"""The data points, as both scenes draw them: colours, hover data, the changed-points ring, the selected row.

Any trace of data points keeps the point's row index in ``customdata[:, 0]``,
which the explorer's stepper (``emviz/stepper.js``) reads back from a click.
"""

from __future__ import annotations

import math

import numpy as np

from .. import explain
from ..palette import NEUTRAL, UNCERTAINTY_COLORSCALE, component_symbols, mix_colors
from .style import GL_THRESHOLD

#: Fraction of displayed points ringed after an E-step (largest responsibility change).
CHANGED_FRACTION = 0.05
#: Total-variation changes below this are not worth a ring even if in the top fraction.
CHANGED_MIN_TV = 0.01


def changed(history, index: int, rows) -> tuple[np.ndarray, np.ndarray]:
    """Displayed positions whose responsibilities moved most at this step, and their change.

    The change is :func:`emviz.explain.responsibility_change` (total variation
    against the responsibilities in force one step earlier). After an E-step the
    top ``CHANGED_FRACTION`` are kept; after a k-means assignment, every point
    that switched cluster.
    """
    step = history[index]
    empty = np.empty(0, dtype=np.intp), np.empty(0)
    if index == 0 or step.kind not in ("e_step", "kmeans_assign"):
        return empty
    tv = explain.responsibility_change(history, index)
    if rows is not None:
        tv = tv[rows]
    if step.kind == "kmeans_assign":
        picked = np.flatnonzero(tv > 0.5)
    else:
        count = min(tv.size, max(1, math.ceil(CHANGED_FRACTION * tv.size)))
        top = np.argpartition(-tv, count - 1)[:count]
        picked = np.sort(top[tv[top] > CHANGED_MIN_TV])
    return picked, tv[picked]


def gamma_hover(K: int, colors: list[str], first: int) -> str:
    return "".join(f"<br><span style='color:{colors[k]}'>●</span> γ{k + 1} = %{{customdata[{first + k}]:.3f}}"
                   for k in range(K))


def payload(row_ids: np.ndarray, resp: np.ndarray, uncertainty: bool = False) -> np.ndarray:
    """``customdata`` for data points: row index, the K responsibilities, then 1 - max γ if ``uncertainty``.

    float32 halves what every animation frame ships to the browser; it holds row
    indices exactly up to 2^24 and γ far beyond the three decimals shown. The
    last column is only sent when the hover shows it (points coloured by uncertainty).
    """
    columns = [row_ids, resp] + ([1.0 - resp.max(axis=1)] if uncertainty else [])
    return np.column_stack(columns).astype(np.float32)


def marker(resp, colors, color_mode: str, size: float, opacity: float, K: int) -> dict:
    """Points in the responsibility-weighted mix of the component colours, or by ``1 - max γ``.

    Either way, up to ``GL_THRESHOLD`` points, each point takes the shape of its most
    responsible component (``palette.component_symbols``), so the picture does not rest
    on colour alone. Beyond that the points are drawn with WebGL, where a shape per
    point costs every step a redraw of thousands of sprites and is too small to read:
    the means keep their shapes and labels there.
    """
    resp = np.asarray(resp)
    symbols = 0
    if resp.shape[0] <= GL_THRESHOLD:
        symbols = np.asarray(component_symbols(K), dtype=np.int8)[resp.argmax(axis=1)]
    if color_mode == "mix":
        return dict(color=mix_colors(resp, colors), size=size, opacity=opacity, line=dict(width=0), symbol=symbols)
    if color_mode == "uncertainty":
        # A fixed colour range (0 up to the most uncertain possible, 1 - 1/K)
        # keeps the colour bar from rescaling between steps.
        return dict(color=1.0 - resp.max(axis=1), colorscale=UNCERTAINTY_COLORSCALE, cmin=0.0,
                    cmax=(1.0 - 1.0 / K) if K > 1 else 1.0, showscale=True, size=size, opacity=opacity,
                    line=dict(width=0), symbol=symbols,
                    colorbar=dict(title=dict(text="1 − max γ"), thickness=14, len=0.75, x=1.01))
    raise ValueError(f"color_mode must be 'mix' or 'uncertainty'; got {color_mode!r}.")


def ring_marker(size: float, width: float) -> dict:
    """An open neutral circle drawn around a point."""
    return dict(symbol="circle-open", size=size, color=NEUTRAL, line=dict(width=width, color=NEUTRAL))


def selected_trace(history, index, coordinates, row, style, K, colors, axis_titles) -> dict:
    """The ``selected row`` trace: a ring and a label on one point (empty when no row is selected).

    ``coordinates`` are the screen positions of every row, (N, 2); in 1-D the
    second column is the point's height in the strip below the axis.
    """
    xs, ys, custom, text = [], [], np.empty((0, K + 1)), []
    if row is not None:
        resp = np.asarray(history.responsibilities(index))[row:row + 1]
        point = coordinates[row]
        xs = [float(point[0])]
        ys = [float(point[1])] if coordinates.shape[1] > 1 else [None]
        custom = payload(np.array([row]), resp)
        text = [f"row {row}"]
    return dict(
        type="scatter", name="selected row", x=xs, y=ys, mode="markers+text", text=text,
        textposition="bottom center", textfont=dict(size=style.font),
        marker=ring_marker(style.point * 3.2, style.line * 1.5),
        customdata=custom, showlegend=False,
        hovertemplate=(f"<b>selected: row %{{customdata[0]:d}}</b><br>{axis_titles[0]} = %{{x:.4g}}"
                       + gamma_hover(K, colors, 1) + "<extra></extra>"),
        meta=dict(role="selected row", row=row))
