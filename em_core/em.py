"""EM for Gaussian mixtures, recording every step: ``fit_history``.

One pass over the data per EM iteration does the whole E-step and gathers
what the M-step needs: for parameters ``theta`` it computes the log-likelihood
``log p(X | theta)``, the responsibilities ``gamma`` (never stored for all steps),
their entropy, and the sufficient statistics ``N_k``, ``sum gamma (x - c_k)`` and
``sum gamma (x - c_k)(x - c_k)^T`` accumulated in row chunks. The shift ``c_k``
is the component's current mean, so the scatter about the new mean is found
with almost no cancellation (the new mean is close to the old one); in the
rare iteration where it is not, the pass is repeated with the new means as the
shift (``_RESHIFT_ABOVE``).

Every pass is a chunk kernel (``_steps._em_chunk``, ``_steps._initial_chunk_moments``) run
by a row source (``_rows``): on a numpy array the chunks run on a small
thread pool (``_chunks.map_chunks``), on a Dask array on the blocks' workers,
each block cut into the same chunks. Each returns its own partial sums,
added up in chunk (block) order, so a numpy fit is bit-identical whatever
the number of threads, and a Dask fit differs from it only by the order of
the final additions. Each parameter set is factored (Cholesky) once, and the
factors serve both its lower bound and its E-step.
"""

from __future__ import annotations

import numpy as np

from . import _validation as v
from ._rows import as_rows, data_mean
from ._steps import (
    _COLLAPSE_BELOW,
    _COUNT_GUARD,
    _add_components,
    _coinciding,
    _cancels,
    _constrained,
    _data_covariances,
    _em_pass,
    _lower_bound,
    _m_step,
    _needs_regularisation,
    _spherical,
    _statistics_of,
)
from .gaussian import covariance_factors, covariances_from_scatter
from .history import History, make_step
from .kmeans import best_of_restarts

def fit_history(X, n_components, *, covariance_type="full", init="kmeans", max_iter=100, tol=1e-3,
                reg_covar=1e-6, seed=None, n_init=1, weights_init=None, means_init=None,
                covariances_init=None, kmeans_max_iter=300, on_step=None, fixed_variance=None,
                equal_weights=False) -> History:
    """Fit a Gaussian mixture by EM and record every step of the way.

    Parameters
    ----------
    X : array_like or dask.array.Array of shape (n_samples, n_features)
        Finite numeric data. A Dask array (chunked by rows; its columns are
        rechunked into one block if they are not) is fitted where its blocks
        live: every pass runs per block with the same chunk kernels as for
        numpy, only K x d x d-sized sums come back, and the history is the
        numpy one up to rounding (1e-10 relative). The history's ``X`` is then
        the Dask array and its responsibilities are lazy Dask arrays.
    n_components : int
        Number of mixture components K (1 <= K <= n_samples).
    covariance_type : {"full", "tied", "diag", "spherical"}
        Same meaning as in scikit-learn.
    init : {"kmeans", "kmeans++", "random_points", "random_resp", "given"}
        ``kmeans``: k-means++ seeding then Lloyd's algorithm (best of ``n_init``),
        whose labels become one-hot responsibilities for one M-step. The seeds
        are drawn from a seeded sample of 65,536 rows when there are more (on
        numpy and Dask alike, so both record the same history; see
        ``kmeans.best_of_restarts`` for why this rather than k-means||).
        ``kmeans++``: the seeds alone, their nearest-seed partition then one M-step.
        ``random_points``: K distinct data rows as means, the data covariance for
        every component, equal weights. ``random_resp``: random responsibilities
        then one M-step; each row's are a function of the seed and the row's
        number (a counter-based generator), so numpy chunks and Dask blocks
        draw the same numbers without an N x K array anywhere. ``given``: ``weights_init``, ``means_init`` and
        ``covariances_init`` (scikit-learn's attribute shapes).
    max_iter : int
        Maximum number of EM iterations (each an E-step and an M-step).
    tol : float
        Stop when the mean log-likelihood per sample changes by less than this
        between consecutive parameter sets.
    reg_covar : float
        Added to every covariance diagonal so that none is singular.
    seed : int or None
        Seed of every random choice; the same seed gives bit-identical histories.
    n_init : int
        Number of k-means restarts (``init="kmeans"`` / ``"kmeans++"``); the run
        with the lowest objective J is kept and recorded.
    weights_init, means_init, covariances_init : array_like, optional
        Initial parameters for ``init="given"``. With ``means_init`` alone the
        weights default to 1/K and every covariance to the data's covariance
        (plus ``reg_covar``), or to σ²I with ``fixed_variance``.
    kmeans_max_iter : int
        Maximum number of Lloyd rounds.
    on_step : callable, optional
        Called with every ``Step`` as soon as it is recorded (progress reports:
        the command line prints one line per M-step); its result is ignored.
    fixed_variance : float, optional
        σ² > 0: every component's covariance is σ²I (in ``covariance_type``'s
        shape) from the start and is never updated (``reg_covar`` is not added).
        With ``equal_weights`` and the same starting means this is "soft
        k-means": as σ² → 0 the responsibilities become the nearest-centroid
        assignment and EM's path becomes Lloyd's.
    equal_weights : bool
        Keep every mixing weight at 1/K (never updated).

    Returns
    -------
    History
        Steps in order: k-means assignments and updates (k-means inits only),
        ``init``, then alternating ``e_step`` and ``m_step``.

    Raises
    ------
    ValueError
        With a message that says what is wrong with the input and what to do.

    Notes
    -----
    Convergence is tested after every M-step on the new parameters' likelihood,
    one iteration earlier than scikit-learn, which tests the previous
    parameters'. With ``tol=0`` both run exactly ``max_iter`` iterations.
    """
    K = v.check_n_components(n_components)
    v.check_choice("covariance_type", covariance_type, v.COVARIANCE_TYPES)
    v.check_choice("init", init, v.INIT_METHODS)
    max_iter = v.check_number("max_iter", max_iter, minimum=1, integer=True)
    tol = v.check_number("tol", tol, minimum=0.0)
    reg_covar = v.check_number("reg_covar", reg_covar, minimum=0.0)
    n_init = v.check_number("n_init", n_init, minimum=1, integer=True)
    kmeans_max_iter = v.check_number("kmeans_max_iter", kmeans_max_iter, minimum=1, integer=True)
    if fixed_variance is not None:
        fixed_variance = v.check_number("fixed_variance", fixed_variance, minimum=0.0)
        if fixed_variance <= 0:
            raise ValueError("fixed_variance must be a variance above 0 (or None to estimate the covariances).")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed must be a non-negative whole number or None; got {seed!r}.")
    rows = as_rows(X, K)
    n, d = rows.n_samples, rows.n_features
    given = None
    fixed = None if fixed_variance is None else _spherical(fixed_variance, covariance_type, K, d)
    if init == "given":
        if fixed is not None and covariances_init is None:
            covariances_init = fixed
        if weights_init is None and means_init is not None:
            weights_init = np.full(K, 1.0 / K)
        if covariances_init is None and means_init is not None:
            # Means alone (placed by hand): every component starts with the data's own covariance,
            # wide enough that the first E-step shares every point between the placed means.
            covariances_init = _data_covariances(rows, data_mean(rows), covariance_type, K, reg_covar)[0]
        given = v.check_given_parameters(weights_init, means_init, covariances_init, covariance_type, K, d)
    rng = np.random.default_rng(seed)
    options = dict(n_components=K, covariance_type=covariance_type, init=init, max_iter=max_iter, tol=tol,
                   reg_covar=reg_covar, seed=seed, n_init=n_init, kmeans_max_iter=kmeans_max_iter,
                   fixed_variance=fixed_variance, equal_weights=bool(equal_weights))

    # A variance this far below the data's own is a component collapsing onto a point (or duplicated
    # points): the likelihood's singularity. The data's variance comes from the first M-step's
    # statistics (any responsibilities give it), so it costs no pass over the data.
    collapse_floor = None

    def m_step(stats, previous_means, previous_covariances):
        """The M-step, then the fixed parts of the model put back (σ²I, 1/K) where asked."""
        nonlocal collapse_floor
        if collapse_floor is None:
            collapse_floor = _COLLAPSE_BELOW * stats.data_variance()
        return _constrained(_m_step(stats, previous_means, previous_covariances, covariance_type, reg_covar, n,
                                    collapse_floor), fixed, equal_weights)

    steps = []

    def add_step(*args, **kwargs):
        steps.append(make_step(len(steps), *args, **kwargs))
        if on_step is not None:
            on_step(steps[-1])

    restart_objectives: list[float] = []
    kmeans_converged = None

    def shift():
        """The data mean for every component (one pass; the k-means inits never need it)."""
        return np.broadcast_to(data_mean(rows), (K, d)).copy()

    # Initial responsibilities and parameters -----------------------------------
    if init in ("kmeans", "kmeans++"):
        run, restart_objectives = best_of_restarts(rows, K, rng, n_init, kmeans_max_iter,
                                                   lloyd_iterations=(init == "kmeans"))
        kmeans_converged = run.converged if init == "kmeans" else None
        for record in run.records:
            flags = {}
            if record.reseeded:
                flags["empty_cluster_reseeded"] = record.reseeded
            if record.converged:
                flags["converged"] = ()
            # The spread of each hard cluster about the record's centroids (gathered by lloyd).
            covs = covariances_from_scatter(record.counts + _COUNT_GUARD, record.scatter, covariance_type,
                                            reg_covar)
            add_step(record.kind, record.iteration, record.counts / n, record.centroids, covs, record.counts,
                     kmeans_objective=record.objective, flags=flags)
        # The last assignment's labels, as the nearest of its centroids: recomputed per chunk, never stored.
        init_resp = ("nearest", run.assigned_to)
        # Moments about the final centroids, not the data mean: the scatter about the new
        # means is S_c - (2 N_k - n_k) delta delta^T, which cancels when a tight cluster lies far
        # from the shift c (a lone point 30 units from the mean lost its 1e-6 variance to it).
        stats = _statistics_of(rows, init_resp, run.records[-1].centroids)
        weights, means, covariances, init_flags = m_step(stats, None, None)
    elif init == "random_resp":
        # A key, not an N x K matrix: each chunk (or Dask block) draws its own rows' numbers
        # from it (see _resp.random_responsibilities), the same numbers on every row source.
        init_resp = ("random", int(rng.integers(2 ** 63)))
        stats = _statistics_of(rows, init_resp, shift())
        weights, means, covariances, init_flags = m_step(stats, None, None)
    else:
        centre = shift()
        if init == "random_points":
            chosen = np.sort(rng.choice(n, size=K, replace=False))
            means = rows.take(chosen)
            weights = np.full(K, 1.0 / K)
            covariances, raw = _data_covariances(rows, centre[0], covariance_type, K, reg_covar)
            # The data covariance itself may be singular (a constant column, collinear
            # or duplicated points): flag it as the M-step would.
            regularised = _needs_regularisation(raw, covariance_type, K, d, reg_covar)
        else:
            weights, means, covariances = given
            regularised = []
        init_resp = ("uniform", None)
        stats = _statistics_of(rows, init_resp, centre)
        init_flags = {"component_regularised": regularised} if regularised else {}
        weights, means, covariances, init_flags = _constrained((weights, means, covariances, init_flags), fixed,
                                                               equal_weights)

    # EM ------------------------------------------------------------------------
    # Each parameter set is factored once; the bound and the E-step share the factors.
    factors = covariance_factors(covariances, covariance_type, d)
    init_bound = _lower_bound(stats, weights, means, factors)
    current = _em_pass(rows, weights, means, factors)
    _add_components(init_flags, "component_regularised", factors.jittered)
    _add_components(init_flags, "components_coincide", _coinciding(means, covariances, covariance_type))
    add_step("init", 0, weights, means, covariances, stats.counts, log_likelihood=current.log_likelihood,
             lower_bound=init_bound, flags=init_flags)
    converged = False
    n_iter = 0
    for iteration in range(1, max_iter + 1):
        # The bound with the E-step's own responsibilities, computed rather than assumed: that it
        # equals the log-likelihood (to rounding) is what the theory page's table demonstrates.
        e_bound = _lower_bound(current, weights, means, factors)
        add_step("e_step", iteration, weights, means, covariances, current.counts,
                 log_likelihood=current.log_likelihood, lower_bound=e_bound)
        new_weights, new_means, new_covariances, flags = m_step(current, means, covariances)
        if _cancels(current, new_means, reg_covar):
            # Same responsibilities (the E-step is deterministic), moments about the new
            # means: one more pass, and the scatter keeps its digits.
            current = _em_pass(rows, weights, means, factors, shift=new_means)
            new_weights, new_means, new_covariances, flags = m_step(current, means, covariances)
        factors = covariance_factors(new_covariances, covariance_type, d)
        bound = _lower_bound(current, new_weights, new_means, factors)
        following = _em_pass(rows, new_weights, new_means, factors, with_statistics=iteration < max_iter)
        _add_components(flags, "component_regularised", factors.jittered)
        _add_components(flags, "components_coincide", _coinciding(new_means, new_covariances, covariance_type))
        n_iter = iteration
        change = (following.log_likelihood - current.log_likelihood) / n
        converged = bool(abs(change) < tol)
        if converged:
            flags["converged"] = ()
        add_step("m_step", iteration, new_weights, new_means, new_covariances, current.counts,
                 log_likelihood=following.log_likelihood, lower_bound=bound, flags=flags)
        weights, means, covariances, current = new_weights, new_means, new_covariances, following
        if converged:
            break

    return History(rows.X, steps, covariance_type=covariance_type, n_components=K, init=init,
                   converged=converged, n_iter=n_iter, init_responsibilities=init_resp,
                   kmeans_restart_objectives=restart_objectives, kmeans_converged=kmeans_converged,
                   options=options)
