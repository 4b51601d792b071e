"""The pieces of one EM iteration: the E-step pass with its sufficient statistics, the M-step, the bound.

``fit_history`` (``em.py``) strings these together and records the steps. One
pass over the data per iteration (``_em_pass``, a chunk kernel run by a row
source) does the E-step and gathers the M-step's statistics about a shift
``c_k`` (the current means, see ``_RESHIFT_ABOVE``); ``_m_step`` turns them
into new parameters and flags; ``_lower_bound`` scores any parameters against
the statistics' responsibilities (Jensen's bound).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._resp import initial_chunk
from ._rows import sum_parts
from .gaussian import (
    CovarianceFactors,
    centred,
    covariances_from_scatter,
    expand_covariances,
    expected_log_gaussian_total,
    log_joint,
    normalise_log_joint,
)

# scikit-learn adds this to every N_k so that an empty component divides by a
# tiny number instead of zero; we do the same so that both agree to the last bits.
_COUNT_GUARD = 10 * np.finfo(float).eps
# Below this many points' worth of responsibility a component's mean and
# covariance are frozen: dividing near-zero sums would throw it anywhere.
_FREEZE_BELOW = 1e-8
# A component whose smallest variance falls below this fraction of the data's mean variance is
# flagged as collapsing onto a point: far below any real cluster's spread, far above rounding.
_COLLAPSE_BELOW = 1e-8
# The one-pass scatter about the new means, S_c - (2 N_k - n_k) delta delta^T,
# loses about log10(trace S_c / trace S_new) digits. Above this ratio (4 digits;
# a component collapsing onto a point, or a long jump of a mean) the E-step's
# statistics are gathered again about the new means (see fit_history).
_RESHIFT_ABOVE = 1e4


@dataclass
class _Statistics:
    """Sufficient statistics of responsibilities, about per-component shifts."""

    log_likelihood: float
    counts: np.ndarray  # (K,) sum_n gamma_nk
    shift: np.ndarray  # (K, d) c_k
    sum_diff: np.ndarray  # (K, d) sum_n gamma_nk (x_n - c_k)
    scatter_shift: np.ndarray  # (K, d, d) sum_n gamma_nk (x_n - c_k)(x_n - c_k)^T
    entropy: float  # -sum gamma log gamma

    def data_variance(self) -> float:
        """The data's mean column variance, read off the statistics without a pass over the data.

        Every row's responsibilities sum to 1, so the components' moments add up to
        the data's own: its mean, and its scatter about that mean.
        """
        n = self.counts.sum()
        mean = (self.counts[:, None] * self.shift + self.sum_diff).sum(axis=0) / n
        total = self.scatter_about(np.broadcast_to(mean, self.shift.shape)).sum(axis=0)
        return float(np.trace(total) / (n * mean.size))

    def scatter_about(self, centres: np.ndarray) -> np.ndarray:
        """``sum_n gamma_nk (x_n - m_k)(x_n - m_k)^T`` for arbitrary centres ``m_k`` (exact algebra)."""
        delta = centres - self.shift
        cross = self.sum_diff[:, :, None] * delta[:, None, :]
        return (self.scatter_shift - cross - np.swapaxes(cross, 1, 2)
                + self.counts[:, None, None] * delta[:, :, None] * delta[:, None, :])


def _chunk_moments(diff: np.ndarray, resp: np.ndarray, log_resp: np.ndarray | None):
    """One chunk's share of the statistics: ``N_k``, ``sum gamma diff``, ``sum gamma diff diff^T``, entropy.

    ``diff`` is (K, d, n), ``resp`` and ``log_resp`` are (K, n); a ``log_resp``
    of None means "take the log of ``resp`` where it is positive".
    """
    if log_resp is None:
        log_resp = np.zeros_like(resp)
        np.log(resp, out=log_resp, where=resp > 0)
    # resp = 0 where log_resp is finite but very negative: the product is 0, never NaN.
    entropy = -float(np.einsum("kn,kn->", resp, log_resp))
    weighted = diff * resp[:, None, :]
    # K small (d x n) @ (n x d) products: BLAS is 3x faster than einsum here, and a
    # product this small (d x d x CHUNK_ROWS flops for small d) stays on the calling thread.
    scatter = np.matmul(weighted, np.swapaxes(diff, 1, 2))
    return resp.sum(axis=1), weighted.sum(axis=2), scatter, entropy


def _combine_moments(parts):
    """Add up per-chunk moments in chunk order (the same order whatever thread or worker made them)."""
    counts, sum_diff, scatter, entropy = sum_parts(parts)
    return counts, sum_diff, scatter, float(entropy)


def _statistics(shift: np.ndarray, log_likelihood: float, moments) -> _Statistics:
    counts, sum_diff, scatter, entropy = moments
    return _Statistics(log_likelihood, counts, shift.copy(), sum_diff, scatter, entropy)


# Chunk kernels: module-level so that Dask can send them to its workers (see _rows). -------------

def _em_chunk(X_chunk, start, log_weights, means, factors: CovarianceFactors, with_statistics, shift):
    """One chunk's E-step: its log-likelihood and (optionally) its share of the M-step's statistics."""
    diff = centred(X_chunk, means)
    resp, log_resp, log_norm = normalise_log_joint(log_joint(diff, log_weights, factors))
    moments = None
    if with_statistics:
        about = diff if shift is None else centred(X_chunk, shift)
        moments = _chunk_moments(about, resp, log_resp)
    return float(log_norm.sum()), moments


def _combine_em(parts):
    log_likelihood = 0.0
    for part in parts:  # chunk order: deterministic
        log_likelihood += part[0]
    moments = _combine_moments([part[1] for part in parts]) if parts[0][1] is not None else None
    return log_likelihood, moments


def _initial_chunk_moments(X_chunk, start, spec, n_components, shift):
    """Statistics of the initial responsibilities ``spec`` (see ``_resp``) on one chunk."""
    return _chunk_moments(centred(X_chunk, shift), initial_chunk(X_chunk, start, spec, n_components), None)


def _em_pass(rows, weights, means, factors: CovarianceFactors, with_statistics=True,
             shift=None) -> _Statistics:
    """One E-step over all rows: the log-likelihood and (optionally) the M-step's statistics.

    The statistics are taken about ``shift`` (the ``c_k``), by default the current means.
    """
    log_likelihood, moments = rows.run(_em_chunk, _combine_em, np.log(weights), means, factors,
                                       with_statistics, shift)
    shift = means if shift is None else shift
    if moments is None:
        K, d = shift.shape
        moments = (np.zeros(K), np.zeros((K, d)), np.zeros((K, d, d)), 0.0)
    return _statistics(shift, log_likelihood, moments)


def _statistics_of(rows, spec, shift) -> _Statistics:
    """Statistics of the initial responsibilities ``spec`` about ``shift``."""
    return _statistics(shift, 0.0, rows.run(_initial_chunk_moments, _combine_moments, spec, shift.shape[0],
                                            shift))


def _m_step(stats: _Statistics, previous_means, previous_covariances, covariance_type, reg_covar,
            n_samples, collapse_floor: float = 0.0):
    """New parameters from the statistics, plus flags for nearly empty, collapsing or regularised components.

    ``collapse_floor``: a component whose covariance (before ``reg_covar``) has a
    variance below it is flagged as collapsing onto a point or duplicated points.
    """
    counts = stats.counts + _COUNT_GUARD
    delta = stats.sum_diff / counts[:, None]
    means = stats.shift + delta
    # Scatter about the new means: S_c - (2 N_k - n_k) delta delta^T, algebraically exact.
    scatter = stats.scatter_shift - (2.0 * counts - stats.counts)[:, None, None] * (
        delta[:, :, None] * delta[:, None, :])
    covariances = covariances_from_scatter(counts, scatter, covariance_type, reg_covar)

    flags: dict[str, list[int]] = {}
    frozen = np.flatnonzero(stats.counts < _FREEZE_BELOW)
    if frozen.size and previous_means is not None:
        means[frozen] = previous_means[frozen]
        if covariance_type != "tied":
            covariances[frozen] = previous_covariances[frozen]
    nearly_empty = np.flatnonzero(stats.counts < 1.0)
    if nearly_empty.size:
        flags["component_nearly_empty"] = nearly_empty.tolist()
    smallest = _smallest_variances(covariances_from_scatter(counts, scatter, covariance_type, 0.0),
                                   covariance_type, means.shape[0], means.shape[1])
    regularised = np.flatnonzero(smallest <= reg_covar).tolist()
    if regularised:
        flags["component_regularised"] = regularised
    collapsing = np.flatnonzero((smallest < collapse_floor) & (stats.counts >= _FREEZE_BELOW)).tolist()
    if collapsing:
        flags["component_collapsing"] = collapsing
    weights = counts / n_samples
    weights /= weights.sum()
    return weights, means, covariances, flags


def _spherical(variance: float, covariance_type: str, n_components: int, n_features: int) -> np.ndarray:
    """σ²I for every component, in scikit-learn's shape for ``covariance_type``."""
    if covariance_type == "full":
        return np.broadcast_to(variance * np.eye(n_features), (n_components, n_features, n_features)).copy()
    if covariance_type == "tied":
        return variance * np.eye(n_features)
    if covariance_type == "diag":
        return np.full((n_components, n_features), variance)
    return np.full(n_components, variance)


def _constrained(parameters, fixed_covariances, equal_weights: bool):
    """``(weights, means, covariances, flags)`` with the fixed parts put back: σ²I covariances, 1/K weights.

    A fixed covariance is never estimated, so no regularisation or collapse flag applies to it.
    """
    weights, means, covariances, flags = parameters
    if fixed_covariances is not None:
        covariances = fixed_covariances.copy()
        flags.pop("component_regularised", None)
        flags.pop("component_collapsing", None)
    if equal_weights:
        weights = np.full(len(weights), 1.0 / len(weights))
    return weights, means, covariances, flags


def _cancels(stats: _Statistics, new_means: np.ndarray, reg_covar: float) -> bool:
    """Whether the scatter about ``new_means`` found from ``stats`` lost too many digits."""
    d = new_means.shape[1]
    before = np.trace(stats.scatter_shift, axis1=1, axis2=2)
    # reg_covar counts as spread: digits lost below it do not reach the covariance.
    after = (np.trace(stats.scatter_about(new_means), axis1=1, axis2=2) + stats.counts * d * reg_covar
             + np.finfo(float).tiny)
    active = stats.counts >= _FREEZE_BELOW
    return bool(np.any(before[active] > _RESHIFT_ABOVE * after[active]))


def _smallest_variances(raw_covariances, covariance_type, n_components, n_features) -> np.ndarray:
    """Each component's smallest variance (its covariance's smallest eigenvalue), shape (K,)."""
    if covariance_type == "diag":
        return raw_covariances.min(axis=1)
    if covariance_type == "spherical":
        return np.asarray(raw_covariances, dtype=float)
    full_raw = expand_covariances(raw_covariances, covariance_type, n_components, n_features)
    return np.linalg.eigvalsh(full_raw)[:, 0]  # one batched call, ascending eigenvalues


def _needs_regularisation(raw_covariances, covariance_type, n_components, n_features, reg_covar):
    """Components whose covariance before ``reg_covar`` has an eigenvalue <= ``reg_covar``."""
    smallest = _smallest_variances(raw_covariances, covariance_type, n_components, n_features)
    return np.flatnonzero(smallest <= reg_covar).tolist()


def _lower_bound(stats: _Statistics, weights, means, factors: CovarianceFactors) -> float:
    """Jensen bound ``sum gamma [log pi + log N] + H(gamma)`` for the statistics' gamma.

    ``factors`` are those of the covariances being scored (shared with the E-step that follows).
    """
    return float(stats.counts @ np.log(weights)
                 + expected_log_gaussian_total(stats.counts, stats.scatter_about(means), factors)
                 + stats.entropy)


def _data_covariances(rows, mean, covariance_type, n_components, reg_covar):
    """The data's own covariance in the shape of ``covariance_type``, for every component.

    One pass about the data's mean. Returns it with ``reg_covar`` added and
    without (to flag a singular data covariance as the M-step would).
    """
    d = rows.n_features
    counts, _, scatter, _ = rows.run(_initial_chunk_moments, _combine_moments, ("uniform", None), 1,
                                     mean[None, :])
    raw = scatter[0] / counts[0]
    regularised = raw.copy()
    regularised[np.diag_indices(d)] += reg_covar

    def shaped(cov):
        if covariance_type == "full":
            return np.broadcast_to(cov, (n_components, d, d)).copy()
        if covariance_type == "tied":
            return cov
        if covariance_type == "diag":
            return np.tile(np.diag(cov), (n_components, 1))
        return np.full(n_components, np.diag(cov).mean())

    return shaped(regularised), shaped(raw)


#: Components whose means and covariances agree to this share of their spread coincide: they take every
#: point in a fixed proportion (their weights' ratio), so each M-step moves them to the same place again.
COINCIDE_RTOL = 1e-6


def _coinciding(means, covariances, covariance_type) -> list[int]:
    """Components that share their mean and covariance with another one (to :data:`COINCIDE_RTOL`)."""
    n_components, n_features = means.shape
    if n_components < 2:
        return []
    full = expand_covariances(covariances, covariance_type, n_components, n_features)
    spread = np.sqrt(np.maximum(np.einsum("kii->k", full) / n_features, 0.0))
    found: set[int] = set()
    for j in range(n_components):
        for k in range(j + 1, n_components):
            scale = max(spread[j], spread[k])
            if (np.linalg.norm(means[j] - means[k]) <= COINCIDE_RTOL * scale
                    and np.abs(full[j] - full[k]).max() <= COINCIDE_RTOL * scale * scale):
                found |= {j, k}
    return sorted(found)


def _add_components(flags: dict, name: str, components) -> None:
    """Merge ``components`` into the flag ``name`` (sorted, without repeats); no-op when empty."""
    if len(components):
        flags[name] = sorted(set(flags.get(name, ())) | {int(k) for k in components})
