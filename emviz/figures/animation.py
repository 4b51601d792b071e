"""Every step of a fit as one Plotly figure with frames, a slider and Play/Pause: runs without a server."""

from __future__ import annotations

import plotly.graph_objects as go

from ..ellipse_levels import DEFAULT_LEVEL_KIND
from ..explain import step_label
from ..palette import NEUTRAL
from .step import scene_for
from .style import TRANSPARENT, figure, note_margin, title
from .view import View, subsample_rows

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
    drawer = scene_for(history, view, levels=levels, level_kind=level_kind, color_mode=color_mode,
                       rows=subsample_rows(history.n_samples, max_points), lecture=lecture,
                       column_names=column_names)
    style = drawer.style
    frames = []
    first = None
    for i in range(len(history)):
        scene = drawer.scene(i, None, False)
        annotations = scene.annotations(style)
        if first is None:
            first = (scene, annotations)
        # Point positions never change between steps: send them once, in fig.data,
        # and let each frame restyle colours and hover data only (frames are merged
        # into the traces by plotly.js). This keeps the offline HTML small.
        slim = [{key: value for key, value in trace.items() if key not in ("x", "y")}
                if trace["meta"]["role"] in _FIXED_POSITION_ROLES else trace for trace in scene.traces]
        frames.append(dict(name=str(i), data=slim, layout=dict(title=title(scene.title, style),
                                                               annotations=annotations)))

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
