"""A fitted Gaussian mixture: prediction, scoring, sampling and information criteria."""

from __future__ import annotations

import numpy as np

from ._validation import check_choice, check_number, COVARIANCE_TYPES
from ._chunks import map_chunks
from .gaussian import centred, covariance_factors, expand_covariances, log_joint, normalise_log_joint


def n_parameters(n_components: int, n_features: int, covariance_type: str) -> int:
    """Number of free parameters of a mixture (weights, means and covariances).

    Parameters
    ----------
    n_components, n_features : int
    covariance_type : str

    Returns
    -------
    int
        ``(K - 1) + K d + c`` with ``c`` = ``K d (d + 1) / 2`` (full),
        ``d (d + 1) / 2`` (tied), ``K d`` (diag) or ``K`` (spherical).
    """
    check_choice("covariance_type", covariance_type, COVARIANCE_TYPES)
    k, d = n_components, n_features
    cov = {"full": k * d * (d + 1) // 2, "tied": d * (d + 1) // 2, "diag": k * d, "spherical": k}
    return (k - 1) + k * d + cov[covariance_type]


class GaussianMixtureModel:
    """A Gaussian mixture with fixed parameters.

    Parameters
    ----------
    weights : array_like of shape (K,)
    means : array_like of shape (K, d)
    covariances : array_like
        In scikit-learn's shape for ``covariance_type``.
    covariance_type : str
        ``"full"``, ``"tied"``, ``"diag"`` or ``"spherical"``.

    Attributes
    ----------
    weights, means, covariances : numpy.ndarray
        Float64 copies of the parameters. The covariance factors every method
        uses are computed from them once, here: for other parameters make a
        new model rather than assigning to these.
    covariance_type : str
    n_components, n_features : int
        K and d, the shape of ``means``.
    """

    def __init__(self, weights, means, covariances, covariance_type: str = "full"):
        self.covariance_type = check_choice("covariance_type", covariance_type, COVARIANCE_TYPES)
        self.weights = np.array(weights, dtype=float)
        self.means = np.array(means, dtype=float)
        self.covariances = np.array(covariances, dtype=float)
        self.n_components, self.n_features = self.means.shape
        self._factors = covariance_factors(self.covariances, covariance_type, self.n_features)

    def _check_X(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n_samples, {self.n_features}); got {X.shape}.")
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinite values; drop or impute them first.")
        return X

    def _posterior(self, X: np.ndarray, want_resp: bool) -> np.ndarray:
        """Responsibilities (n, K) or log-densities (n,), chunk by chunk as in the E-step.

        Sharing the E-step's code makes ``predict_proba`` equal, bit for bit, to the
        responsibilities that ``fit_history`` records for the same parameters.
        """
        log_weights = np.log(self.weights)
        out = np.empty((X.shape[0], self.n_components) if want_resp else X.shape[0])

        def chunk_pass(rows):
            resp, _, log_norm = normalise_log_joint(log_joint(centred(X[rows], self.means), log_weights,
                                                              self._factors))
            out[rows] = resp.T if want_resp else log_norm

        map_chunks(chunk_pass, X.shape[0])
        return out

    def score_samples(self, X) -> np.ndarray:
        """Log-density ``log p(x_n)`` of each row."""
        return self._posterior(self._check_X(X), want_resp=False)

    def score(self, X) -> float:
        """Mean log-likelihood per sample."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities ``gamma_nk``, shape (n, K)."""
        return self._posterior(self._check_X(X), want_resp=True)

    def predict(self, X) -> np.ndarray:
        """Most responsible component of each row."""
        return self.predict_proba(X).argmax(axis=1)

    def sample(self, n_samples: int = 1, seed=None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` points from the mixture.

        Returns
        -------
        X : numpy.ndarray of shape (n_samples, d)
        labels : numpy.ndarray of shape (n_samples,)
            The component each point was drawn from.
        """
        n_samples = check_number("n_samples", n_samples, minimum=1, integer=True)
        rng = np.random.default_rng(seed)
        labels = rng.choice(self.n_components, size=n_samples, p=self.weights / self.weights.sum())
        full = expand_covariances(self.covariances, self.covariance_type, self.n_components, self.n_features)
        X = np.empty((n_samples, self.n_features))
        for k in range(self.n_components):
            rows = labels == k
            root = np.linalg.cholesky(full[k])
            X[rows] = self.means[k] + rng.standard_normal((rows.sum(), self.n_features)) @ root.T
        return X, labels

    def n_parameters(self) -> int:
        """Number of free parameters."""
        return n_parameters(self.n_components, self.n_features, self.covariance_type)

    def bic(self, X) -> float:
        """Bayesian information criterion ``-2 log L + p log N`` (lower is better)."""
        X = self._check_X(X)
        return float(-2.0 * self.score_samples(X).sum() + self.n_parameters() * np.log(X.shape[0]))

    def aic(self, X) -> float:
        """Akaike information criterion ``-2 log L + 2 p`` (lower is better)."""
        X = self._check_X(X)
        return float(-2.0 * self.score_samples(X).sum() + 2.0 * self.n_parameters())
