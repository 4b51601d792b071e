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

LOG_2PI = float(np.log(2.0 * np.pi))
# Up to this many earlier rows, forward substitution updates a row with plain
# multiply-subtracts; beyond, one einsum per row is faster (measured at d = 2..20).
_FEW_TERMS = 3


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
        return np.linalg.cholesky(matrix), False
    except np.linalg.LinAlgError:
        pass
    d = matrix.shape[0]
    scale = max(float(np.trace(matrix)) / d, np.finfo(float).tiny)
    jitter = scale * 1e-12
    for _ in range(40):
        try:
            return np.linalg.cholesky(matrix + jitter * np.eye(d)), True
        except np.linalg.LinAlgError:
            jitter *= 10.0
    # A matrix that survives 40 decades of jitter is not a covariance at all.
    raise ValueError("A covariance matrix could not be factored; the data may contain extreme values.")


def _cholesky_stack(stack: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """Lower Cholesky factors of a (K, d, d) stack and the indices that needed jitter."""
    try:
        # One batched LAPACK call: no Python loop over components in the common case.
        return np.linalg.cholesky(stack), ()
    except np.linalg.LinAlgError:
        pass
    roots = np.empty_like(stack)
    jittered = []
    for k, matrix in enumerate(stack):
        roots[k], needed = _cholesky_with_jitter(matrix)
        if needed:
            jittered.append(k)
    return roots, tuple(jittered)


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
    covariances = np.asarray(covariances, dtype=float)
    if covariance_type == "full":
        roots, jittered = _cholesky_stack(covariances)
        half_log_det = np.log(np.diagonal(roots, axis1=1, axis2=2)).sum(axis=1)
        return CovarianceFactors(covariance_type, roots, half_log_det, jittered)
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


def forward_substitution(lower: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve ``L Z = B`` for lower-triangular ``L`` by forward substitution, batched.

    Parameters
    ----------
    lower : numpy.ndarray of shape (..., d, d)
        Lower-triangular factors (only the lower triangle is read).
    rhs : numpy.ndarray of shape (..., d, m)
        Right-hand sides; the leading dimensions broadcast against ``lower``'s.

    Returns
    -------
    numpy.ndarray of shape (..., d, m)

    Notes
    -----
    This is the triangular solve, not an inverse: row ``j`` of ``Z`` is
    ``(B_j - sum_{i<j} L_ji Z_i) / L_jj``, computed for all components and
    columns at once. For the small d of this app that beats one LAPACK
    ``trsm`` call per component, whose wrapper costs more than the arithmetic
    and which OpenBLAS may spread over threads (ruinous on busy cores).
    """
    d = lower.shape[-1]
    shape = np.broadcast_shapes(lower.shape[:-2], rhs.shape[:-2]) + rhs.shape[-2:]
    out = np.empty(shape)
    for j in range(d):
        row = out[..., j, :]
        if j < _FEW_TERMS:
            # A couple of multiply-subtracts is cheaper than an einsum call.
            np.copyto(row, rhs[..., j, :])
            for i in range(j):
                row -= lower[..., j, i, None] * out[..., i, :]
        else:
            np.subtract(rhs[..., j, :], np.einsum("...i,...im->...m", lower[..., j, :j], out[..., :j, :]),
                        out=row)
        row /= lower[..., j, j, None]
    return out


def squared_mahalanobis_all(diff: np.ndarray, factors: CovarianceFactors) -> np.ndarray:
    """``(x_n - mu_k)^T Sigma_k^{-1} (x_n - mu_k)`` for every component and row.

    Parameters
    ----------
    diff : numpy.ndarray of shape (K, d, n)
        ``x_n - mu_k``, components first and rows last (see :func:`centred`).
    factors : CovarianceFactors

    Returns
    -------
    numpy.ndarray of shape (K, n)
    """
    kind = factors.covariance_type
    if kind in ("full", "tied"):
        z = forward_substitution(factors.roots, diff)
    elif kind == "diag":
        z = diff / factors.roots[:, :, None]
    else:
        z = diff / factors.roots[:, None, None]
    return np.einsum("kin,kin->kn", z, z)


def centred(X: np.ndarray, means: np.ndarray) -> np.ndarray:
    """``x_n - mu_k`` as a C-contiguous (K, d, n) array: rows of the data run along the last axis."""
    out = np.empty((means.shape[0], X.shape[1], X.shape[0]))
    # An explicit ``out``: left to itself numpy would mirror X's (n, d) memory order,
    # and every later pass over a non-contiguous last axis is several times slower.
    np.subtract(X.T[None, :, :], means[:, :, None], out=out)
    return out


def log_joint(diff: np.ndarray, log_weights: np.ndarray, factors: CovarianceFactors) -> np.ndarray:
    """``log pi_k + log N(x_n | mu_k, Sigma_k)`` from the differences, shape (K, n).

    Parameters
    ----------
    diff : numpy.ndarray of shape (K, d, n)
    log_weights : numpy.ndarray of shape (K,)
        Use zeros for the plain component log-densities.
    factors : CovarianceFactors
    """
    n_components, d, _ = diff.shape
    constant = (log_weights - 0.5 * d * LOG_2PI
                - np.broadcast_to(factors.half_log_det, (n_components,)))
    out = squared_mahalanobis_all(diff, factors)
    out *= -0.5
    out += constant[:, None]
    return out


def normalise_log_joint(log_joint_kn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Responsibilities from ``log pi_k + log N``: a log-sum-exp over components.

    Parameters
    ----------
    log_joint_kn : numpy.ndarray of shape (K, n)
        Overwritten with ``log gamma_kn``.

    Returns
    -------
    resp : numpy.ndarray of shape (K, n)
        ``gamma_kn``; each column sums to 1.
    log_gamma : numpy.ndarray of shape (K, n)
        The input array, now holding ``log gamma_kn``.
    log_norm : numpy.ndarray of shape (n,)
        ``log p(x_n)``.

    Notes
    -----
    Only ``log_joint - max`` (<= 0, with an exact 0 in every column) is
    exponentiated, so nothing overflows and the column sum lies in [1, K].
    The one ``exp`` serves both the log-likelihood and the responsibilities.
    """
    peak = log_joint_kn.max(axis=0)
    log_joint_kn -= peak
    resp = np.exp(log_joint_kn)
    total = resp.sum(axis=0)
    resp /= total
    log_total = np.log(total)
    log_joint_kn -= log_total
    return resp, log_joint_kn, log_total + peak


def logsumexp(a, **kwargs):
    """``scipy.special.logsumexp``, imported when first needed.

    scipy.special costs up to a second to import, and the explorer's first screen
    (a 2-D step without density maps or the bound along θ) needs none of it.
    """
    from scipy.special import logsumexp as scipy_logsumexp

    return scipy_logsumexp(a, **kwargs)


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
    X = np.asarray(X, dtype=float)
    means = np.asarray(means, dtype=float)
    return log_joint(centred(X, means), np.zeros(means.shape[0]), factors).T


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


def expected_log_gaussian_total(counts: np.ndarray, scatter: np.ndarray, factors: CovarianceFactors) -> float:
    """``sum_n sum_k gamma_nk log N(x_n | mu_k, Sigma_k)`` from sufficient statistics.

    Parameters
    ----------
    counts : numpy.ndarray of shape (K,)
        ``N_k = sum_n gamma_nk``.
    scatter : numpy.ndarray of shape (K, d, d)
        ``sum_n gamma_nk (x_n - mu_k)(x_n - mu_k)^T`` about the means ``mu_k``
        of the parameters being scored.
    factors : CovarianceFactors
        Factors of the covariances being scored.

    Returns
    -------
    float
    """
    d = scatter.shape[1]
    diagonal = np.diagonal(scatter, axis1=1, axis2=2)
    kind = factors.covariance_type
    # quad_k = trace(Sigma_k^{-1} S_k) = trace(L^{-1} S L^{-T}), by two triangular solves.
    if kind in ("full", "tied"):
        half = forward_substitution(factors.roots, scatter)
        quad = np.trace(forward_substitution(factors.roots, np.swapaxes(half, 1, 2)), axis1=1, axis2=2)
    elif kind == "diag":
        quad = (diagonal / factors.roots ** 2).sum(axis=1)
    else:
        quad = diagonal.sum(axis=1) / factors.roots ** 2
    log_det = 2.0 * np.broadcast_to(factors.half_log_det, counts.shape)
    return float(np.sum(-0.5 * counts * (d * LOG_2PI + log_det) - 0.5 * quad))
