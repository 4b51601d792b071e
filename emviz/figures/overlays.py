"""Optional layers over a step's picture: the mixture's density, its posterior regions, and a sample of it.

- ``density``: contours of log p(x) at the step (equally spaced in the log, so
  the tails show as well as the peaks), computed by ``em_core`` on a grid over
  the view in one pass. For a projection this is the exact marginal density on
  the plotted plane.
- ``posterior``: the background coloured by the grid's blended
  responsibilities (each point of the plane painted in the γ-weighted mix of
  the component colours, like the data points); during k-means, the nearest
  centroid's colour (the Voronoi cells of the centroids).
- ``beliefs``: a seeded sample of as many points as are drawn, from the step's
  mixture: what the model "believes" the data looks like. Early steps believe
  blobby nonsense, late steps resemble the data. Deterministic per step.

The layers are added after a scene's own traces (their count is the same at
every step, empty where a step has nothing to show), and the posterior map is
a layout image below the plot, so the scene's trace order never changes.
"""

from __future__ import annotations

import base64
import io

import numpy as np

import em_core

from ..palette import NEUTRAL, component_colors, to_rgb
from .style import GL_THRESHOLD, Style
from .view import View

__all__ = ["GRID_POINTS", "OVERLAYS", "overlay_layers", "overlay_note", "posterior_map"]

#: The optional layers and their labels, in the order offered.
OVERLAYS = {
    "density": "mixture density (log contours)",
    "posterior": "posterior regions",
    "beliefs": "what the model believes (a sample)",
}
#: Grid points along each axis of the density and posterior maps.
GRID_POINTS = 120
#: Opacity of the posterior map: the points must stay readable on top of it.
POSTERIOR_ALPHA = 0.30
#: Contours per unit of natural log density, and how many units below the peak they reach.
CONTOUR_STEP, CONTOUR_DEPTH = 1.0, 12.0


def _grid(view: View) -> tuple[np.ndarray, np.ndarray]:
    return np.linspace(*view.x_range, GRID_POINTS), np.linspace(*view.y_range, GRID_POINTS)


def _density_trace(history, index: int, view: View, style: Style) -> dict:
    step = history[index]
    xs, ys, z = [], [], None
    if not step.is_kmeans:
        xs, ys = _grid(view)
        z = em_core.mixture_log_density_grid(step, history.covariance_type, xs, ys, view.projection, view.centre)
    peak = float(np.max(z)) if z is not None else 0.0
    return dict(type="contour", name="density contours", x=xs, y=ys, z=z if z is not None else [],
                contours=dict(coloring="lines", start=peak - CONTOUR_DEPTH, end=peak, size=CONTOUR_STEP),
                line=dict(width=max(style.line * 0.45, 0.8)), colorscale=[[0, NEUTRAL], [1, NEUTRAL]],
                showscale=False, opacity=0.55, hoverinfo="skip", showlegend=False,
                meta=dict(role="density contours", peak=peak))


def _png_data_uri(rgba: np.ndarray) -> str:
    from PIL import Image  # pillow ships with Streamlit; only the posterior map needs it

    buffer = io.BytesIO()
    # Row 0 of the grid is the lowest y; an image's row 0 is its top.
    Image.fromarray(np.ascontiguousarray(rgba[::-1]), mode="RGBA").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def posterior_map(history, index: int, view: View) -> np.ndarray:
    """The posterior map's pixels: (GRID_POINTS, GRID_POINTS, 4) uint8 RGBA, row 0 at the lowest y.

    EM steps blend the component colours by the grid's responsibilities; k-means
    steps colour each pixel by its nearest centroid.
    """
    step = history[index]
    xs, ys = _grid(view)
    if step.is_kmeans:
        means2, _ = view.project_step(step, history.covariance_type)
        gx, gy = np.meshgrid(xs, ys)
        labels, _ = em_core.nearest_centroid(np.column_stack([gx.ravel(), gy.ravel()]), means2)
        weights = np.eye(history.n_components)[labels].reshape(gx.shape + (history.n_components,))
    else:
        weights = em_core.posterior_grid(step, history.covariance_type, xs, ys, view.projection, view.centre)
    colours = np.array([to_rgb(c) for c in component_colors(history.n_components)], dtype=float)
    rgb = np.clip(np.rint(weights @ colours), 0, 255)
    alpha = np.full(rgb.shape[:2] + (1,), round(255 * POSTERIOR_ALPHA))
    return np.concatenate([rgb, alpha], axis=-1).astype(np.uint8)


def _posterior_image(history, index: int, view: View) -> dict:
    (x0, x1), (y0, y1) = view.x_range, view.y_range
    return dict(source=_png_data_uri(posterior_map(history, index, view)), name="posterior regions",
                xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0, sizing="stretch",
                layer="below", xanchor="left", yanchor="top")


def _beliefs_trace(history, index: int, view: View, style: Style, n_points: int, seed: int) -> dict:
    step = history[index]
    xy = np.empty((0, 2))
    if not step.is_kmeans:
        sample, _ = history.model(index).sample(n_points, seed=[seed, index])
        xy = view.project_points(sample)
    return dict(type="scattergl" if n_points > GL_THRESHOLD else "scatter", name="sample from this step's model",
                x=xy[:, 0], y=xy[:, 1], mode="markers",
                marker=dict(symbol="x-thin-open", size=style.point * 0.9, color=NEUTRAL, line=dict(width=1.2)),
                opacity=0.7, hoverinfo="skip", showlegend=bool(len(xy)),
                meta=dict(role="beliefs", seed=int(seed), n=int(len(xy))))


#: What each layer shows, for the picture's note.
_NOTES = {
    "density": "grey contours: log p(x), one per unit of log density",
    "posterior": "background: each point of the plane in its γ-mix of the component colours",
    "beliefs": "×: a sample of as many points from this step's mixture",
}


def overlay_note(history, index: int, view: View, overlays) -> str:
    """One line for the picture's note naming the layers drawn at this step ('' when none is)."""
    if view.is_1d or not overlays:
        return ""
    shown = [key for key in OVERLAYS if key in overlays]
    if history[index].is_kmeans:
        shown = [key for key in shown if key == "posterior"]
        return "background: the nearest centroid's colour (its Voronoi cell)" if shown else ""
    return " · ".join(_NOTES[key] for key in shown).capitalize()


def overlay_layers(history, index: int, view: View, overlays, style: Style, *, n_points: int,
                   seed: int = 0) -> tuple[list[dict], list[dict]]:
    """The traces and layout images of the chosen layers at step ``index``.

    Parameters
    ----------
    overlays : iterable of str
        Keys of :data:`OVERLAYS`. They need a 2-D view: a 1-D picture already
        draws the mixture's density over its histogram, and has no plane to
        colour or to scatter a sample on (nothing is added there).
    n_points : int
        How many points the sample of ``beliefs`` has (as many as are drawn).
    seed : int
        With the step index, seeds the sample.

    Returns
    -------
    traces, images : list of dict
        Traces to append after the scene's, and ``layout.images`` entries.
    """
    unknown = set(overlays) - set(OVERLAYS)
    if unknown:
        raise ValueError(f"Unknown overlay(s) {sorted(unknown)}; choose from {list(OVERLAYS)}.")
    traces, images = [], []
    two_d = not view.is_1d
    if "density" in overlays and two_d:
        traces.append(_density_trace(history, index, view, style))
    if "posterior" in overlays and two_d:
        images.append(_posterior_image(history, index, view))
    if "beliefs" in overlays and two_d:
        traces.append(_beliefs_trace(history, index, view, style, n_points, seed))
    return traces, images
