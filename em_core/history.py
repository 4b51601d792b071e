"""The recorded history of a fit: immutable steps and on-demand responsibilities."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ._resp import hard_chunk, initial_chunk, posterior_chunk
from ._rows import NumpyRows, is_dask_array
from .gaussian import covariance_factors
from .model import GaussianMixtureModel

STEP_KINDS = ("kmeans_assign", "kmeans_update", "init", "e_step", "m_step")
KMEANS_KINDS = ("kmeans_assign", "kmeans_update")

FLAG_DESCRIPTIONS = {
    "converged": "the algorithm converged at this step",
    "empty_cluster_reseeded": "an empty k-means cluster was re-seeded at the point farthest from its centroid",
    "component_nearly_empty": "a component holds less than one point's worth of responsibility",
    "component_collapsing": "a component's variance fell far below the data's (under 1e-8 of it): it is "
                            "collapsing onto a point or duplicated points, where the likelihood is unbounded",
    "component_regularised": "a covariance was singular or nearly so; reg_covar keeps it positive definite",
    "components_coincide": "two or more components have the same mean and covariance: EM moves them together "
                           "and can never separate them",
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
    return NumpyRows(X).per_row(posterior_chunk, means.shape[0], np.log(weights), means, factors)


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
    The last few are cached; the cache is guarded by a lock, because one
    history is shared by every session of the app (Streamlit's resource cache).

    Attributes
    ----------
    X : numpy.ndarray or dask.array.Array
        The (read-only) data the history was fitted on; for a history read by
        :func:`em_core.load_history`, its display sample.
    row_numbers : numpy.ndarray of int or None
        The numbers of ``X``'s rows among the fitted rows when ``X`` is a display
        sample; None when ``X`` holds every fitted row.
    n_samples_total : int
        Number of rows the fit used (``n_samples`` unless ``X`` is a sample).
    column_names : tuple of str or None
        Names of the fitted columns, when known.
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
                 options=None, row_numbers=None, n_samples_total=None, column_names=None):
        self.X = X
        self.row_numbers = row_numbers
        self.n_samples_total = int(X.shape[0] if n_samples_total is None else n_samples_total)
        self.column_names = None if column_names is None else tuple(str(c) for c in column_names)
        self._steps = tuple(steps)
        self.covariance_type = covariance_type
        self.n_components = n_components
        self.init = init
        self.converged = bool(converged)
        self.n_iter = int(n_iter)
        self.kmeans_restart_objectives = tuple(float(j) for j in kmeans_restart_objectives)
        self.kmeans_converged = kmeans_converged
        self.options = MappingProxyType(dict(options or {}))
        # ("nearest", centroids) | ("random", key) | ("uniform", None): see em_core._resp.
        self._init_responsibilities = init_responsibilities
        self._cache: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def __getstate__(self):
        # A lock cannot be pickled, and a cache is not worth pickling.
        state = self.__dict__.copy()
        del state["_lock"], state["_cache"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._cache, self._lock = {}, threading.Lock()

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

    def responsibilities(self, index: int):
        """The N x K responsibilities in force at step ``index`` (one-hot for k-means).

        Parameters
        ----------
        index : int
            Step index (negative counts from the end).

        Returns
        -------
        numpy.ndarray of shape (N, K), read-only, or dask.array.Array
            For a history fitted on a Dask array, a lazy Dask array of the same
            shape, computed block by block on the workers when asked (``.compute()``
            on a slice, or a reduction): its rows never travel to this process
            unless you ask for them. For a loaded history, the rows of its sample.

        Notes
        -----
        Thread-safe: the cache of the last four results is read and written
        under a lock; two threads asking for the same step may both compute it,
        but both get the object that was cached first.
        """
        index = range(len(self))[index]
        source = self._source_index(index)
        with self._lock:
            cached = self._cache.get(source)
        if cached is not None:
            return cached
        computed = self._compute_responsibilities(source)  # outside the lock: others keep reading
        with self._lock:
            if source not in self._cache:
                while len(self._cache) >= 4:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[source] = computed
            return self._cache[source]

    def _compute_responsibilities(self, source: int):
        step = self._steps[source]
        K = self.n_components
        if step.kind == "kmeans_assign":
            kernel, args = hard_chunk, (np.asarray(step.means), K)
        elif step.kind == "init":
            kernel, args = initial_chunk, (self._init_responsibilities, K, self.row_numbers)
        else:
            factors = covariance_factors(step.covariances, self.covariance_type, self.n_features)
            kernel, args = posterior_chunk, (np.log(step.weights), np.asarray(step.means), factors)
        if is_dask_array(self.X):
            from ._dask import lazy_per_row

            return lazy_per_row(self.X, kernel, K, *args)
        out = NumpyRows(self.X).per_row(kernel, K, *args)
        out.setflags(write=False)
        return out

    def labels(self, index: int):
        """Hard labels (argmax of the responsibilities) at step ``index`` (lazy for Dask data)."""
        return self.responsibilities(index).argmax(axis=1)

    def save(self, file, *, sample=10_000, column_names=None, seed=0) -> None:
        """Write the history to a saved-fit file (see :mod:`em_core.saved` for the format).

        Parameters
        ----------
        file : str, os.PathLike or binary file object
        sample : int or array_like of int
            The display sample stored with the fit: its size (a seeded uniform
            sample of at most 10,000 rows; every row when there are fewer) or
            the row numbers themselves.
        column_names : sequence of str, optional
            Names of the columns (default: the history's own, else ``x1, x2, ...``).
        seed : int
            Seed of the display sample.
        """
        from .saved import save_history

        save_history(self, file, sample=sample, column_names=column_names, seed=seed)

    def model(self, index: int = -1) -> GaussianMixtureModel:
        """The mixture defined by the parameters of step ``index`` (default: the final fit)."""
        step = self._steps[index]
        return GaussianMixtureModel(step.weights, step.means, step.covariances, self.covariance_type)
