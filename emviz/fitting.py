"""Fit options and the cached call into em_core, shared by every page.

Kept free of widgets so that the cache key (data digest + options) is explicit
and tests can count how often the core actually runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace

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
    "placed": "place the means yourself",
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
    #: The means placed by hand (``init="placed"``): K tuples of d floats.
    means_init: tuple | None = None
    #: Means moved by hand at a step, EM continued from there (``emviz.hand_edits.Edit``, in order).
    edits: tuple = ()

#: Why a fit with ``init="placed"`` cannot run yet (every page shows it instead of a fit).
PLACE_FIRST = ("Place all K starting means first: click on the Explorer's chart, or type them in the sidebar's "
               "table of starting means.")


def data_digest(X: np.ndarray) -> str:
    """Content hash of a data matrix (shape, dtype and bytes)."""
    array = np.ascontiguousarray(X, dtype=np.float64)
    digest = hashlib.blake2b(str(array.shape).encode(), digest_size=16)
    digest.update(array.tobytes())
    return digest.hexdigest()


def fit_key(X: np.ndarray, options: FitOptions) -> str:
    """The one key of a fit: a hash of the data's content and every option (caches, widget keys, the stepper)."""
    digest = hashlib.blake2b(data_digest(X).encode(), digest_size=12)
    digest.update(repr(sorted(asdict(options).items())).encode())
    return digest.hexdigest()


@st.cache_resource(max_entries=160, show_spinner=False)
def _cached_fit(digest: str, _X: np.ndarray, options: FitOptions) -> em_core.History:
    if options.edits:
        # The run before the last edit (cached in its turn), then EM from its edited step.
        from .hand_edits import start_after

        before = _cached_fit(digest, _X, replace(options, edits=options.edits[:-1]))
        FIT_CALLS["count"] += 1
        return em_core.fit_history(_X, options.n_components, covariance_type=options.covariance_type, init="given",
                                   max_iter=options.max_iter, tol=options.tol, reg_covar=options.reg_covar,
                                   seed=options.seed, **start_after(before, options.edits[-1]))
    if options.init == "placed" and options.means_init is None:
        raise ValueError(PLACE_FIRST)
    FIT_CALLS["count"] += 1
    kwargs = asdict(options)
    kwargs.pop("edits")
    if kwargs["init"] == "placed":
        # Means placed by hand: em_core's given start, with weights 1/K and the data's covariance.
        kwargs["init"] = "given"
    else:
        kwargs.pop("means_init")
    return em_core.fit_history(_X, **kwargs)


def fit(X: np.ndarray, options: FitOptions) -> em_core.History:
    """The history for this data and these options, computed once per process.

    ``History`` is immutable, so one shared object per configuration is safe
    (hence ``cache_resource``: no pickling of the history on every rerun).
    """
    return _cached_fit(data_digest(X), X, options)


@st.cache_resource(max_entries=6, show_spinner=False)
def _cached_animation(key: tuple, _history: em_core.History, _view, level_kind: str, lecture: bool):
    from . import figures  # plotly is only needed once an animation is asked for

    return figures.animation_figure(_history, _view, level_kind=level_kind, lecture=lecture,
                                    column_names=_view.column_names)


def animation(X: np.ndarray, options: FitOptions, history: em_core.History, view, *, level_kind: str = "sigma",
              lecture: bool = False):
    """The client-side animation of a fit, built once per fit and view (it takes seconds).

    The cache key is the fit's own key plus the view's projection, so a history
    and its animation always belong together.
    """
    key = (fit_key(X, options), view.mode, tuple(view.columns or ()), lecture)
    return _cached_animation(key, history, view, level_kind, lecture)


@st.cache_data(max_entries=4, show_spinner=False)
def _cached_animation_html(key: tuple, _figure) -> str:
    from .export import animation_html

    return animation_html(_figure)


def animation_html(X: np.ndarray, options: FitOptions, history: em_core.History, view) -> str:
    """The standalone HTML replay of a fit (plotly.js embedded), built once per fit and view."""
    figure = animation(X, options, history, view)
    key = (fit_key(X, options), view.mode, tuple(view.columns or ()))
    return _cached_animation_html(key, figure)


@st.cache_data(max_entries=64, show_spinner=False)
def _cached_bound_curves(key: str, m_index: int, _history: em_core.History):
    from .figures import BOUND_PATH_TS

    return em_core.bound_along_path(_history.X, _history, m_index, BOUND_PATH_TS)


def bound_curves(X: np.ndarray, options: FitOptions, history: em_core.History, m_index: int):
    """Log-likelihood and bound along iteration ``m_index``'s path (``figures.BOUND_PATH_TS``), once per fit and step.

    Each point of the path is one pass over the data, so the curves are cached
    by the fit's key and the M-step's index.
    """
    return _cached_bound_curves(fit_key(X, options), m_index, history)



@st.cache_resource(max_entries=32, show_spinner=False)
def _cached_soft_kmeans(key: str, sigma: float, _X: np.ndarray, _seeds: np.ndarray) -> em_core.History:
    from .compare import soft_kmeans

    return soft_kmeans(_X, _seeds, sigma)


def soft_kmeans(X: np.ndarray, options: FitOptions, history: em_core.History, sigma: float) -> em_core.History:
    """Soft k-means (σ²I and 1/K fixed) from the k-means++ seeds of this fit's k-means, once per fit and σ."""
    return _cached_soft_kmeans(fit_key(X, options), float(sigma), X, np.asarray(history[0].means))
