"""Means moved by hand at a step, and EM continued from there: what an edit is, its link text, its start.

An :class:`Edit` says "at step ``step`` of the run before, these components' means
were moved to these points". The run after an edit is EM started (init
``"given"``) from that step's parameters with the moved means: the weights and
covariances of the step are kept (at a k-means step, whose spreads are not a
mixture's, the start is the moved centroids with weights 1/K and the data's
covariance, as for placed means). A run is therefore a pure function of the
original options and its list of edits (``FitOptions.edits``), so it is cached
like any fit and a link can carry it: ``edit=7@1:1.5,3.2|2:0,0~4@0:…``, the edits in
order, each ``step@component:coordinates`` with the moves separated by ``|``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

import numpy as np
import streamlit as st

from .fitting import fit, fit_key

__all__ = ["EDIT_PARAMETER", "Edit", "decode_edits", "describe", "edited_options", "encode_edits", "go_back",
           "start_after", "take_report", "write_link"]

#: The URL parameter of a run's hand edits.
EDIT_PARAMETER = "edit"
_MAX_TEXT = 20_000


class Edit(NamedTuple):
    """Means moved by hand at one step of a run.

    Attributes
    ----------
    step : int
        The step of the run before the edit whose parameters EM continues from.
    moves : tuple of (int, tuple of float)
        ``(component, new mean)`` pairs, components 0-based, means in data coordinates.
    """

    step: int
    moves: tuple


def encode_edits(edits) -> str:
    """Edits as link text; floats in Python's shortest round-trip form, so decoding gives them back exactly."""
    return "~".join(f"{edit.step}@" + "|".join(f"{k}:" + ",".join(repr(float(v)) for v in mean)
                                              for k, mean in edit.moves) for edit in edits)


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
                k_text, _, mean_text = move.partition(":")
                moves.append((int(k_text), tuple(float(v) for v in mean_text.split(","))))
        except ValueError:
            raise ValueError("the link's hand edits are not of the form step@component:x,y") from None
        if step < 0 or not moves:
            raise ValueError("a hand edit in the link names no step or no mean")
        for k, mean in moves:
            if not 0 <= k < n_components:
                raise ValueError(f"a hand edit in the link moves component {k + 1}, but K is {n_components}")
            if len(mean) != n_features or not all(math.isfinite(v) for v in mean):
                raise ValueError(f"a moved mean in the link needs {n_features} finite coordinate(s)")
        if len({k for k, _ in moves}) != len(moves):
            raise ValueError("a hand edit in the link moves one component twice")
        edits.append(Edit(step, tuple(moves)))
    return tuple(edits)


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
    for k, mean in edit.moves:
        means[k] = mean
    if step.is_kmeans:
        return {"means_init": means}
    return {"weights_init": np.array(step.weights), "means_init": means,
            "covariances_init": np.array(step.covariances)}


def describe(history_before, edit: Edit, column_names) -> str:
    """One sentence: what was moved by hand, from where to where, at which step (markdown)."""
    step = history_before[edit.step]
    what = "centroid" if step.is_kmeans else "μ"

    def point(values) -> str:
        return "(" + ", ".join(f"{v:.3g}" for v in values) + ")"

    moved = "; ".join(f"{what}{k + 1} from {point(step.means[k])} to {point(mean)}" for k, mean in edit.moves)
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
    within the plotted plane (its coordinates along unseen directions are kept).
    """
    step = report.get("step") if isinstance(report, dict) else None
    moves = report.get("moves") if isinstance(report, dict) else None
    if not isinstance(step, int) or not 0 <= step < len(history) or not isinstance(moves, list) \
            or not 0 < len(moves) <= history.n_components:
        return "the chart's edit was not understood"
    means = np.asarray(history[step].means, dtype=float)
    moved = []
    for move in moves:
        if not (isinstance(move, list) and len(move) == 3 and isinstance(move[0], int)
                and 0 <= move[0] < history.n_components
                and all(isinstance(v, (int, float)) and math.isfinite(v) for v in move[1:])):
            return "a move in the chart's edit is not a component and two finite numbers"
        k = move[0]
        plane = view.project_points(means[k:k + 1])
        plane[0, 0] += move[1]
        if plane.shape[1] > 1:
            plane[0, 1] += move[2]
        moved.append((k, tuple(float(v) for v in view.lift_points(plane, means[k])[0])))
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
