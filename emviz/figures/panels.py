"""The side panels beside the picture: log-likelihood and its bound, mixing weights, k-means J, parameter table.

Each is a function of the history and the current step, which it marks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import em_core

from .. import explain
from ..explain import step_label
from ..palette import NEUTRAL, component_colors
from .style import GRID, TRANSPARENT, Style, figure, style_for
from .view import default_names, resolve_index


def _panel_layout(style: Style, title: str, x_title: str, y_title: str) -> dict:
    return dict(
        paper_bgcolor=TRANSPARENT, plot_bgcolor=TRANSPARENT,
        font=dict(size=style.font), title=dict(text=title, x=0.01, xanchor="left", font=dict(size=style.font + 2)),
        height=style.panel_height,
        margin=dict(l=60, r=20, t=60, b=50), hovermode="closest", uirevision="emviz",
        legend=dict(orientation="h", x=0.0, y=-0.25, yanchor="top", bgcolor=TRANSPARENT),
        xaxis=dict(title=dict(text=x_title), gridcolor=GRID, zeroline=False),
        yaxis=dict(title=dict(text=y_title), gridcolor=GRID, zeroline=False),
    )


def _current_line(index: int) -> dict:
    return dict(type="line", name="current step", xref="x", yref="paper", x0=index, x1=index, y0=0, y1=1,
                line=dict(color=NEUTRAL, width=1.5, dash="dot"))


def _current_label(index: int, label: str, style: Style) -> dict:
    return dict(text=label, name="current step", xref="x", yref="paper", x=index, y=1.0, yanchor="bottom",
                showarrow=False, font=dict(size=max(style.font - 2, 10)))


def _empty_state(style: Style, title: str, text: str) -> go.Figure:
    layout = _panel_layout(style, title, "", "")
    layout["xaxis"].update(visible=False)
    layout["yaxis"].update(visible=False)
    layout["annotations"] = [dict(text=text, name="empty note", xref="paper", yref="paper", x=0.5, y=0.5,
                                  showarrow=False, font=dict(size=style.font))]
    return figure([], layout)


def loglik_figure(history, index: int, *, lecture: bool = False) -> go.Figure:
    """Log-likelihood and Jensen lower bound over the EM steps, step ``index`` marked (negative counts from the end).

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``log-likelihood``, ``lower bound``, the M-steps where the
        log-likelihood fell (``meta.role == "likelihood decreases"``, empty when
        none did), the M-steps where a component collapses onto points
        (``meta.role == "collapsing"``) and ``current step`` (a marker, empty during k-means); a dotted
        vertical line (shape ``current step``) at the current step. x is the step
        index; hover gives the step label. The bound touches the log-likelihood
        after every E-step and lies below it after an M-step: without
        ``reg_covar`` the log-likelihood never decreases.
    """
    index = resolve_index(history, index)
    style = style_for(lecture)
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
    # Where a component collapses onto points: the likelihood's singularity, where it runs away.
    runaway = [i for i in history.indices_of("m_step") if "component_collapsing" in history[i].flags]
    traces.append(dict(type="scatter", name="a component collapsing onto points", x=runaway,
                       y=[history[i].log_likelihood for i in runaway], mode="markers",
                       customdata=[step_label(history[i]) for i in runaway], showlegend=bool(runaway),
                       marker=dict(size=13, symbol="star-open", color="rgb(204,121,167)", line=dict(width=2)),
                       hovertemplate=("%{customdata}<br>a component's variance is collapsing to 0:<br>the "
                                      "log-likelihood can grow without bound<extra></extra>"),
                       meta=dict(role="collapsing")))
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
    return figure(traces, layout)


def weights_figure(history, index: int, *, lecture: bool = False) -> go.Figure:
    """Mixing proportions π_k over all steps (cluster fractions during k-means), the current step marked.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``π k`` line per component in its colour, a ``current step`` marker
        trace (K points) and a dotted vertical line; the k-means phase is shaded.
    """
    index = resolve_index(history, index)
    style = style_for(lecture)
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
    return figure(traces, layout)


def kmeans_objective_figure(history, index: int, *, lecture: bool = False) -> go.Figure:
    """The k-means objective J over the k-means steps, the current step marked.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``J`` and ``current step``; when the fit had no k-means steps, an
        empty figure whose annotation (``empty note``) says so.
    """
    index = resolve_index(history, index)
    style = style_for(lecture)
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
    return figure(traces, layout)


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
    step = history[resolve_index(history, index)]
    K, d = history.n_components, history.n_features
    names = default_names(column_names, d)
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
