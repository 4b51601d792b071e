"""Means moved by hand at a step, and EM continued from there: what an edit is, its link text, its start.

An :class:`Edit` says "at step ``step`` of the run before, these components' means
were moved to these points". The run after an edit is EM started (init
``"given"``) from that step's parameters with the moved means: the weights and
covariances of the step are kept (at a k-means step, whose spreads are not a
mixture's, the start is the moved centroids with weights 1/K and the data's
covariance, as for placed means). A run is therefore a pure function of the
original options and its list of edits (``FitOptions.edits``), so it is cached
like any fit and a link can carry it: ``edit=7@1:1.5,3.2|2:0,0~4@0:…``, the edits in
order, each ``step@component:coordinates`` with the moves separated by ``|``. With full
covariances an ellipse can also be stretched or shrunk along its axes in the plotted
plane: the move then carries the component's new covariance too
(``component:mean:covariance``, the d x d matrix row by row).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

import numpy as np
import streamlit as st

from .fitting import fit, fit_key

__all__ = ["EDIT_PARAMETER", "Edit", "decode_edits", "describe", "edited_options", "encode_edits", "go_back",
           "reshaped", "start_after", "take_report", "write_link"]

#: The URL parameter of a run's hand edits.
EDIT_PARAMETER = "edit"
_MAX_TEXT = 20_000


class Edit(NamedTuple):
    """Means moved by hand at one step of a run.

    Attributes
    ----------
    step : int
        The step of the run before the edit whose parameters EM continues from.
    moves : tuple
        ``(component, new mean)`` or ``(component, new mean, new covariance)``: components
        0-based, means in data coordinates, a covariance as d x d numbers row by row (full
        covariances only).
    """

    step: int
    moves: tuple


def encode_edits(edits) -> str:
    """Edits as link text; floats in Python's shortest round-trip form, so decoding gives them back exactly."""
    def numbers(values) -> str:
        return ",".join(repr(float(v)) for v in values)

    return "~".join(f"{edit.step}@" + "|".join(":".join([str(move[0])] + [numbers(part) for part in move[1:]])
                                              for move in edit.moves) for edit in edits)


def decode_edits(text: str, n_components: int, n_features: int) -> tuple:
    """The edits in link text (see :func:`encode_edits`), or a ``ValueError`` saying what is wrong with it.

    Steps are checked against their runs only when the runs are fitted (:func:`start_after`).
    """
    text = str(text).strip()
    if not text or len(text) > _MAX_TEXT:
        raise ValueError("the link's hand edits are empty or far too long")
    edits = []
    for part in text.split("~"):
        step_text, _, moves_text = part.partition("@")
        try:
            step = int(step_text)
            moves = []
            for move in moves_text.split("|"):
                k_text, *parts = move.split(":")
                if not 1 <= len(parts) <= 2:
                    raise ValueError
                moves.append((int(k_text),) + tuple(tuple(float(v) for v in part.split(",")) for part in parts))
        except ValueError:
            raise ValueError("the link's hand edits are not of the form step@component:x,y") from None
        if step < 0 or not moves:
            raise ValueError("a hand edit in the link names no step or no mean")
        for k, mean, *covariance in moves:
            if not 0 <= k < n_components:
                raise ValueError(f"a hand edit in the link moves component {k + 1}, but K is {n_components}")
            if len(mean) != n_features or not all(math.isfinite(v) for v in mean):
                raise ValueError(f"a moved mean in the link needs {n_features} finite coordinate(s)")
            if covariance and not _is_covariance(covariance[0], n_features):
                raise ValueError(f"a reshaped covariance in the link needs {n_features}x{n_features} numbers of a "
                                 "symmetric positive definite matrix")
        if len({move[0] for move in moves}) != len(moves):
            raise ValueError("a hand edit in the link moves one component twice")
        edits.append(Edit(step, tuple(moves)))
    return tuple(edits)


def _is_covariance(values, n_features: int) -> bool:
    if len(values) != n_features * n_features or not all(math.isfinite(v) for v in values):
        return False
    matrix = np.asarray(values).reshape(n_features, n_features)
    if not np.allclose(matrix, matrix.T, rtol=1e-12, atol=0.0):
        return False
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True


def start_after(history, edit: Edit) -> dict:
    """The ``em_core.fit_history`` keyword arguments that continue ``history`` after ``edit``.

    Raises
    ------
    ValueError
        If the edit's step is not a step of ``history``.
    """
    if not 0 <= edit.step < len(history):
        raise ValueError(f"a hand edit is at step {edit.step}, but its run has steps 0 to {len(history) - 1}")
    step = history[edit.step]
    means = np.array(step.means, dtype=float)
    covariances = np.array(step.covariances, dtype=float)
    d = means.shape[1]
    for k, mean, *covariance in edit.moves:
        means[k] = mean
        if covariance:
            if history.covariance_type != "full" or step.is_kmeans:
                raise ValueError("a reshaped covariance needs full covariances and a step of EM")
            covariances[k] = np.asarray(covariance[0]).reshape(d, d)
    if step.is_kmeans:
        return {"means_init": means}
    return {"weights_init": np.array(step.weights), "means_init": means, "covariances_init": covariances}


def reshaped(covariance, projection, scales) -> np.ndarray:
    """``covariance`` (d x d) with its plotted ellipse scaled by ``scales`` along the ellipse's axes.

    ``A Σ Aᵀ`` with ``A = I + W (M − I) Wᵀ`` and ``M = R diag(scales) Rᵀ`` (R: the projected
    covariance's eigenvectors, major axis first): the projection ``Wᵀ Σ' W = M (Wᵀ Σ W) M`` is the
    plotted ellipse with those axes scaled, nothing changes along unseen directions, and the result
    stays symmetric positive definite (A is invertible for positive scales). ``W`` has orthonormal
    columns (two coordinate axes, or two principal axes).
    """
    W = np.asarray(projection, dtype=float)
    covariance = np.asarray(covariance, dtype=float)
    _, vectors = np.linalg.eigh(W.T @ covariance @ W)
    R = vectors[:, ::-1]  # major axis first, as the browser orders them
    M = R @ np.diag(np.asarray(scales, dtype=float)) @ R.T
    A = np.eye(covariance.shape[0]) + W @ (M - np.eye(W.shape[1])) @ W.T
    result = A @ covariance @ A.T
    return (result + result.T) / 2


def describe(history_before, edit: Edit, column_names) -> str:
    """One sentence: what was moved by hand, from where to where, at which step (markdown)."""
    step = history_before[edit.step]
    what = "centroid" if step.is_kmeans else "μ"

    def point(values) -> str:
        return "(" + ", ".join(f"{v:.3g}" for v in values) + ")"

    moved = "; ".join(f"{what}{k + 1} from {point(step.means[k])} to {point(mean)}"
                      + (" and its ellipse reshaped" if covariance else "") for k, mean, *covariance in edit.moves)
    kept = ("the centroids as means, weights 1/K and the data's covariance" if step.is_kmeans
            else "that step's weights and covariances")
    names = ", ".join(column_names)
    return (f"**Edited by hand** at step {edit.step} of the run before: {moved} (in {names}). EM continues from "
            f"there with {kept}: this run's step 0 is that start.")


# --------------------------------------------------------------------------- the explorer's session
_STATE = "hand_edits"
_LINK = "hand_edits_link"


def edited_options(options, X, column_names):
    """``options`` with this session's hand edits, if they were made on the fit these options describe.

    A link's edits are read once per session; edits made on another fit (other data, K, seed, …)
    are dropped, since their steps belong to a run that is no longer on screen, and so are a
    link's edits at steps that their runs do not have (with a note).
    """
    if not st.session_state.get("_edit_link_read"):
        st.session_state["_edit_link_read"] = True
        if EDIT_PARAMETER in st.query_params:
            st.session_state[_LINK] = st.query_params[EDIT_PARAMETER]
    base = fit_key(X, options)
    link = st.session_state.pop(_LINK, None)
    if link is not None:
        try:
            st.session_state[_STATE] = {"base": base, "edits": decode_edits(link, options.n_components,
                                                                            len(column_names))}
        except ValueError as reason:
            st.session_state.setdefault("url_notes", []).append(f"Hand edits: {reason}; the run without them is "
                                                                "shown.")
    state = st.session_state.get(_STATE)
    if not state or state.get("base") != base:
        return options
    edited = replace(options, edits=state["edits"])
    try:
        fit(X, edited)  # cached: the page fits it next anyway
    except ValueError as reason:  # a link's edit at a step its run does not have
        state["edits"] = ()
        st.session_state.setdefault("url_notes", []).append(f"Hand edits: {reason}; the run without them is shown.")
        return options
    return edited


def take_report(report, history, view, options, X) -> str | None:
    """Add the browser's "Continue EM from here" as an edit of ``history``; a sentence if it is refused.

    ``report`` is ``{"step", "moves": [[k, dx, dy], ...]}`` with the moves on screen; a mean moves
    within the plotted plane (its coordinates along unseen directions are kept). A move may end
    with two scales ``[k, dx, dy, s_major, s_minor]``: the plotted ellipse stretched along its
    axes (:func:`reshaped`; full covariances, EM steps, 2-D views only).
    """
    step = report.get("step") if isinstance(report, dict) else None
    moves = report.get("moves") if isinstance(report, dict) else None
    if not isinstance(step, int) or not 0 <= step < len(history) or not isinstance(moves, list) \
            or not 0 < len(moves) <= history.n_components:
        return "the chart's edit was not understood"
    means = np.asarray(history[step].means, dtype=float)
    moved = []
    for move in moves:
        if not (isinstance(move, list) and len(move) in (3, 5) and isinstance(move[0], int)
                and 0 <= move[0] < history.n_components
                and all(isinstance(v, (int, float)) and math.isfinite(v) for v in move[1:])):
            return "a move in the chart's edit is not a component and finite numbers"
        k = move[0]
        plane = view.project_points(means[k:k + 1])
        plane[0, 0] += move[1]
        if plane.shape[1] > 1:
            plane[0, 1] += move[2]
        mean = tuple(float(v) for v in view.lift_points(plane, means[k])[0])
        scales = move[3:] if len(move) == 5 else (1, 1)
        if tuple(scales) == (1, 1):
            moved.append((k, mean))
        elif not (all(0.01 <= v <= 100 for v in scales) and history.covariance_type == "full"
                  and not view.is_1d and not history[step].is_kmeans):
            return "an ellipse can be reshaped only with full covariances, at a step of EM, by 1/100 to 100 times"
        else:
            covariance = reshaped(history[step].covariances[k], view.projection, scales)
            moved.append((k, mean, tuple(float(v) for v in covariance.ravel())))
    base = fit_key(X, replace(options, edits=()))
    st.session_state[_STATE] = {"base": base, "edits": tuple(options.edits) + (Edit(step, tuple(moved)),)}
    return None


def go_back(keep: int) -> None:
    """Keep only the first ``keep`` edits (0: back to the original run)."""
    state = st.session_state.get(_STATE)
    if state:
        state["edits"] = tuple(state["edits"])[:keep]


def write_link(options) -> None:
    """The ``edit`` parameter of the link: this run's edits, or none."""
    text = encode_edits(options.edits) if options.edits else None
    if text is None:
        if EDIT_PARAMETER in st.query_params:
            del st.query_params[EDIT_PARAMETER]
    elif st.query_params.get(EDIT_PARAMETER) != text:
        st.query_params[EDIT_PARAMETER] = text
