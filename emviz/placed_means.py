"""Means placed by hand (initialisation "place the means yourself"): a table of exact numbers.

EM then starts from those means with equal weights 1/K and every covariance the
data's own covariance (in the covariance type's shape, plus ``reg_covar``): wide
enough that the first E-step shares every point between all the placed means,
so the start says where the means are and nothing else. The means travel in
the link (``init=placed&means=x,y;x,y;…``), so a lecturer can prepare "the bad
start" in advance. The table starts from the k-means++ seeds of the sidebar's
seed, a suggestion to edit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import em_core

from .settings import decode_means

__all__ = ["START_SENTENCE", "means_table", "suggested_means"]

#: What the start is, besides the means (the caption and the theory page say it).
START_SENTENCE = ("EM starts from these means with equal weights 1/K and every covariance the data's own "
                  "covariance: wide enough that the first E-step shares every point between all of them.")
_KEY = "placed_means"
LINK_KEY = "placed_means_link"


def suggested_means(X: np.ndarray, n_components: int, seed: int) -> tuple:
    """A start to edit: the k-means++ seeds for this seed (K data points spread over the data)."""
    seeds = em_core.kmeans_plusplus(np.asarray(X, dtype=float), n_components, np.random.default_rng(seed))
    return tuple(tuple(float(v) for v in row) for row in seeds)


def _current(X, names, n_components: int, seed: int) -> tuple:
    """The placed means kept for this data and K: from the link once, else the last table, else the suggestion."""
    link = st.session_state.pop(LINK_KEY, None)
    if link is not None:
        try:
            st.session_state[_KEY] = decode_means(link, n_components, len(names))
        except ValueError as reason:
            st.session_state.setdefault("url_notes", []).append(
                f"Placed means: {reason}; the suggested start is used instead.")
    kept = st.session_state.get(_KEY)
    if kept is None or len(kept) != n_components or len(kept[0]) != len(names):
        kept = suggested_means(X, n_components, seed)
        st.session_state[_KEY] = kept
    return kept


def means_table(X: np.ndarray, names, n_components: int, seed: int, container) -> tuple:
    """The editable table of placed means in ``container``; returns the K means (tuples of d floats).

    Empty or non-numeric cells keep the previous value, so a half-typed table never
    breaks the fit; the caption counts how many means differ from the suggestion.
    """
    kept = _current(X, names, n_components, seed)
    frame = pd.DataFrame(np.asarray(kept), columns=list(names), index=[f"μ{k + 1}" for k in range(n_components)])
    container.markdown("**Starting means** (type exact numbers; arrows move between cells, Enter edits)")
    edited = container.data_editor(frame, key=f"w_placed_means_{n_components}_{len(names)}", num_rows="fixed",
                                   width="stretch")
    values = np.asarray(edited, dtype=float) if edited is not None else np.asarray(kept)
    values = np.where(np.isfinite(values), values, np.asarray(kept))
    placed = tuple(tuple(float(v) for v in row) for row in values)
    st.session_state[_KEY] = placed
    moved = sum(a != b for a, b in zip(placed, suggested_means(X, n_components, seed)))
    container.caption(f"{n_components} of {n_components} means placed ({moved} moved from the suggested "
                      f"k-means++ seeds). {START_SENTENCE}")
    return placed
