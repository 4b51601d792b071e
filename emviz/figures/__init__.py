"""Pure Plotly figure builders: one step of a fit in, a ``plotly.graph_objects.Figure`` out.

Nothing here imports Streamlit or keeps state between calls, so the same
builders serve the live explorer, the client-side animation and the offline
HTML export. The maths they draw (densities on a grid, projections, ellipse
outlines) comes from :mod:`em_core`; the words (titles, step labels, notes'
vocabulary) from :mod:`emviz.explain`.

Which module draws what
    ``view``       :class:`View` and :func:`make_view`: the projection (two columns, PCA, or
                   1-D), the axis ranges fixed for a whole fit, the displayed sample of rows.
    ``style``      sizes for screen and projector, theme, the layout every scene shares, the
                   figure assembler (and its ``VALIDATE`` switch), the :class:`~.style.Scene` record.
    ``points``     the data points as both scenes draw them: colours, hover data, the ring on the
                   points that changed most, the ring on a selected row.
    ``scatter``    the 2-D scene: points, covariance ellipses, ghosts, arrows, means.
    ``histogram``  the 1-D scene: histogram, component densities, mixture, strip of points.
    ``step``       the one dispatch between them: :func:`step_figure`, :func:`step_picture`
                   (a figure and its note), :func:`histogram_figure`.
    ``animation``  :func:`animation_figure`: every step as a frame, with slider and Play.
    ``placement``  :func:`placement_figure`: the data alone and the means placed by hand so far.
    ``panels``     :func:`loglik_figure`, :func:`weights_figure`, :func:`kmeans_objective_figure`
                   and :func:`parameters_table`.

The main picture is built from a fixed list of traces whose order and count
depend only on K, the ellipse levels and whether a row is selected, never on
the step: that is what lets :func:`animation_figure` reuse the very same
scenes for every Plotly frame. Trace names (for tests and for anyone
post-processing a figure):

- 2-D: ``"points"``, ``"changed points"``, ``"ellipse k=1 2σ"`` (or
  ``"ellipse k=1 90%"`` for mass levels), ``"ghost ellipse k=1"``,
  ``"arrow 1"``, ``"mean 1"`` (``"centroid 1"`` during k-means),
  ``"selected row"``.
- 1-D: ``"histogram"``, ``"component 1"``, ``"mixture"``, ``"ghost mixture"``,
  ``"mean 1"`` / ``"centroid 1"``, ``"points"``, ``"changed points"``,
  ``"selected row"``.

Every trace also carries ``meta={"role": ..., "component": k, ...}`` (0-based k).
Any trace of data points keeps the point's row index in ``customdata[:, 0]``,
which the explorer's stepper (``emviz/stepper.js``) reads back from a click.
"""

from __future__ import annotations

from ..explain import step_label
from ..palette import component_colors, mix_colors
from . import style
from .animation import animation_figure
from .bound import BOUND_PATH_TS, bound_path_figure, bound_path_iteration
from .histogram import DENSITY_POINTS
from .overlays import OVERLAYS, posterior_map
from .placement import placement_figure
from .panels import kmeans_objective_figure, loglik_figure, parameters_table, weights_figure
from .points import CHANGED_FRACTION, CHANGED_MIN_TV
from .scatter import ELLIPSE_POINTS
from .step import StepPicture, histogram_figure, step_figure, step_picture
from .style import GL_THRESHOLD
from .view import (AXIS_MAX_FACTOR, AXIS_PAD, DISPLAY_CAP, EQUAL_ASPECT_MAX_RATIO, View, data_view, make_view,
                   subsample_rows)

__all__ = [
    "AXIS_MAX_FACTOR", "AXIS_PAD", "BOUND_PATH_TS", "CHANGED_FRACTION", "DISPLAY_CAP", "CHANGED_MIN_TV", "DENSITY_POINTS", "ELLIPSE_POINTS",
    "EQUAL_ASPECT_MAX_RATIO", "GL_THRESHOLD", "OVERLAYS", "StepPicture", "View", "animation_figure", "bound_path_figure", "bound_path_iteration", "component_colors", "data_view",
    "histogram_figure", "kmeans_objective_figure", "loglik_figure", "make_view", "mix_colors", "parameters_table", "placement_figure", "posterior_map",
    "step_figure", "step_label", "step_picture", "style", "subsample_rows", "weights_figure",
]
