"""The Jensen bound along a path through parameter space: the picture behind "EM climbs".

For one EM iteration, :func:`bound_along_path` follows a path θ(t) from the
parameters before the iteration's E-step (t = 0) to the M-step's result (t = 1)
and evaluates, at every t, the log-likelihood log p(X | θ(t)) and Jensen's lower
bound with q fixed to that E-step's responsibilities::

    L(q, θ(t)) = Σ_n Σ_k q_nk [log π_k(t) + log N(x_n | μ_k(t), Σ_k(t)) − log q_nk]

The bound touches the log-likelihood at t = 0 (q is the posterior of θ(0)) and
peaks at t = 1 when the M-step maximises it exactly (``reg_covar = 0``).
"""

from __future__ import annotations

import numpy as np

from .gaussian import covariance_factors, expand_covariances, log_gaussian, logsumexp

__all__ = ["bound_along_path", "parameters_along_path"]


def _log_cholesky(covariances: np.ndarray, covariance_type: str) -> np.ndarray:
    """Covariances as log-Cholesky coordinates: the factor with the log of its diagonal."""
    if covariance_type in ("diag", "spherical"):
        return 0.5 * np.log(covariances)  # log of the standard deviations
    lower = np.linalg.cholesky(covariances)
    diag = np.diagonal(lower, axis1=-2, axis2=-1)
    out = lower.copy()
    idx = np.arange(lower.shape[-1])
    out[..., idx, idx] = np.log(diag)
    return out


def _from_log_cholesky(coords: np.ndarray, covariance_type: str) -> np.ndarray:
    if covariance_type in ("diag", "spherical"):
        return np.exp(2.0 * coords)
    lower = np.tril(coords)
    idx = np.arange(coords.shape[-1])
    lower[..., idx, idx] = np.exp(coords[..., idx, idx])
    return lower @ np.swapaxes(lower, -1, -2)


def parameters_along_path(before, after, covariance_type: str, t: float):
    """θ(t) between two parameter sets ``(weights, means, covariances)``: θ(0) = before, θ(1) = after.

    Means move on a straight line. Weights move on a straight line of their
    logs, renormalised (a softmax path), and covariances on a straight line of
    their log-Cholesky coordinates (the Cholesky factor with the log of its
    diagonal; log standard deviations for diagonal and spherical types). Both
    keep every θ(t) valid for every real t: weights positive and summing to 1,
    covariances symmetric positive definite. So the path extends beyond [0, 1]
    as far as a picture needs.

    Returns
    -------
    weights, means, covariances : numpy.ndarray
        In the shapes of ``before`` (scikit-learn's for the covariance type).
    """
    w0, m0, c0 = (np.asarray(a, dtype=float) for a in before)
    w1, m1, c1 = (np.asarray(a, dtype=float) for a in after)
    log_w = (1.0 - t) * np.log(w0) + t * np.log(w1)
    weights = np.exp(log_w - logsumexp(log_w))
    means = (1.0 - t) * m0 + t * m1
    coords = (1.0 - t) * _log_cholesky(c0, covariance_type) + t * _log_cholesky(c1, covariance_type)
    return weights, means, _from_log_cholesky(coords, covariance_type)


def bound_along_path(X, history, index: int, ts) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood and Jensen lower bound along the path of one EM iteration.

    Parameters
    ----------
    X : array_like of shape (N, d)
        The data the history was fitted on.
    history : History
    index : int
        An M-step of ``history``. Its iteration's E-step is the step before it,
        whose parameters are θ(0) and whose responsibilities are q.
    ts : array_like of float
        Where to evaluate the path (0: before the E-step, 1: after the M-step;
        any real t is valid, see :func:`parameters_along_path`).

    Returns
    -------
    log_likelihood, lower_bound : numpy.ndarray of shape (len(ts),)
        ``log p(X | θ(t))`` and ``L(q, θ(t))``.

    Notes
    -----
    What holds (tested): ``lower_bound <= log_likelihood`` everywhere (Jensen);
    equality at t = 0 to rounding; the values at t = 0 and t = 1 are the
    history's own (the E-step's log-likelihood, the M-step's log-likelihood and
    bound); with ``reg_covar = 0`` the bound is largest at t = 1 among all t,
    because the M-step maximises it over every θ. With ``reg_covar = ε > 0`` the
    M-step's covariances are S/N_k + εI, not the maximiser, and the bound's peak
    may sit slightly before t = 1.

    Raises
    ------
    ValueError
        If ``index`` is not an M-step, or a covariance at either end is singular
        (a collapse, possible only with ``reg_covar = 0``).
    """
    X = np.asarray(X, dtype=float)
    index = range(len(history))[index]
    step = history[index]
    if step.kind != "m_step":
        raise ValueError(f"index must be an M-step of the history; step {index} is a {step.kind!r} step.")
    start = history[index - 1]
    for end in (start, step):
        full = expand_covariances(end.covariances, history.covariance_type, history.n_components, X.shape[1])
        if not np.all(np.linalg.eigvalsh(full)[:, 0] > 0):
            raise ValueError(f"A covariance is singular at step {end.index} (a component collapsed onto points): "
                             "the log-likelihood is unbounded there, so there is no path to draw.")
    q = np.asarray(history.responsibilities(index))  # the E-step's γ, in force at the M-step
    positive = q > 0
    entropy = -float(np.sum(q[positive] * np.log(q[positive])))
    before = (start.weights, start.means, start.covariances)
    after = (step.weights, step.means, step.covariances)
    ts = np.atleast_1d(np.asarray(ts, dtype=float))
    log_likelihood = np.empty(ts.shape)
    lower_bound = np.empty(ts.shape)
    d = X.shape[1]
    for i, t in enumerate(ts):
        weights, means, covariances = parameters_along_path(before, after, history.covariance_type, t)
        joint = log_gaussian(X, means, covariance_factors(covariances, history.covariance_type, d)) + np.log(weights)
        log_likelihood[i] = float(logsumexp(joint, axis=1).sum())
        lower_bound[i] = float(np.sum(q * joint)) + entropy
    return log_likelihood, lower_bound
