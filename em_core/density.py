"""A mixture's densities on a grid of points: the curves and maps a picture draws.

Everything is computed in the log domain through the Cholesky factors of
:mod:`em_core.gaussian` (no covariance is inverted), and mixtures are summed
with ``scipy.special.logsumexp``. The parameters come from anything with
``weights`` (K,), ``means`` (K, d) and ``covariances`` (scikit-learn's shape
for the covariance type) attributes, such as an :class:`em_core.Step`.
"""

from __future__ import annotations

import numpy as np

from .geometry import project_mixture
from .gaussian import centred, covariance_factors, log_joint, logsumexp

__all__ = ["component_log_densities_1d", "mixture_log_density_1d", "mixture_log_density_grid", "posterior_grid"]


def _log_weights(weights) -> np.ndarray:
    # A component with weight 0 contributes log 0 = -inf, which logsumexp handles.
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(weights, dtype=float))


def _log_joint_at(points: np.ndarray, weights, means: np.ndarray, covariances, covariance_type: str) -> np.ndarray:
    """``log pi_k + log N(points | mu_k, Sigma_k)`` for every point and component, shape (G, K)."""
    factors = covariance_factors(covariances, covariance_type, means.shape[1])
    return log_joint(centred(points, means), _log_weights(weights), factors).T


def component_log_densities_1d(params, covariance_type: str, grid) -> np.ndarray:
    """``log pi_k + log N(x | mu_k, sigma_k^2)`` of a one-dimensional mixture, shape (G, K).

    Parameters
    ----------
    params : em_core.Step or any object with ``weights``, ``means`` and ``covariances``
        A mixture on one-column data (``means`` of shape (K, 1)).
    covariance_type : str
        ``"full"``, ``"tied"``, ``"diag"`` or ``"spherical"``.
    grid : array_like of shape (G,)
        Where to evaluate.

    Returns
    -------
    numpy.ndarray of shape (G, K)
        ``-inf`` where a component's weight is 0.
    """
    means = np.asarray(params.means, dtype=float)
    if means.ndim != 2 or means.shape[1] != 1:
        raise ValueError(f"A one-dimensional mixture needs means of shape (K, 1); got {means.shape}.")
    points = np.asarray(grid, dtype=float).reshape(-1, 1)
    return _log_joint_at(points, params.weights, means, params.covariances, covariance_type)


def mixture_log_density_1d(params, covariance_type: str, grid) -> np.ndarray:
    """``log p(x) = log sum_k pi_k N(x | mu_k, sigma_k^2)`` of a one-dimensional mixture, shape (G,)."""
    return logsumexp(component_log_densities_1d(params, covariance_type, grid), axis=1)


def mixture_log_density_grid(params, covariance_type: str, xs, ys, projection=None, centre=None) -> np.ndarray:
    """Log-density of a mixture (or of its projection onto a plane) on a rectangular grid.

    Parameters
    ----------
    params : em_core.Step or any object with ``weights``, ``means`` and ``covariances``
    covariance_type : str
    xs, ys : array_like of shape (nx,) and (ny,)
        The grid's coordinates along the two screen axes.
    projection : array_like of shape (d, 2), optional
        ``W``: screen coordinates are ``(x - centre) @ W``. Required unless the
        mixture is two-dimensional (then the identity).
    centre : array_like of shape (d,), optional
        Subtracted before projecting (the PCA centre).

    Returns
    -------
    numpy.ndarray of shape (ny, nx)
        ``log p(x_j, y_i)`` at row i, column j (the layout of a Plotly heatmap's
        ``z``). With a projection this is the density of the projected mixture,
        whose component k is ``N(W^T (mu_k - c), W^T Sigma_k W)``: the exact
        marginal of the mixture on that plane.

    Notes
    -----
    Every grid point and component in one vectorised pass (one factorisation
    of the K projected covariances, one triangular solve for all points).
    """
    log_comp, shape = _grid_log_joint(params, covariance_type, xs, ys, projection, centre)
    return logsumexp(log_comp, axis=1).reshape(shape)


def _grid_log_joint(params, covariance_type, xs, ys, projection, centre):
    """``log pi_k + log N`` of the (projected) mixture at every grid point, shape (ny * nx, K), and (ny, nx)."""
    means = np.asarray(params.means, dtype=float)
    if projection is None:
        if means.shape[1] != 2:
            raise ValueError(f"A {means.shape[1]}-dimensional mixture needs a (d, 2) projection.")
        projection = np.eye(2)
    means2, covs2 = project_mixture(means, params.covariances, covariance_type, projection, centre)
    gx, gy = np.meshgrid(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
    points = np.column_stack([gx.ravel(), gy.ravel()])
    return _log_joint_at(points, params.weights, means2, covs2, "full"), gx.shape


def posterior_grid(params, covariance_type: str, xs, ys, projection=None, centre=None) -> np.ndarray:
    """Responsibilities ``p(k | x)`` of the (projected) mixture on a rectangular grid, shape (ny, nx, K).

    The same grid and projection as :func:`mixture_log_density_grid`: with a
    projection these are the posteriors given the point's two screen
    coordinates only (the marginal mixture on that plane). Rows sum to 1.
    """
    log_comp, shape = _grid_log_joint(params, covariance_type, xs, ys, projection, centre)
    log_comp -= logsumexp(log_comp, axis=1, keepdims=True)
    return np.exp(log_comp).reshape(*shape, -1)
