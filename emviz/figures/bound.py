"""The bound EM climbs, along one iteration: log-likelihood and Jensen bound over a path θ(t).

t = 0 is the parameters before the iteration's E-step, t = 1 the M-step's
result (``em_core.bound_along_path`` defines the path). The picture shows the
two facts behind "EM never lowers the likelihood": the bound touches the
log-likelihood at t = 0 (the E-step made it tight) and peaks at t = 1 (the
M-step maximised it), and the gap left at t = 1 is KL(q ‖ posterior).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import em_core

from ..palette import NEUTRAL
from .panels import _empty_state, _panel_layout
from .style import figure, style_for
from .view import resolve_index

__all__ = ["BOUND_PATH_TS", "bound_path_figure", "bound_path_iteration"]

#: Where the path is evaluated: from half a step before the E-step's parameters to half a step past the
#: M-step's (the path keeps every θ(t) valid, so any range works); 0 and 1 lie on the grid.
BOUND_PATH_TS = np.linspace(-0.5, 1.5, 41)

_LL_COLOUR = "rgb(0,114,178)"
_BOUND_COLOUR = "rgb(230,159,0)"


def bound_path_iteration(history, index: int) -> int | None:
    """The M-step whose iteration step ``index`` belongs to (an E-step's next step), or None outside EM."""
    index = resolve_index(history, index)
    step = history[index]
    if step.kind == "m_step":
        return index
    if step.kind == "e_step" and index + 1 < len(history) and history[index + 1].kind == "m_step":
        return index + 1
    return None


def bound_path_figure(history, index: int, *, lecture: bool = False, curves=None,
                      unavailable: str | None = None) -> go.Figure:
    """Log-likelihood and Jensen bound along the path of the iteration that step ``index`` belongs to.

    Parameters
    ----------
    history : em_core.History
    index : int
        Any step; an E-step or M-step shows its iteration, other steps an explanation.
    lecture : bool
    curves : tuple of numpy.ndarray, optional
        ``(log_likelihood, lower_bound)`` over :data:`BOUND_PATH_TS`, if already
        computed (``em_core.bound_along_path`` costs one pass over the data per t).
    unavailable : str, optional
        Why the curves cannot be drawn (a saved fit holds only a sample of its
        rows): shown instead of them.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``log-likelihood`` and ``lower bound`` (with q the E-step's γ)
        over t, markers ``before`` (t = 0) and ``after this M-step`` (t = 1),
        and a vertical segment ``KL gap`` at t = 1 labelled KL(q ‖ posterior).
    """
    style = style_for(lecture)
    title = "The bound EM climbs, along this iteration"
    m_index = bound_path_iteration(history, index)
    if m_index is None or unavailable:
        return _empty_state(style, title, unavailable or "Step to an E-step or M-step to see its iteration's bound.")
    if curves is None:
        curves = em_core.bound_along_path(history.X, history, m_index, BOUND_PATH_TS)
    ll, lb = (np.asarray(c, dtype=float) for c in curves)
    ts = BOUND_PATH_TS
    t0, t1 = int(np.argmin(np.abs(ts))), int(np.argmin(np.abs(ts - 1.0)))
    layout = _panel_layout(style, f"{title} (iteration {history[m_index].iteration})",
                           "t along the path θ(t)  (0: before the E-step, 1: after the M-step)", "value")
    gap = ll[t1] - lb[t1]
    traces = [
        dict(type="scatter", name="log-likelihood log p(X | θ(t))", x=ts, y=ll, mode="lines",
             line=dict(color=_LL_COLOUR, width=2.5),
             hovertemplate="t = %{x:.2f}<br>log-likelihood %{y:,.3f}<extra></extra>",
             meta=dict(role="log-likelihood")),
        dict(type="scatter", name="lower bound 𝓛(q, θ(t)), q = E-step's γ", x=ts, y=lb, mode="lines",
             line=dict(color=_BOUND_COLOUR, width=2.5, dash="dash"),
             hovertemplate="t = %{x:.2f}<br>lower bound %{y:,.3f}<extra></extra>",
             meta=dict(role="lower bound")),
        dict(type="scatter", name="before (t = 0) · after this M-step (t = 1)", x=[0.0, 1.0],
             y=[ll[t0], lb[t1]], mode="markers+text", text=["before: bound = log-likelihood", "after this M-step"],
             textposition=["bottom right", "bottom center"], marker=dict(size=11, color=NEUTRAL, symbol="circle"),
             hovertemplate="%{text}<br>%{y:,.3f}<extra></extra>", meta=dict(role="ends")),
        dict(type="scatter", name="KL gap", x=[1.0, 1.0], y=[lb[t1], ll[t1]], mode="lines+markers",
             line=dict(color=NEUTRAL, width=2), marker=dict(symbol="line-ew", size=12, line=dict(width=2)),
             showlegend=False, hovertemplate=f"gap at t = 1: {gap:,.3f} = KL(q ‖ posterior)<extra></extra>",
             meta=dict(role="KL gap", gap=float(gap))),
    ]
    layout["annotations"] = [dict(text=f"KL(q ‖ posterior) = {gap:,.3g}", name="KL gap", x=1.0,
                                  y=0.5 * (ll[t1] + lb[t1]), xref="x", yref="y", xanchor="left", xshift=8,
                                  showarrow=False, font=dict(size=max(style.font - 1, 10)))]
    layout["shapes"] = [dict(type="line", xref="x", yref="paper", x0=t, x1=t, y0=0, y1=1,
                             line=dict(color=NEUTRAL, width=1, dash="dot")) for t in (0.0, 1.0)]
    layout["legend"].update(y=-0.32)
    layout["margin"].update(b=110)
    layout["height"] = style.panel_height + 60
    return figure(traces, layout)
