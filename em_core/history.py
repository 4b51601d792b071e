"""The recorded history of a fit: immutable steps and on-demand responsibilities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ._chunks import map_chunks, row_chunks  # noqa: F401  (row_chunks: re-exported)
from .gaussian import centred, covariance_factors, log_joint, normalise_log_joint
from .kmeans import nearest_centroid
from .model import GaussianMixtureModel

STEP_KINDS = ("kmeans_assign", "kmeans_update", "init", "e_step", "m_step")
KMEANS_KINDS = ("kmeans_assign", "kmeans_update")

FLAG_DESCRIPTIONS = {
    "converged": "the algorithm converged at this step",
    "empty_cluster_reseeded": "an empty k-means cluster was re-seeded at the point farthest from its centroid",
    "component_collapsed": "a component holds less than one point's worth of responsibility",
    "component_regularised": "a covariance was singular or nearly so; reg_covar keeps it positive definite",
}


def _frozen(array) -> np.ndarray:
    out = np.array(array, dtype=float, copy=True)
    out.setflags(write=False)
    return out


def posterior(X: np.ndarray, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray,
              covariance_type: str) -> np.ndarray:
    """Responsibilities ``gamma_nk`` of the given parameters (one E-step), shape (N, K).

    Computed exactly as ``fit_history``'s E-step computes them, chunk by chunk.
    """
    X = np.asarray(X, dtype=float)
    means = np.asarray(means, dtype=float)
    factors = covariance_factors(covariances, covariance_type, means.shape[1])
    log_weights = np.log(weights)
    out = np.empty((X.shape[0], means.shape[0]))

    def chunk_pass(rows):
        # Each chunk writes its own rows of ``out``: no two threads touch the same memory.
        out[rows] = normalise_log_joint(log_joint(centred(X[rows], means), log_weights, factors))[0].T

    map_chunks(chunk_pass, X.shape[0])
    return out


@dataclass(frozen=True)
class Step:
    """The state of the algorithm right after one recorded step.

    Attributes
    ----------
    index : int
        Position in the history.
    kind : str
        ``"kmeans_assign"``, ``"kmeans_update"``, ``"init"``, ``"e_step"`` or ``"m_step"``.
    iteration : int
        Lloyd round for k-means steps, 0 for ``init``, the EM iteration (from 1) otherwise.
    weights : numpy.ndarray of shape (K,)
        Mixing proportions (cluster fractions for k-means steps).
    means : numpy.ndarray of shape (K, d)
        Component means (centroids for k-means steps).
    covariances : numpy.ndarray
        In scikit-learn's shape for the covariance type. For k-means steps the
        spread of each hard cluster about its centroid (never drawn, but valid).
    counts : numpy.ndarray of shape (K,)
        Effective number of points per component (hard counts for k-means).
    log_likelihood : float or None
        Total log-likelihood of the data under this step's parameters; None for k-means.
    lower_bound : float or None
        Jensen lower bound with this step's responsibilities and parameters; None for k-means.
    kmeans_objective : float or None
        The k-means objective J; None outside k-means.
    flags : Mapping[str, tuple[int, ...]]
        Flag name to the components it concerns (empty tuple when it concerns none);
        ``"converged" in step.flags`` reads naturally.
    """

    index: int
    kind: str
    iteration: int
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    counts: np.ndarray
    log_likelihood: float | None
    lower_bound: float | None
    kmeans_objective: float | None
    flags: Mapping[str, tuple[int, ...]]

    @property
    def is_kmeans(self) -> bool:
        """True for the k-means initialisation steps."""
        return self.kind in KMEANS_KINDS


def make_step(index, kind, iteration, weights, means, covariances, counts, *, log_likelihood=None,
              lower_bound=None, kmeans_objective=None, flags=None) -> Step:
    """Build a read-only ``Step`` (arrays copied and frozen)."""
    clean_flags = {name: tuple(int(k) for k in comps) for name, comps in (flags or {}).items()}
    return Step(
        index=index, kind=kind, iteration=iteration,
        weights=_frozen(weights), means=_frozen(means), covariances=_frozen(covariances),
        counts=_frozen(counts),
        log_likelihood=None if log_likelihood is None else float(log_likelihood),
        lower_bound=None if lower_bound is None else float(lower_bound),
        kmeans_objective=None if kmeans_objective is None else float(kmeans_objective),
        flags=MappingProxyType(clean_flags),
    )


class History(Sequence):
    """Every recorded step of a fit, in order; a read-only sequence of ``Step``.

    Responsibilities are not stored per step (that would cost N x K memory per
    step); ``responsibilities(i)`` recomputes them from the stored parameters.

    Attributes
    ----------
    X : numpy.ndarray
        The (read-only) data the history was fitted on.
    covariance_type, init : str
    n_components : int
    converged : bool
        Whether EM stopped on ``tol`` before ``max_iter``.
    n_iter : int
        Number of EM iterations (E-step + M-step pairs) performed.
    kmeans_restart_objectives : tuple of float
        Final J of every k-means restart (empty without k-means).
    options : Mapping
        The options the fit was called with.
    """

    def __init__(self, X, steps, *, covariance_type, n_components, init, converged, n_iter,
                 init_responsibilities, kmeans_restart_objectives=(), kmeans_converged=None,
                 options=None):
        self.X = X
        self._steps = tuple(steps)
        self.covariance_type = covariance_type
        self.n_components = n_components
        self.init = init
        self.converged = bool(converged)
        self.n_iter = int(n_iter)
        self.kmeans_restart_objectives = tuple(float(j) for j in kmeans_restart_objectives)
        self.kmeans_converged = kmeans_converged
        self.options = MappingProxyType(dict(options or {}))
        # ("labels", int array) | ("matrix", N x K array) | ("uniform", None)
        self._init_responsibilities = init_responsibilities
        self._cache: dict[int, np.ndarray] = {}

    # Sequence protocol -------------------------------------------------
    def __len__(self) -> int:
        return len(self._steps)

    def __getitem__(self, index):
        return self._steps[index]

    def __repr__(self) -> str:
        return (f"History({len(self)} steps, K={self.n_components}, covariance_type="
                f"{self.covariance_type!r}, init={self.init!r}, n_iter={self.n_iter}, "
                f"converged={self.converged})")

    # Derived views -----------------------------------------------------
    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def final(self) -> Step:
        """The last step (the fitted parameters)."""
        return self._steps[-1]

    def indices_of(self, *kinds: str) -> list[int]:
        """Indices of the steps of the given kinds."""
        return [step.index for step in self._steps if step.kind in kinds]

    @property
    def first_em_index(self) -> int:
        """Index of the ``init`` step, where EM starts."""
        return self.indices_of("init")[0]

    def log_likelihoods(self) -> np.ndarray:
        """Log-likelihood per step, NaN for k-means steps."""
        return np.array([np.nan if s.log_likelihood is None else s.log_likelihood for s in self._steps])

    def lower_bounds(self) -> np.ndarray:
        """Jensen lower bound per step, NaN for k-means steps."""
        return np.array([np.nan if s.lower_bound is None else s.lower_bound for s in self._steps])

    def _source_index(self, index: int) -> int:
        """The step whose own computation produced the responsibilities in force at ``index``.

        An M-step keeps the E-step's responsibilities and a centroid update keeps the
        assignment's labels, so they defer to the step before them.
        """
        while self._steps[index].kind in ("m_step", "kmeans_update"):
            index -= 1
        return index

    def responsibilities(self, index: int) -> np.ndarray:
        """The N x K responsibilities in force at step ``index`` (one-hot for k-means).

        Parameters
        ----------
        index : int
            Step index (negative counts from the end).

        Returns
        -------
        numpy.ndarray of shape (N, K), read-only
        """
        index = range(len(self))[index]
        source = self._source_index(index)
        if source not in self._cache:
            if len(self._cache) >= 4:
                self._cache.pop(next(iter(self._cache)))
            self._cache[source] = self._compute_responsibilities(source)
        return self._cache[source]

    def _compute_responsibilities(self, source: int) -> np.ndarray:
        step = self._steps[source]
        K = self.n_components
        if step.kind == "kmeans_assign":
            labels, _ = nearest_centroid(self.X, np.asarray(step.means))
            out = np.zeros((self.n_samples, K))
            out[np.arange(self.n_samples), labels] = 1.0
        elif step.kind == "init":
            kind, payload = self._init_responsibilities
            if kind == "labels":
                out = np.zeros((self.n_samples, K))
                out[np.arange(self.n_samples), payload] = 1.0
            elif kind == "matrix":
                out = np.array(payload, dtype=float)
            else:
                out = np.full((self.n_samples, K), 1.0 / K)
        else:
            out = posterior(self.X, np.asarray(step.weights), np.asarray(step.means),
                            np.asarray(step.covariances), self.covariance_type)
        out.setflags(write=False)
        return out

    def labels(self, index: int) -> np.ndarray:
        """Hard labels (argmax of the responsibilities) at step ``index``."""
        return np.asarray(self.responsibilities(index)).argmax(axis=1)

    def model(self, index: int = -1) -> GaussianMixtureModel:
        """The mixture defined by the parameters of step ``index`` (default: the final fit)."""
        step = self._steps[index]
        return GaussianMixtureModel(step.weights, step.means, step.covariances, self.covariance_type)
