"""Every step of a fit as one Plotly figure with frames, a slider and Play/Pause: runs without a server."""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go
from plotly.io.json import to_json_plotly

from ..ellipse_levels import DEFAULT_LEVEL_KIND
from ..explain import step_label
from ..palette import NEUTRAL
from .step import scene_for
from .style import TRANSPARENT, figure, note_margin, title
from .view import View, subsample_rows

_FIXED_POSITION_ROLES = ("points",)
# Outlines drawn as lines: float32 is exact to far below a pixel and halves their share of the file.
_OUTLINE_ROLES = ("ellipse", "ghost ellipse", "component density", "mixture density", "ghost mixture")
_RGB = re.compile(r"rgb\((\d+),(\d+),(\d+)\)")


def _hex(colour):
    """``"rgb(0,114,178)"`` as ``"#0072b2"``: the same colour in 7 characters instead of 14."""
    found = _RGB.fullmatch(colour) if isinstance(colour, str) else None
    return "#%02x%02x%02x" % tuple(int(c) for c in found.groups()) if found else colour


def _compact(trace: dict) -> dict:
    """The same trace in fewer bytes: float32 outlines, hex point colours, no fixed point positions."""
    role = trace["meta"]["role"]
    if role in _FIXED_POSITION_ROLES:
        # Point positions never change between steps: sent once, in fig.data.
        trace = {key: value for key, value in trace.items() if key not in ("x", "y")}
    if role in _OUTLINE_ROLES:
        # A list with None gaps (the ghosts) becomes an array with NaN gaps, which plotly.js draws alike.
        trace = dict(trace, x=np.asarray(trace["x"], dtype=np.float32), y=np.asarray(trace["y"], dtype=np.float32))
    marker = trace.get("marker")
    if isinstance(marker, dict) and isinstance(marker.get("color"), list):
        trace = dict(trace, marker=dict(marker, color=[_hex(c) for c in marker["color"]]))
    return trace


def _encoded(trace: dict) -> dict:
    """Each attribute of a trace as JSON text, to see what changed between two steps."""
    return {key: to_json_plotly(value) for key, value in trace.items()}


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
        ``len(history)`` frames named ``"0"``, ``"1"``, ...; frame 0 carries
        every trace of ``fig.data`` (empty where a step has nothing to draw),
        each later frame only the traces that differ from the step before
        (``traces`` lists their indices) on top of that step
        (``baseframe``), so that plotly.js, merging a frame's chain, gets every
        step whole wherever the slider jumps. The slider steps are labelled by
        :func:`step_label`, e.g. ``"it 3 · M-step"``. Suitable for
        ``fig.write_html(path, include_plotlyjs=True)``.

    Notes
    -----
    Frames carry only what changes: point positions are sent once (in
    ``fig.data``), an E-step's frame restyles the points' colours, hover data
    and rings, an M-step's frame the ellipses, ghosts, arrows and means. plotly.py
    validates every frame, so building takes about a second for 500 points and
    50 steps, and a few seconds at 5,000 points: build it on demand and cache
    it per fit.
    """
    drawer = scene_for(history, view, levels=levels, level_kind=level_kind, color_mode=color_mode,
                       rows=subsample_rows(history.n_samples, max_points), lecture=lecture,
                       column_names=column_names)
    style = drawer.style
    frames = []
    first = None
    before: list[str] = []
    for i in range(len(history)):
        scene = drawer.scene(i)
        annotations = scene.annotations(style)
        if first is None:
            first = (scene, annotations)
        slim = [_compact(trace) for trace in scene.traces]
        now = [_encoded(trace) for trace in slim]
        frame = dict(name=str(i), layout=dict(title=title(scene.title, style), annotations=annotations))
        if i == 0:
            frame["data"] = slim
        else:
            # Only what this step changed, merged by plotly.js onto the step before (and so on back
            # to frame 0): an E-step recolours the points, an M-step moves ellipses, arrows and means.
            # Within a changed trace only its changed attributes go (plotly.js merges them in deeply).
            changed = [j for j in range(len(now)) if now[j] != before[j]]
            data = [{key: value for key, value in slim[j].items() if now[j][key] != before[j].get(key)}
                    for j in changed]
            frame.update(baseframe=str(i - 1), traces=changed, data=data)
        frames.append(frame)
        before = now

    scene, annotations = first
    layout = drawer.layout(scene.title, annotations)
    layout["height"] = style.height + 100
    layout["margin"]["b"] = layout["margin"]["b"] + 100
    many = len(history) > 16
    still = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    layout["sliders"] = [dict(
        active=0, x=0.22, len=0.78, y=0.0, yanchor="top", pad=dict(t=note_margin(style) + 10, b=0),
        currentvalue=dict(prefix="step: ", visible=True, xanchor="left", font=dict(size=style.font, color=NEUTRAL)),
        # With dozens of steps the tick labels collide; the current value shows the label instead.
        font=dict(size=max(style.font - 3, 9), color=TRANSPARENT if many else NEUTRAL),
        steps=[dict(method="animate", label=step_label(step), args=[[str(step.index)], still])
               for step in history],
    )]
    layout["updatemenus"] = [dict(
        type="buttons", direction="left", showactive=False, x=0.0, xanchor="left", y=0.0, yanchor="top",
        pad=dict(t=note_margin(style) + 20, r=10),
        buttons=[
            dict(label="▶ Play", method="animate",
                 args=[None, dict(mode="immediate", fromcurrent=True, frame=dict(duration=frame_duration, redraw=True),
                                  transition=dict(duration=0))]),
            dict(label="❚❚ Pause", method="animate",
                 args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                    transition=dict(duration=0))]),
        ],
    )]
    return figure(scene.traces, layout, frames)
