"""Gaussian log-densities through Cholesky factors, and covariance estimates.

Everything here stays in the log domain: a density is never formed and
exponentiated, and no covariance is ever inverted. The Mahalanobis term
``(x - mu)^T Sigma^{-1} (x - mu)`` is the squared norm of ``z`` solving
``L z = x - mu`` with ``L`` the lower Cholesky factor of ``Sigma``, and
``log|Sigma|`` is twice the sum of the log of ``L``'s diagonal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class CovarianceFactors:
    """Square-root factors of the component covariances.

    Attributes
    ----------
    covariance_type : str
        One of ``"full"``, ``"tied"``, ``"diag"``, ``"spherical"``.
    roots : numpy.ndarray
        ``full``: (K, d, d) lower Cholesky factors; ``tied``: (d, d);
        ``diag``: (K, d) standard deviations; ``spherical``: (K,) standard
        deviations.
    half_log_det : numpy.ndarray of shape (K,)
        ``0.5 * log|Sigma_k|`` per component.
    jittered : tuple of int
        Components whose covariance was not numerically positive definite
        and needed extra diagonal jitter to factor.
    """

    covariance_type: str
    roots: np.ndarray
    half_log_det: np.ndarray
    jittered: tuple[int, ...] = ()

    def component_root(self, k: int):
        """The factor used for component ``k``."""
        if self.covariance_type == "tied":
            return self.roots
        return self.roots[k]


def _cholesky_with_jitter(matrix: np.ndarray) -> tuple[np.ndarray, bool]:
    """Lower Cholesky factor; adds growing diagonal jitter if the matrix is singular.

    Returns the factor and whether jitter was needed. The jitter is relative to
    the matrix's scale so that it works for data of any magnitude.
    """
    try:
        return linalg.cholesky(matrix, lower=True, check_finite=False), False
    except linalg.LinAlgError:
        pass
    d = matrix.shape[0]
    scale = max(float(np.trace(matrix)) / d, np.finfo(float).tiny)
    jitter = scale * 1e-12
    for _ in range(40):
        try:
            return linalg.cholesky(matrix + jitter * np.eye(d), lower=True, check_finite=False), True
        except linalg.LinAlgError:
            jitter *= 10.0
    # A matrix that survives 40 decades of jitter is not a covariance at all.
    raise ValueError("A covariance matrix could not be factored; the data may contain extreme values.")


def covariance_factors(covariances: np.ndarray, covariance_type: str, n_features: int) -> CovarianceFactors:
    """Factor the covariances of every component.

    Parameters
    ----------
    covariances : numpy.ndarray
        Covariances in scikit-learn's shape for ``covariance_type``.
    covariance_type : str
        ``"full"``, ``"tied"``, ``"diag"`` or ``"spherical"``.
    n_features : int
        Dimension d (a spherical covariance's determinant is ``sigma^(2d)``).

    Returns
    -------
    CovarianceFactors
    """
    if covariance_type == "full":
        roots = np.empty_like(covariances)
        jittered = []
        for k, matrix in enumerate(covariances):
            roots[k], needed = _cholesky_with_jitter(matrix)
            if needed:
                jittered.append(k)
        half_log_det = np.log(np.diagonal(roots, axis1=1, axis2=2)).sum(axis=1)
        return CovarianceFactors(covariance_type, roots, half_log_det, tuple(jittered))
    if covariance_type == "tied":
        root, needed = _cholesky_with_jitter(covariances)
        half = np.log(np.diag(root)).sum()
        return CovarianceFactors(covariance_type, root, np.array([half]), (0,) if needed else ())
    if covariance_type == "diag":
        roots = np.sqrt(covariances)
        return CovarianceFactors(covariance_type, roots, np.log(roots).sum(axis=1))
    if covariance_type == "spherical":
        roots = np.sqrt(covariances)
        return CovarianceFactors(covariance_type, roots, n_features * np.log(roots))
    raise ValueError(f"Unknown covariance_type {covariance_type!r}.")


def squared_mahalanobis(diff: np.ndarray, factors: CovarianceFactors, k: int) -> np.ndarray:
    """``(x - mu_k)^T Sigma_k^{-1} (x - mu_k)`` for each row of ``diff = X - mu_k``."""
    root = factors.component_root(k)
    if factors.covariance_type in ("full", "tied"):
        # A triangular solve, not an inverse: z = L^{-1} diff^T.
        z = linalg.solve_triangular(root, diff.T, lower=True, check_finite=False)
        return np.einsum("ij,ij->j", z, z)
    z = diff / root
    return np.einsum("ij,ij->i", z, z)


def log_gaussian(X: np.ndarray, means: np.ndarray, factors: CovarianceFactors) -> np.ndarray:
    """Log-density ``log N(x_n | mu_k, Sigma_k)`` for every row and component.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
    means : numpy.ndarray of shape (K, d)
    factors : CovarianceFactors

    Returns
    -------
    numpy.ndarray of shape (n, K)
    """
    n, d = X.shape
    n_components = means.shape[0]
    out = np.empty((n, n_components))
    half_log_det = np.broadcast_to(factors.half_log_det, (n_components,))
    for k in range(n_components):
        out[:, k] = squared_mahalanobis(X - means[k], factors, k)
    out *= -0.5
    out -= 0.5 * d * LOG_2PI + half_log_det
    return out


def logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """``log(sum(exp(a), axis=1))`` computed stably (rows of finite values)."""
    peak = a.max(axis=1)
    return np.log(np.exp(a - peak[:, None]).sum(axis=1)) + peak


def expand_covariances(covariances: np.ndarray, covariance_type: str, n_components: int,
                       n_features: int) -> np.ndarray:
    """Every component's covariance as a full (K, d, d) array."""
    if covariance_type == "full":
        return np.array(covariances, dtype=float)
    if covariance_type == "tied":
        return np.broadcast_to(covariances, (n_components, n_features, n_features)).copy()
    if covariance_type == "diag":
        out = np.zeros((n_components, n_features, n_features))
        idx = np.arange(n_features)
        out[:, idx, idx] = covariances
        return out
    if covariance_type == "spherical":
        return np.asarray(covariances, dtype=float)[:, None, None] * np.eye(n_features)[None]
    raise ValueError(f"Unknown covariance_type {covariance_type!r}.")


def covariances_from_scatter(counts: np.ndarray, scatter: np.ndarray, covariance_type: str,
                             reg_covar: float) -> np.ndarray:
    """Maximum-likelihood covariances from weighted scatter matrices.

    Parameters
    ----------
    counts : numpy.ndarray of shape (K,)
        Effective counts ``N_k`` (already guarded against zero).
    scatter : numpy.ndarray of shape (K, d, d)
        ``sum_n gamma_nk (x_n - mu_k)(x_n - mu_k)^T`` about the new means.
    covariance_type : str
    reg_covar : float
        Added to every variance so that no covariance is singular.

    Returns
    -------
    numpy.ndarray
        Covariances in scikit-learn's shape for ``covariance_type``.
    """
    d = scatter.shape[1]
    diag_idx = np.arange(d)
    if covariance_type == "full":
        cov = scatter / counts[:, None, None]
        # Exact symmetry: the accumulated scatter can differ from its transpose in the last bit.
        cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
        cov[:, diag_idx, diag_idx] += reg_covar
        return cov
    if covariance_type == "tied":
        cov = scatter.sum(axis=0) / counts.sum()
        cov = 0.5 * (cov + cov.T)
        cov[diag_idx, diag_idx] += reg_covar
        return cov
    variances = scatter[:, diag_idx, diag_idx] / counts[:, None]
    if covariance_type == "diag":
        return variances + reg_covar
    if covariance_type == "spherical":
        return variances.mean(axis=1) + reg_covar
    raise ValueError(f"Unknown covariance_type {covariance_type!r}.")


def expected_log_gaussian_total(counts: np.ndarray, scatter: np.ndarray,
                                covariances_full: np.ndarray) -> float:
    """``sum_n sum_k gamma_nk log N(x_n | mu_k, Sigma_k)`` from sufficient statistics.

    Parameters
    ----------
    counts : numpy.ndarray of shape (K,)
        ``N_k = sum_n gamma_nk``.
    scatter : numpy.ndarray of shape (K, d, d)
        ``sum_n gamma_nk (x_n - mu_k)(x_n - mu_k)^T`` about the means ``mu_k``
        of the parameters being scored.
    covariances_full : numpy.ndarray of shape (K, d, d)
        The covariances being scored.

    Returns
    -------
    float
    """
    d = scatter.shape[1]
    total = 0.0
    for k in range(counts.shape[0]):
        root, _ = _cholesky_with_jitter(covariances_full[k])
        # trace(Sigma^{-1} S) = ||L^{-1} S L^{-T}|| trace, via two triangular solves.
        half = linalg.solve_triangular(root, scatter[k], lower=True, check_finite=False)
        quad = np.trace(linalg.solve_triangular(root, half.T, lower=True, check_finite=False))
        log_det = 2.0 * np.log(np.diag(root)).sum()
        total += -0.5 * counts[k] * (d * LOG_2PI + log_det) - 0.5 * quad
    return float(total)
