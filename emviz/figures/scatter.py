"""The 2-D scene of one step: points, covariance ellipses, ghosts of the previous step, arrows, means.

Traces, in a fixed order whose count depends only on K, the ellipse levels and
whether a row is selected (never on the step): ``"points"``, ``"changed
points"``, ``"ellipse k=1 2σ"`` (or ``"ellipse k=1 90%"`` for mass levels),
``"ghost ellipse k=1"``, ``"arrow 1"``, ``"mean 1"`` (``"centroid 1"`` during
k-means), then ``"selected row"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import em_core

from .. import explain
from ..ellipse_levels import ELLIPSE_LEVELS, level_masses
from ..palette import component_colors, component_symbols
from . import points
from .style import GL_THRESHOLD, GRID, Scene, Style, base_layout, note_margin, subsample_note, weight_factor, \
    weight_opacity
from .view import View

#: Points on each ellipse outline.
ELLIPSE_POINTS = 100


@dataclass(frozen=True)
class Level:
    label: str  # the trace-name suffix ("1σ", "90%"): an identifier, not what the user reads
    mass: float
    sigma: float | None


def levels_of(levels, level_kind: str) -> list[Level]:
    """The levels to draw; ``levels=None`` takes the values of the ``level_kind`` option."""
    if levels is None and level_kind in ELLIPSE_LEVELS:
        levels = ELLIPSE_LEVELS[level_kind].values
    masses = level_masses(levels, level_kind)
    if level_kind == "sigma":
        return [Level(f"{n:g}σ", m, float(n)) for n, m in zip(levels, masses)]
    return [Level(f"{100 * m:.3g}%", m, None) for m in masses]


def _level_sentence(levels: list[Level]) -> str:
    masses = ", ".join(f"{lv.mass:.1%}" for lv in levels)
    radii = ", ".join(f"{em_core.chi2_radius(lv.mass):.2f}" for lv in levels)
    return f"Ellipses enclose {masses} of each component's mass (Mahalanobis radii {radii})"


def _outline(mean, cov, mass: float) -> np.ndarray:
    try:
        return em_core.ellipse_outline(mean, cov, mass, ELLIPSE_POINTS)
    except np.linalg.LinAlgError:
        # A projected covariance that is not numerically positive definite has no
        # ellipse to draw; leaving the trace empty keeps the trace count fixed.
        return np.empty((0, 2))


def _step_note(step, levels, n_changed: int) -> str:
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


@dataclass(frozen=True)
class ScatterScene:
    """Draws any step of one fit in a 2-D view (see :class:`emviz.figures.style.Scene`)."""

    history: object
    view: View
    levels: list
    color_mode: str
    rows: np.ndarray | None
    style: Style
    axis_titles: tuple

    def scene(self, index: int, selected_row: int | None = None) -> Scene:
        history, view, style, levels = self.history, self.view, self.style, self.levels
        step = history[index]
        K = history.n_components
        colors = component_colors(K)
        kmeans = step.is_kmeans
        resp = np.asarray(history.responsibilities(index))
        xy = view.coordinates
        row_ids = np.arange(history.n_samples)
        if self.rows is not None:
            resp, xy, row_ids = resp[self.rows], xy[self.rows], self.rows
        n_shown = row_ids.size
        scatter_type = "scattergl" if n_shown > GL_THRESHOLD else "scatter"
        size = style.point * (0.7 if n_shown > GL_THRESHOLD else 1.0)
        xname, yname = self.axis_titles
        traces: list[dict] = []

        # Points -----------------------------------------------------------------------------
        hover = (f"<b>row %{{customdata[0]:d}}</b><br>{xname} = %{{x:.4g}}<br>{yname} = %{{y:.4g}}"
                 + ("<br>k-means: hard assignment" if kmeans else "") + points.gamma_hover(K, colors, 1)
                 + (f"<br>1 − max γ = %{{customdata[{K + 1}]:.3f}}" if self.color_mode == "uncertainty" else "")
                 + "<extra></extra>")
        opacity = 0.85 if n_shown <= GL_THRESHOLD else 0.6
        traces.append(dict(
            type=scatter_type, name="points", x=xy[:, 0], y=xy[:, 1], mode="markers",
            marker=points.marker(resp, colors, self.color_mode, size, opacity, K),
            customdata=points.payload(row_ids, resp, self.color_mode == "uncertainty"), hovertemplate=hover,
            showlegend=False,
            meta=dict(role="points", n_shown=int(n_shown), n_total=int(history.n_samples))))

        # Points whose responsibilities changed most --------------------------------------------
        picked, tv = points.changed(history, index, self.rows)
        traces.append(dict(
            type=scatter_type, name="changed points", x=xy[picked, 0], y=xy[picked, 1], mode="markers",
            marker=points.ring_marker(size * 2.1, style.line),
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
                    mode="lines", line=dict(color=colors[k], width=style.line * weight_factor(weight, K)
                                            * (1.0 - 0.18 * j)),
                    opacity=weight_opacity(weight, K), legendgroup=f"component {k + 1}", showlegend=False,
                    hovertemplate=(f"component {k + 1} · {level.mass:.1%} ellipse<br>encloses {level.mass:.1%} of "
                                   f"component {k + 1}'s probability mass (Mahalanobis radius "
                                   f"{em_core.chi2_radius(level.mass):.2f}){analogue}<br>π{k + 1} = {weight:.3f}"
                                   "<extra></extra>"),
                    meta=dict(role="ellipse", component=k, level=level.label, mass=level.mass)))

        traces += self._ghosts_and_arrows(index, means2)

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
                symbol = component_symbols(K)[k]  # the shape of its points: the legend reads in greyscale
            traces.append(dict(
                type="scatter", name=name, x=[float(means2[k, 0])], y=[float(means2[k, 1])],
                mode="markers+text", text=[label], textposition="top center",
                # Bold with a contrasting halo: the label sits on top of same-coloured points.
                textfont=dict(size=style.font + 2, color=colors[k], weight="bold", shadow="auto"),
                marker=dict(symbol=symbol, size=style.mean, color=colors[k], line=dict(width=1.5, color="white")),
                legendgroup=f"component {k + 1}", showlegend=True, hovertemplate=hover,
                meta=dict(role="mean", component=k)))

        if selected_row is not None:
            traces.append(points.selected_trace(history, index, view.coordinates, selected_row, style, K, colors,
                                                self.axis_titles))
        extra = [subsample_note(n_shown, history.n_samples, style)] if self.rows is not None else []
        return Scene(traces, explain.figure_title(history, index), _step_note(step, levels, picked.size), extra)

    def _ghosts_and_arrows(self, index: int, means2: np.ndarray) -> list[dict]:
        """K ghost-ellipse traces (the previous step's ellipses after an M-step), then K arrows old → new mean."""
        history, view, style = self.history, self.view, self.style
        step = history[index]
        K = history.n_components
        colors = component_colors(K)
        previous = history[index - 1] if index > 0 else None
        ghosts = step.kind == "m_step" and previous is not None
        moved = step.kind in ("m_step", "kmeans_update") and previous is not None
        if ghosts or moved:
            old_means2, old_covs2 = view.project_step(previous, history.covariance_type)
        traces = []
        for k in range(K):
            xs: list = []
            ys: list = []
            if ghosts:
                for level in self.levels:
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
            what = "centroid" if step.is_kmeans else "μ"
            traces.append(dict(
                type="scatter", name=f"arrow {k + 1}", x=ax, y=ay, mode="lines+markers",
                line=dict(color=colors[k], width=style.line * 1.1),
                marker=dict(symbol=["circle", "arrow"], size=[0, style.arrow], angleref="previous",
                            color=colors[k], line=dict(width=0)),
                legendgroup=f"component {k + 1}", showlegend=False,
                hovertemplate=f"{what} {k + 1} moved here from the previous step<extra></extra>",
                meta=dict(role="arrow", component=k)))
        return traces

    def layout(self, title: tuple[str, str], annotations: list[dict]) -> dict:
        view, style, titles = self.view, self.style, self.axis_titles
        layout = base_layout(style, title, annotations, bottom=note_margin(style))
        layout["xaxis"] = dict(range=list(view.x_range), autorange=False, title=dict(text=titles[0]),
                               zeroline=False, gridcolor=GRID, constrain="domain")
        layout["yaxis"] = dict(range=list(view.y_range), autorange=False, title=dict(text=titles[1]),
                               zeroline=False, gridcolor=GRID, constrain="domain")
        if view.equal_aspect:
            layout["yaxis"].update(scaleanchor="x", scaleratio=1)
        return layout
