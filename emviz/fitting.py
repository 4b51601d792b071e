"""Fit options and the cached call into em_core, shared by every page.

Kept free of widgets so that the cache key (data digest + options) is explicit
and tests can count how often the core actually runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

import numpy as np
import streamlit as st

import em_core

#: Number of real calls into ``em_core.fit_history`` made by this process (tests read it).
FIT_CALLS = {"count": 0}

INIT_LABELS = {
    "kmeans": "k-means (k-means++ seeds, then Lloyd)",
    "kmeans++": "k-means++ seeds only",
    "random_points": "random data points as means",
    "random_resp": "random responsibilities",
}
COVARIANCE_LABELS = {
    "full": "full (any ellipse)",
    "tied": "tied (one shared ellipse)",
    "diag": "diagonal (axis-aligned)",
    "spherical": "spherical (circles)",
}


@dataclass(frozen=True)
class FitOptions:
    """Everything that determines a fit besides the data."""

    n_components: int = 3
    covariance_type: str = "full"
    init: str = "kmeans"
    seed: int = 0
    max_iter: int = 100
    tol: float = 1e-3
    reg_covar: float = 1e-6
    n_init: int = 1


def data_digest(X: np.ndarray) -> str:
    """Content hash of a data matrix (shape, dtype and bytes)."""
    array = np.ascontiguousarray(X, dtype=np.float64)
    digest = hashlib.blake2b(str(array.shape).encode(), digest_size=16)
    digest.update(array.tobytes())
    return digest.hexdigest()


@st.cache_resource(max_entries=160, show_spinner=False)
def _cached_fit(digest: str, _X: np.ndarray, options: FitOptions) -> em_core.History:
    FIT_CALLS["count"] += 1
    return em_core.fit_history(_X, **asdict(options))


def fit(X: np.ndarray, options: FitOptions) -> em_core.History:
    """The history for this data and these options, computed once per process.

    ``History`` is immutable, so one shared object per configuration is safe
    (hence ``cache_resource``: no pickling of the history on every rerun).
    """
    return _cached_fit(data_digest(X), X, options)
