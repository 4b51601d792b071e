"""Saved fits in the app: an ``.emviz`` file through the uploader, scrubbed like a live fit.

A saved fit (``em_core.load_history``; written by ``History.save``, the
explorer's download or ``python -m em_core fit``) holds every step of a fit and
a display sample of its rows, not the data itself. The explorer steps through
it exactly as through a live fit, on the sample; pages that refit the data say
so instead of breaking.
"""

from __future__ import annotations

import hashlib
import io

import streamlit as st

import em_core

from .fitting import FitOptions

__all__ = ["SAVED", "SUFFIX", "emviz_bytes", "load", "looks_saved", "options_of"]

#: ``DataSelection.source`` of a saved fit.
SAVED = "saved"
SUFFIX = ".emviz"
_ZIP_MAGIC = b"PK\x03\x04"


def looks_saved(name: str, data: bytes) -> bool:
    """Whether an upload is meant as a saved fit: its name ends in ``.emviz``, or it is a ZIP archive."""
    return name.lower().endswith(SUFFIX) or data[:4] == _ZIP_MAGIC


@st.cache_resource(max_entries=8, show_spinner=False)
def _load(digest: str, _data: bytes) -> em_core.History:
    return em_core.load_history(io.BytesIO(_data))


def load(data: bytes) -> em_core.History:
    """The saved history in ``data``, read once per file; ``ValueError`` with a plain reason if it is no saved fit."""
    return _load(hashlib.blake2b(data, digest_size=16).hexdigest(), data)


def options_of(history: em_core.History) -> FitOptions:
    """The options a saved fit was made with, as the sidebar's ``FitOptions`` (for the link and the words)."""
    options = history.options
    return FitOptions(n_components=history.n_components, covariance_type=history.covariance_type,
                      init=history.init, seed=int(options.get("seed") or 0),
                      max_iter=int(options.get("max_iter", 100)), tol=float(options.get("tol", 1e-3)),
                      reg_covar=float(options.get("reg_covar", 1e-6)), n_init=int(options.get("n_init", 1)))


def emviz_bytes(history: em_core.History, column_names) -> bytes:
    """The history as an ``.emviz`` file (its display sample: at most 10,000 seeded rows), for a download."""
    buffer = io.BytesIO()
    history.save(buffer, column_names=list(column_names))
    return buffer.getvalue()
