"""The 1-D scene of one step: histogram, weighted component densities, the mixture, and a strip of points.

Traces, in a fixed order: ``"histogram"``, ``"component 1"`` .. ``"component
K"``, ``"mixture"``, ``"ghost mixture"``, ``"mean 1"`` (``"centroid 1"``
during k-means) .. K, ``"points"``, ``"changed points"``, then ``"selected
row"``. The densities come from :mod:`em_core.density`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import em_core

from .. import explain
from ..palette import NEUTRAL, component_colors, rgba
from . import points
from .style import GL_THRESHOLD, GRID, Scene, Style, base_layout, note_margin, subsample_note, weight_factor
from .view import AXIS_MAX_FACTOR, View, em_steps

#: Grid points for the 1-D density curves.
DENSITY_POINTS = 400


@dataclass(frozen=True)
class HistogramSetup:
    """What every step of a 1-D fit shares: the bars, the density grid and the fixed y range."""

    edges: np.ndarray
    heights: np.ndarray
    grid: np.ndarray
    y_top: float
    rug_y: np.ndarray
    x_range: tuple[float, float]


def histogram_setup(history, bins, view: View) -> HistogramSetup:
    x = np.asarray(history.X, dtype=float)[:, 0]
    low, high = float(x.min()), float(x.max())
    if high <= low:
        low, high = low - 0.5, high + 0.5
    edges = np.histogram_bin_edges(x, bins=bins, range=(low, high))
    heights, _ = np.histogram(x, bins=edges, density=True)
    grid = np.linspace(view.x_range[0], view.x_range[1], DENSITY_POINTS)
    peak = 0.0
    for step in em_steps(history):
        peak = max(peak, float(np.exp(em_core.mixture_log_density_1d(step, history.covariance_type, grid)).max()))
    hist_top = float(heights.max()) if heights.size else 1.0
    # A collapsing component can spike to any height; the axis follows the data.
    y_top = 1.08 * max(hist_top, min(peak, AXIS_MAX_FACTOR * hist_top))
    jitter = np.random.default_rng(0).uniform(0.03, 0.11, size=x.size)
    return HistogramSetup(edges, heights, grid, y_top, -jitter * y_top, view.x_range)


def _nice_ticks(top: float) -> list[float]:
    raw = top / 4.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [round(i * step, 12) for i in range(int(top // step) + 1)]


def _step_note(step, n_changed: int) -> str:
    if step.is_kmeans:
        return "k-means: centroids as vertical lines<br>Strip below the axis: the points in their hard clusters"
    text = "Curves: each π_k N(x | μ_k, σ_k²) and their sum, the mixture density"
    if step.kind == "m_step":
        text += " · dashed: the mixture before this M-step"
    text += "<br>Strip below the axis: the points, coloured by their responsibilities"
    if step.kind == "e_step" and n_changed:
        text += f" · ringed: the {n_changed:,} that changed most"
    return text


@dataclass(frozen=True)
class HistogramScene:
    """Draws any step of one fit on one-column data (see :class:`emviz.figures.style.Scene`)."""

    history: object
    view: View
    setup: HistogramSetup
    color_mode: str
    rows: np.ndarray | None
    style: Style
    x_title: str

    def scene(self, index: int, selected_row: int | None = None) -> Scene:
        history, setup, style = self.history, self.setup, self.style
        step = history[index]
        K = history.n_components
        colors = component_colors(K)
        traces = self._densities(index, colors)

        # The points as a strip below the axis, coloured like the 2-D scatter.
        resp = np.asarray(history.responsibilities(index))
        xs = self.view.coordinates[:, 0]
        rug_y = setup.rug_y
        row_ids = np.arange(history.n_samples)
        if self.rows is not None:
            resp, xs, rug_y, row_ids = resp[self.rows], xs[self.rows], rug_y[self.rows], self.rows
        scatter_type = "scattergl" if row_ids.size > GL_THRESHOLD else "scatter"
        size = style.point * 0.8
        traces.append(dict(
            type=scatter_type, name="points", x=xs, y=rug_y, mode="markers",
            marker=points.marker(resp, colors, self.color_mode, size, 0.8, K),
            customdata=points.payload(row_ids, resp), showlegend=False,
            hovertemplate=(f"<b>row %{{customdata[0]:d}}</b><br>{self.x_title} = %{{x:.4g}}"
                           + points.gamma_hover(K, colors, 1) + "<extra></extra>"),
            meta=dict(role="points", n_shown=int(row_ids.size), n_total=int(history.n_samples))))
        picked, tv = points.changed(history, index, self.rows)
        traces.append(dict(
            type=scatter_type, name="changed points", x=xs[picked], y=rug_y[picked], mode="markers",
            marker=points.ring_marker(size * 2.1, style.line * 0.8),
            customdata=np.column_stack([row_ids[picked], tv]), showlegend=bool(picked.size),
            hovertemplate="<b>row %{customdata[0]:d}</b><br>responsibilities changed by %{customdata[1]:.2f}"
                          "<extra></extra>",
            meta=dict(role="changed points", count=int(picked.size))))
        if selected_row is not None:
            coords = np.column_stack([self.view.coordinates[:, 0], setup.rug_y])
            traces.append(points.selected_trace(history, index, coords, selected_row, style, K, colors,
                                                (self.x_title,)))
        extra = [subsample_note(row_ids.size, history.n_samples, style)] if self.rows is not None else []
        return Scene(traces, explain.figure_title(history, index), _step_note(step, picked.size), extra)

    def _densities(self, index: int, colors: list[str]) -> list[dict]:
        """The histogram, K component curves, the mixture, its ghost and K mean (or centroid) lines."""
        history, setup, style = self.history, self.setup, self.style
        step = history[index]
        K = history.n_components
        kmeans = step.is_kmeans
        grid = setup.grid
        ctype = history.covariance_type
        centres = 0.5 * (setup.edges[:-1] + setup.edges[1:])
        traces = [dict(
            type="bar", name="histogram", x=centres, y=setup.heights, width=np.diff(setup.edges),
            marker=dict(color="rgba(128,128,128,0.35)", line=dict(width=0)), showlegend=True,
            hovertemplate=f"{self.x_title} ≈ %{{x:.3g}}<br>data density %{{y:.3f}}<extra></extra>",
            meta=dict(role="histogram"))]
        log_comp = None if kmeans else em_core.component_log_densities_1d(step, ctype, grid)
        for k in range(K):
            ys = np.empty(0) if kmeans else np.exp(log_comp[:, k])
            traces.append(dict(
                type="scatter", name=f"component {k + 1}", x=grid if not kmeans else np.empty(0), y=ys,
                mode="lines", line=dict(color=colors[k], width=style.line * weight_factor(step.weights[k], K)),
                fill="tozeroy", fillcolor=rgba(colors[k], 0.12), legendgroup=f"component {k + 1}", showlegend=True,
                hovertemplate=(f"π{k + 1} N(x | μ{k + 1}, σ{k + 1}²)<br>x = %{{x:.3g}}, density %{{y:.3f}}"
                               "<extra></extra>"),
                meta=dict(role="component density", component=k)))
        mixture = np.empty(0) if kmeans else np.exp(em_core.mixture_log_density_1d(step, ctype, grid))
        traces.append(dict(
            type="scatter", name="mixture", x=grid if not kmeans else np.empty(0), y=mixture, mode="lines",
            line=dict(color=NEUTRAL, width=style.line * 1.2), showlegend=True,
            hovertemplate="mixture density<br>x = %{x:.3g}, density %{y:.3f}<extra></extra>",
            meta=dict(role="mixture density")))
        ghost = np.empty(0)
        if step.kind == "m_step" and index > 0:
            ghost = np.exp(em_core.mixture_log_density_1d(history[index - 1], ctype, grid))
        traces.append(dict(
            type="scatter", name="ghost mixture", x=grid if ghost.size else np.empty(0), y=ghost, mode="lines",
            line=dict(color=NEUTRAL, width=style.line * 0.7, dash="dash"), opacity=0.6,
            showlegend=bool(ghost.size), hoverinfo="skip", meta=dict(role="ghost mixture")))

        means = np.asarray(step.means)[:, 0]
        for k in range(K):
            if kmeans:
                top, name, dash = setup.y_top, f"centroid {k + 1}", "solid"
                hover = f"centroid {k + 1} = %{{x:.4g}}<br>{int(round(step.counts[k])):,} points<extra></extra>"
            else:
                variance = float(em_core.expand_covariances(np.asarray(step.covariances), ctype, K, 1)[k, 0, 0])
                top = min(setup.y_top, float(step.weights[k]) / math.sqrt(2.0 * math.pi * variance))
                name, dash = f"mean {k + 1}", "dot"
                hover = (f"μ{k + 1} = %{{x:.4g}}<br>σ{k + 1} = {math.sqrt(variance):.4g}<br>"
                         f"π{k + 1} = {step.weights[k]:.3f}<extra></extra>")
            traces.append(dict(
                type="scatter", name=name, x=[float(means[k])] * 2, y=[0.0, top], mode="lines",
                line=dict(color=colors[k], width=style.line * (1.2 if kmeans else 0.8), dash=dash),
                legendgroup=f"component {k + 1}", showlegend=kmeans, hovertemplate=hover,
                meta=dict(role="mean", component=k)))
        return traces

    def layout(self, title: tuple[str, str], annotations: list[dict]) -> dict:
        setup, style = self.setup, self.style
        # Room for a second row of legend entries (histogram, K curves, mixture and its ghost wrap
        # in a half-width column) between the subtitle and the plot.
        layout = base_layout(style, title, annotations, top=140, bottom=note_margin(style))
        layout["xaxis"] = dict(range=list(setup.x_range), autorange=False, title=dict(text=self.x_title),
                               zeroline=False, gridcolor=GRID)
        # The strip of points lives below zero; ticks only on the density part.
        layout["yaxis"] = dict(range=[-0.14 * setup.y_top, setup.y_top], autorange=False,
                               title=dict(text="density"), tickmode="array", tickvals=_nice_ticks(setup.y_top),
                               zeroline=True, zerolinecolor=GRID, gridcolor=GRID)
        layout["bargap"] = 0
        return layout
