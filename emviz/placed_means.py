"""Means placed by hand (initialisation "place the means yourself"): clicks on the chart, or a table.

Choosing the initialisation puts the explorer's chart in placement mode: each
click places the next mean (the browser draws it at once and reports the whole
list), a click on a placed mean removes it, and once K means are placed EM
starts from them. The same means can be typed or corrected in a small table in
the sidebar (exact numbers for a lecture script; keyboard access), filled with
the k-means++ seeds of the sidebar's seed, or cleared.

EM then starts from those means with equal weights 1/K and every covariance the
data's own covariance (in the covariance type's shape, plus ``reg_covar``): wide
enough that the first E-step shares every point between all the placed means,
so the start says where the means are and nothing else. The means travel in
the link (``init=placed&means=x,y;x,y;…``), so a lecturer can prepare "the bad
start" in advance.

State (one session key, :data:`STATE_KEY`)
    ``means`` the placed means (at most K, tuples of d floats); ``data`` the data
    they belong to (other data starts afresh); ``base`` and ``seq`` the list as the
    server last set it (the table, a button, a link, a new K) and a counter of such
    changes: the browser's reports refer to ``base`` by position, and a report made
    before the server's last change is stale and ignored; ``table_seq`` changes with
    every change the table did not make itself, so the table is redrawn from the list;
    ``heard`` the last report taken (``{"from": the browser's id, "click": its number}``) and
    ``entries`` its list (None: ``base`` as it is), which a chart drawn afresh starts from.

Every report carries the browser's whole list, and the browser sends it again until the
server says it was heard: a report can be lost on the way (Streamlit drops the rerun of
a fragment its last full run did not draw where the report came from, and a chart mounted
afresh takes an unanswered report with it), and a lost K-th click would never start EM.
A report older than one already taken is ignored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import em_core

from .fitting import data_digest
from .settings import decode_means

__all__ = ["LINK_KEY", "START_SENTENCE", "STATE_KEY", "all_placed", "apply_report", "means_table", "placement_screen",
           "placing_state", "suggested_means"]

#: What the start is, besides the means (the caption and the theory page say it).
START_SENTENCE = ("EM starts from these means with equal weights 1/K and every covariance the data's own "
                  "covariance: wide enough that the first E-step shares every point between all of them.")
STATE_KEY = "placed_means"
LINK_KEY = "placed_means_link"
#: A report may hold at most this many entries (K is at most 10; anything longer is not from our page).
_MAX_REPORTED = 64


def suggested_means(X: np.ndarray, n_components: int, seed: int) -> tuple:
    """A start to edit: the k-means++ seeds for this seed (K data points spread over the data)."""
    seeds = em_core.kmeans_plusplus(np.asarray(X, dtype=float), n_components, np.random.default_rng(seed))
    return _as_tuples(seeds)


def _as_tuples(means) -> tuple:
    return tuple(tuple(float(v) for v in np.ravel(row)) for row in np.asarray(means, dtype=float))


def _set(state: dict, means: tuple, *, from_table: bool = False) -> None:
    """A change the server makes: the browser starts again from this list."""
    state.update(means=means, base=means, seq=state.get("seq", 0) + 1, entries=None)
    if not from_table:
        state["table_seq"] = state.get("table_seq", 0) + 1


def _state(X, names, n_components: int) -> dict:
    """This session's placed means for this data and K (from the link once; other data starts empty)."""
    state = st.session_state.setdefault(STATE_KEY, {})
    if not isinstance(state, dict):  # an old session's plain tuple of means
        state = st.session_state[STATE_KEY] = {"means": tuple(state)}
    identity = (tuple(names), data_digest(X))
    if state.get("data") != identity:
        state["data"] = identity
        kept = state.get("means") or ()
        _set(state, kept if kept and len(kept[0]) == len(names) and "seq" not in state else ())
    link = st.session_state.pop(LINK_KEY, None)
    if link is not None:
        try:
            _set(state, decode_means(link, n_components, len(names)))
        except ValueError as reason:
            st.session_state.setdefault("url_notes", []).append(
                f"Placed means: {reason}; place the means by clicking on the chart instead.")
    if len(state["means"]) > n_components:
        _set(state, state["means"][:n_components])
    return state


def placing_state(n_components: int) -> dict:
    """What the browser needs to place means: K, the list as the server last set it (data coordinates), its
    counter, and the last report taken with its entries (the list as it is now, in the report's terms)."""
    state = st.session_state.get(STATE_KEY) or {}
    base = state.get("base", ())
    return {"k": n_components, "seq": state.get("seq", 0), "base": base, "heard": state.get("heard") or {},
            "entries": state.get("entries") or [{"kept": i} for i in range(len(base))]}


def all_placed(n_components: int) -> tuple | None:
    """The placed means once all ``n_components`` are there (this session's, as the last click left them), else None."""
    means = (st.session_state.get(STATE_KEY) or {}).get("means") or ()
    return tuple(means) if len(means) == n_components else None


def apply_report(report, lift, n_components: int) -> str | None:
    """Take the browser's list of placed means; a sentence saying why not if it is malformed, else None.

    Parameters
    ----------
    report : dict
        ``{"seq": int, "from": str, "click": int, "means": [entry, ...]}``; an entry is
        ``{"kept": i}`` (the i-th mean of the list the server last set) or ``{"at": [x, y]}``
        (a click, in screen coordinates; one number in 1-D). ``from`` names the browser's
        chart and ``click`` counts its reports (a report sent again gets a new number).
    lift : callable
        ``lift(plane) -> (M, d)`` data coordinates of screen positions ``plane`` (M, 2).
    n_components : int
    """
    state = st.session_state.get(STATE_KEY)
    if not isinstance(report, dict) or not isinstance(state, dict):
        return "the chart's report was not understood"
    if report.get("seq") != state.get("seq"):
        return None  # made before the table or a button changed the list: the browser has been told
    heard, click = state.get("heard") or {}, report.get("click")
    if report.get("from") == heard.get("from") and isinstance(click, int) and click <= heard.get("click", 0):
        return None  # older than a report already taken: its list is out of date
    # Heard, even if refused below: sending the same report again would not help.
    from .stepper import heard  # here, as in placement_screen: the sidebar's table needs no figures

    state["heard"] = heard(report)
    entries = report.get("means")
    if not isinstance(entries, list) or len(entries) > min(n_components, _MAX_REPORTED):
        return "the chart did not report a list of at most K means"
    base, means, taken = state["base"], [], []
    for entry in entries:
        kept = entry.get("kept") if isinstance(entry, dict) else None
        at = entry.get("at") if isinstance(entry, dict) else None
        if isinstance(kept, int) and 0 <= kept < len(base):
            means.append(base[kept])
            taken.append({"kept": kept})
        elif isinstance(at, list) and 1 <= len(at) <= 2 and all(isinstance(v, (int, float)) for v in at) \
                and np.all(np.isfinite(at)):
            plane = np.zeros((1, 2))
            plane[0, :len(at)] = at
            means.append(_as_tuples(lift(plane))[0])
            taken.append({"at": [float(v) for v in at]})
        else:
            return "a placed mean in the chart's report is not a pair of finite numbers"
    state.update(means=tuple(means), entries=taken)
    state["table_seq"] = state.get("table_seq", 0) + 1
    return None


def means_table(X: np.ndarray, names, n_components: int, seed: int, container) -> tuple | None:
    """The placed means in ``container`` (a table, two buttons, a count); the K means once all are placed.

    Returns
    -------
    tuple of K tuples of d floats, or None while fewer than K are placed (the explorer's chart
    is then in placement mode). Incomplete or non-numeric rows of the table are not placed.
    """
    state = _state(X, names, n_components)
    container.markdown("**Starting means**: click on the explorer's chart, or type exact numbers here "
                       "(arrows move between cells, Enter edits, the last row adds one)")
    frame = pd.DataFrame(np.asarray(state["means"], dtype=float).reshape(-1, len(names)), columns=list(names))
    edited = container.data_editor(frame, key=f"w_placed_means_{state.get('table_seq', 0)}", num_rows="dynamic",
                                   width="stretch", hide_index=True)
    if edited is not None and len(edited.columns) == len(names):
        values = edited.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        complete = tuple(row for row in _as_tuples(values) if all(np.isfinite(row)))
        if complete != state["means"]:
            _set(state, complete[:n_components], from_table=True)
    left, right = container.columns(2)
    if left.button("Suggest k-means++ seeds", key="placed_suggest", width="stretch",
                   help="Fill the table with the k-means++ seeds of the sidebar's seed: a start to edit."):
        _set(state, suggested_means(X, n_components, seed))
        st.rerun()
    if right.button("Clear", key="placed_clear", width="stretch", disabled=not state["means"],
                    help="Remove every placed mean and place them again on the chart."):
        _set(state, ())
        st.rerun()
    count = len(state["means"])
    container.caption(f"{count} of {n_components} means placed. "
                      + (START_SENTENCE if count == n_components else
                         "Click on the explorer's chart to place the next one."))
    return state["means"] if count == n_components else None


# --------------------------------------------------------------------------- the explorer in placement mode
def _placement_content(index: int, *, view, base, n_components: int, lecture: bool, display_rows):
    """The one "step" of placement mode, as :class:`emviz.stepper.FrameStore` builds it."""
    from . import figures

    figure = figures.placement_figure(view, base, n_components, lecture=lecture, display_rows=display_rows)
    figure.update_layout(width=None, autosize=True)
    words = {"title": "Place the starting means",
             "caption": (f"Click on the chart to place each of the **{n_components}** means; click a placed mean "
                         "to remove it. " + ("Along the directions this view does not show, a placed mean takes "
                                             "the data's centre. " if view.projection.shape[0] > 2 else "")
                         + START_SENTENCE),
             "flags": [], "note": ""}
    return figure, words


def placement_screen(selection, n_components: int, *, view_mode: str, view_columns, lecture: bool, key: str,
                     config: dict) -> None:
    """The explorer while fewer than K means are placed: the data, the placed means, clicks place more."""
    import functools

    from . import figures, stepper

    X = selection.X
    view = figures.data_view(X, mode=view_mode, columns=view_columns, column_names=selection.feature_names)
    display_rows = figures.subsample_rows(X.shape[0])
    state = placing_state(n_components)
    base = np.asarray(state["base"], dtype=float).reshape(-1, X.shape[1])
    frames_id = stepper.frames_key("placing", data_digest(X), view_mode, tuple(view_columns), n_components,
                                   lecture, state["base"], tuple(selection.feature_names))
    build = functools.partial(_placement_content, view=view, base=base, n_components=n_components, lecture=lecture,
                              display_rows=display_rows)
    store = stepper.frame_store(frames_id, build, 1)
    centre = X.mean(axis=0)

    def lift(plane):
        return view.lift_points(plane[:, :view.projection.shape[1]], centre)

    def placed():
        refused = apply_report(stepper.reported(key, "placed"), lift, n_components)
        if refused:
            st.session_state["placement_refused"] = f"The click was not used: {refused}."
            return  # nothing changed: the explorer's fragment alone reruns, to say so
        if len(st.session_state[STATE_KEY]["means"]) == n_components:
            # The K-th mean: the fit opens at its start, the init step holding exactly these means. The
            # explorer's fragment draws it first; the page follows (pages/explorer.py).
            st.session_state["pending_step"] = 0
            st.session_state.pop("fit_key", None)
        else:
            # The sidebar's table of means and the link follow every click: the whole page reruns.
            st.session_state["rerun_app"] = True

    if "placement_refused" in st.session_state:
        st.warning(st.session_state.pop("placement_refused"))
    screen = view.project_points(base) if len(base) else np.zeros((0, 2))
    stepper.stepper(store, frames_id, step=0, seq=state["seq"], key=key, config=config, lecture=lecture,
                    dims=1 if view.is_1d else 2, on_placed=placed,
                    placing=dict(state, base=screen.tolist()))
