"""Numeric helpers for drawing: ellipse outlines, projections and PCA."""

from __future__ import annotations

import math

import numpy as np

from .gaussian import expand_covariances


def mass_for_sigma(n_sigma: float) -> float:
    """Probability mass within ``n_sigma`` standard deviations of a 1-D Gaussian (0.6827 for 1)."""
    return math.erf(n_sigma / math.sqrt(2.0))


def chi2_radius(mass: float) -> float:
    """Mahalanobis radius of the 2-D Gaussian ellipse that encloses probability ``mass``.

    For two degrees of freedom the chi-squared quantile has the closed form
    ``r^2 = -2 log(1 - mass)``.
    """
    if not 0.0 < mass < 1.0:
        raise ValueError(f"mass must lie strictly between 0 and 1; got {mass}.")
    return float(np.sqrt(-2.0 * np.log1p(-mass)))


def ellipse_outline(mean, covariance, mass: float, n_points: int = 100) -> np.ndarray:
    """Closed outline of the ellipse of a 2-D Gaussian enclosing probability ``mass``.

    Parameters
    ----------
    mean : array_like of shape (2,)
    covariance : array_like of shape (2, 2)
        Symmetric positive definite.
    mass : float
        Probability mass inside the ellipse, e.g. ``mass_for_sigma(1)``.
    n_points : int
        Points on the outline; the first is repeated at the end to close it.

    Returns
    -------
    numpy.ndarray of shape (n_points + 1, 2)
        Points ``mean + r L u`` for unit vectors ``u``, with ``L`` the Cholesky factor
        of the covariance: exactly the Mahalanobis circle of radius ``r``.
    """
    mean = np.asarray(mean, dtype=float)
    covariance = np.asarray(covariance, dtype=float)
    if mean.shape != (2,) or covariance.shape != (2, 2):
        raise ValueError("ellipse_outline needs a 2-D mean and a 2 x 2 covariance.")
    root = np.linalg.cholesky(covariance)
    angles = np.linspace(0.0, 2.0 * np.pi, n_points + 1)
    circle = np.stack([np.cos(angles), np.sin(angles)])
    # Exactly the first point again (sin(2 pi) is not 0 in floating point), so the outline closes.
    circle[:, -1] = circle[:, 0]
    return mean + chi2_radius(mass) * (root @ circle).T


def column_projection(n_features: int, columns: tuple[int, int]) -> np.ndarray:
    """The (d, 2) matrix that selects two coordinates."""
    i, j = columns
    if not (0 <= i < n_features and 0 <= j < n_features) or i == j:
        raise ValueError(f"columns must be two different indices below {n_features}; got {columns}.")
    W = np.zeros((n_features, 2))
    W[i, 0] = 1.0
    W[j, 1] = 1.0
    return W


def pca(X, n_components: int = 2):
    """Principal axes by SVD of the centred data.

    Returns
    -------
    components : numpy.ndarray of shape (d, n_components)
        Orthonormal axes as columns (signs fixed so the largest loading is positive).
    centre : numpy.ndarray of shape (d,)
    explained_variance_ratio : numpy.ndarray of shape (n_components,)
    """
    X = np.asarray(X, dtype=float)
    centre = X.mean(axis=0)
    _, singular, vt = np.linalg.svd(X - centre, full_matrices=False)
    components = vt[:n_components].T.copy()
    signs = np.sign(components[np.abs(components).argmax(axis=0), np.arange(components.shape[1])])
    components *= np.where(signs == 0, 1.0, signs)
    variance = singular ** 2
    total = variance.sum()
    ratio = variance[:n_components] / total if total > 0 else np.zeros(n_components)
    return components, centre, ratio


def project_mixture(means, covariances, covariance_type: str, W, centre=None):
    """Exact projection of a mixture onto the columns of ``W``: ``W^T (mu - c)`` and ``W^T Sigma W``.

    Parameters
    ----------
    means : array_like of shape (K, d)
    covariances : array_like
        scikit-learn's shape for ``covariance_type``.
    covariance_type : str
    W : array_like of shape (d, 2)
    centre : array_like of shape (d,), optional
        Subtracted from the means first (the PCA centre).

    Returns
    -------
    means_2d : numpy.ndarray of shape (K, 2)
    covariances_2d : numpy.ndarray of shape (K, 2, 2)
    """
    means = np.asarray(means, dtype=float)
    W = np.asarray(W, dtype=float)
    K, d = means.shape
    full = expand_covariances(np.asarray(covariances, dtype=float), covariance_type, K, d)
    shifted = means - (0.0 if centre is None else np.asarray(centre, dtype=float))
    selected = _selected_columns(W)
    if selected is not None:
        # A column selection copies the block as it is: no arithmetic, so nothing to round or
        # symmetrise (averaging would change a stored covariance's last bits on the way to the picture).
        return shifted[:, selected], full[:, selected][:, :, selected]
    projected = np.einsum("ji,kjl,lm->kim", W, full, W)
    # The two halves are summed in different orders and may differ in the last bit.
    return shifted @ W, 0.5 * (projected + np.swapaxes(projected, 1, 2))


def _selected_columns(W: np.ndarray):
    """The column indices if every column of ``W`` is a unit vector (``column_projection``), else None."""
    if W.ndim != 2 or not np.isin(W, (0.0, 1.0)).all() or not (W.sum(axis=0) == 1.0).all():
        return None
    return W.argmax(axis=0)
