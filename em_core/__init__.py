"""emviz's numerical core: k-means and EM for Gaussian mixtures, with every step recorded.

Imports numpy and scipy only (Dask only when handed a Dask array). The entry point
is :func:`fit_history`; :func:`load_history` reads a fit saved by ``History.save``,
and ``python -m em_core fit`` fits files bigger than memory (``em_core.cli``).
"""

from .bound import bound_along_path
from .em import fit_history
from .geometry import chi2_radius, column_projection, ellipse_outline, mass_for_sigma, pca, project_mixture
from .history import FLAG_DESCRIPTIONS, STEP_KINDS, History, Step, posterior
from .kmeans import kmeans_plusplus, lloyd, nearest_centroid
from .metrics import adjusted_rand_index, contingency_table, match_components, match_labels
from .model import GaussianMixtureModel, n_parameters
from .gaussian import expand_covariances
from .density import component_log_densities_1d, mixture_log_density_1d, mixture_log_density_grid, posterior_grid
from .saved import load_history

__all__ = [
    "FLAG_DESCRIPTIONS", "GaussianMixtureModel", "History", "STEP_KINDS", "Step", "adjusted_rand_index",
    "bound_along_path", "chi2_radius", "column_projection", "component_log_densities_1d", "contingency_table",
    "ellipse_outline", "expand_covariances", "fit_history", "kmeans_plusplus", "lloyd", "load_history",
    "mass_for_sigma", "match_components", "match_labels", "mixture_log_density_1d",
    "mixture_log_density_grid", "n_parameters", "nearest_centroid", "pca", "posterior", "posterior_grid",
    "project_mixture",
]
