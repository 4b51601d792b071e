"""The "Draw your own" data source: the canvas component and the drawing kept in the session.

The drawing itself (:class:`emviz.drawn_data.Drawing`) lives under a plain session key,
so it survives page switches. The canvas (``drawing.js``, a ``st.components.v2``
component) edits a copy in the browser at once, with its own undo history, and reports
the whole point list when the user asks ("Fit the drawing") or after a short pause:
:func:`take_report` checks the report and makes it the session's drawing, and the
page fits it on that rerun. Every page shows the canvas through
:func:`emviz.pagekit.preamble`.

Each drawing the server makes (a blank canvas, a built-in set to start from, a link)
gets a new *origin* id; the browser tags its reports with the origin it edits and a
revision number, so a late report about a drawing the server has since replaced is
dropped, and an old report is never taken twice.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

import numpy as np
import streamlit as st

from . import drawn_data
from .datasets import DATASETS, load_dataset
from .drawn_data import Drawing

__all__ = ["KEY", "canvas", "current", "link_value", "replace", "selection_parts", "take_report"]

_HERE = Path(__file__).resolve().parent
# One module for the browser: the shared DOM helper, the points, edits and painting (drawing_parts.js),
# then the component.
_JS = "\n".join((_HERE / name).read_text(encoding="utf-8") for name in ("dom.js", "drawing_parts.js", "drawing.js"))
_component = st.components.v2.component("emviz_drawing", js=_JS, css=(_HERE / "drawing.css").read_text(encoding="utf-8"),
                                        isolate_styles=False)

#: The component's widget key: the browser's report is ``st.session_state[KEY]["drawing"]``.
KEY = "drawing"
_DRAWN = "drawn"              # the session's Drawing
_ORIGIN = "drawn_origin"      # id of the server-made drawing the browser's edits descend from
_ACCEPTED = "drawn_rev"       # the last revision taken from the browser (-1: none yet for this origin)
_SEEN = "drawn_seen"          # identity of the last report looked at, so that each is judged once
_NOTES = "drawn_notes"        # refusals to show once, beside the canvas
_EDITED = "drawn_edited"      # the user has drawn in this session: keep the canvas open
_ABOUT = "drawn_about"        # where the drawing came from, for the data set's note
_START = "w_draw_start"       # the "start from" select box
#: The built-in set chosen last (the sidebar's data source remembers it), offered to start from.
BASE = "draw_base"


def current() -> Drawing:
    """The session's drawing (a blank canvas the first time)."""
    if _DRAWN not in st.session_state:
        replace(drawn_data.blank(), "A blank canvas.")
    return st.session_state[_DRAWN]


def replace(drawing: Drawing, about: str = "") -> None:
    """Make ``drawing`` the session's drawing, as a new origin the browser takes over (Undo goes back)."""
    st.session_state[_DRAWN] = drawing
    st.session_state[_ORIGIN] = secrets.token_hex(6)
    st.session_state[_ACCEPTED] = -1
    st.session_state[_ABOUT] = about


def _identity(report) -> tuple:
    """What tells one report from another: the canvas numbers each drawing it sends (origin, revision),
    so hashing 20,000 points on every rerun is needed only for a report without those numbers."""
    if isinstance(report, dict) and isinstance(report.get("origin"), str) and type(report.get("rev")) is int:
        return report["origin"], report["rev"]
    text = json.dumps(report, sort_keys=True, default=repr)
    return ("digest", hashlib.blake2b(text.encode(), digest_size=12).hexdigest())


def take_report() -> None:
    """Make the browser's latest report the session's drawing, once; refuse a malformed one with a note.

    Runs as the component's change callback and again at the start of every run that reads the
    drawing (where a test sets the component's value), judging each report only once.
    """
    value = st.session_state.get(KEY)
    if not isinstance(value, dict) or value.get("drawing") is None:
        return
    report = value["drawing"]
    seen = _identity(report)
    if st.session_state.get(_SEEN) == seen:
        return
    st.session_state[_SEEN] = seen
    try:
        parsed = drawn_data.parse_report(report)
    except ValueError as reason:
        st.session_state.setdefault(_NOTES, []).append(
            f"The canvas sent a drawing the app cannot use ({reason}); the last good drawing is kept.")
        return
    if parsed.origin != st.session_state.get(_ORIGIN) or parsed.rev <= st.session_state.get(_ACCEPTED, -1):
        return  # about a drawing since replaced here, or older than one already taken
    st.session_state[_DRAWN] = parsed.drawing
    st.session_state[_ACCEPTED] = parsed.rev
    st.session_state[_EDITED] = True


def link_value() -> str | None:
    """The drawing as link text, or None when it is too big for a link."""
    return drawn_data.encode_link(current())


def selection_parts() -> tuple[np.ndarray, np.ndarray | None, str]:
    """The data of the drawing as a data set: X (columns x, y), the class labels (or None) and its note."""
    take_report()
    drawing = current()
    X = drawn_data.coordinates(drawing)
    labels = drawn_data.class_labels(drawing)
    used = sorted({str(v) for v in labels} - {"no class"}) if labels is not None else []
    classes = f" in classes {', '.join(used)}" if used else " without classes"
    note = (f"Points you drew: {len(drawing):,}{classes}. {st.session_state.get(_ABOUT, '')} Every coordinate lies "
            f"on a grid of 1/{drawn_data.GRID:,} of its axis, so a link or the CSV gives back exactly these numbers.")
    return X, labels, note


def _startable() -> list[str]:
    """Built-in sets a drawing can start from: those with two columns or more (the first two are used)."""
    return [key for key, info in DATASETS.items() if len(info.feature_columns) >= 2]


def _start_from() -> None:
    key = st.session_state.get(_START)
    if key not in DATASETS:
        replace(drawn_data.blank(), "A blank canvas.")
        return
    info = DATASETS[key]
    frame = load_dataset(key)
    xy = frame[list(info.feature_columns[:2])].to_numpy(dtype=float)
    labels = frame[info.label_column].astype(str).to_numpy() if info.label_column else None
    drawing = drawn_data.drawing_from_points(xy, labels)
    about = f"Started from {info.title}"
    if len(info.feature_columns) > 2:
        about += f" (its columns {info.feature_columns[0]} and {info.feature_columns[1]})"
    if labels is not None:
        names = sorted(set(labels.tolist()))
        about += "; its labels are the classes: " + ", ".join(
            f"{c.name} = {n}" for c, n in zip(drawn_data.CLASSES[1:], names))
    replace(drawing, about + ".")
    st.session_state[_EDITED] = True


def _start_controls() -> None:
    options = ["blank"] + _startable()
    base = st.session_state.get(BASE)
    if st.session_state.get(_START) not in options:
        st.session_state[_START] = base if base in options else "blank"
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.selectbox("Start again from", options, key=_START,
                   format_func=lambda k: "a blank canvas (0–10 × 0–10)" if k == "blank" else DATASETS[k].title,
                   help="A blank canvas with fixed axes, or a built-in set's points (its first two columns, its "
                        "labels as classes) to edit. Undo on the canvas brings the previous drawing back.")
    right.button("Replace the drawing", key="draw_start_button", on_click=_start_from,
                 help="Put the chosen start on the canvas in place of the drawing.")


def canvas(n_components: int, *, lecture: bool = False) -> bool:
    """The canvas in an expander "Your drawing", with its start, link and CSV controls.

    Parameters
    ----------
    n_components : int
        K: the drawing needs K + 1 points before a fit is tried.
    lecture : bool

    Returns
    -------
    bool
        Whether the drawing has enough points to fit. When it has not, a message under the
        canvas says what to do (the caller then stops the page; the drawing is kept).
    """
    drawing = current()
    need = n_components + 1
    enough = len(drawing) >= need
    with st.expander("Your drawing", expanded=not enough or bool(st.session_state.get(_EDITED))):
        for note in st.session_state.pop(_NOTES, ()):
            st.warning(note)
        _start_controls()
        _component(key=KEY, on_drawing_change=take_report,
                   data={"origin": st.session_state[_ORIGIN], "packed": drawn_data.pack(drawing), "n": len(drawing),
                         "need": need, "k": n_components, "lecture": lecture, "vocab": drawn_data.VOCABULARY})
        left, right = st.columns([3, 1], vertical_alignment="center")
        if len(drawing) <= drawn_data.MAX_LINK_POINTS:
            left.caption(f"{len(drawing):,} points: small enough for a link. The explorer's address carries this "
                         "drawing; copy it to share exactly these points.")
        else:
            left.caption(f"{len(drawing):,} points: too many for a link (at most "
                         f"{drawn_data.MAX_LINK_POINTS:,}); download the CSV to share it.")
        right.download_button("Download the drawing (CSV)", data=lambda: drawn_data.csv_text(drawing),
                              file_name="drawing.csv", mime="text/csv", key="draw_csv", on_click="ignore",
                              help="Columns x and y, and class when any point has one.")
    if len(drawing) == 0:
        st.info("The canvas is empty: click on it to add points (drag to paint a stroke), pick a class to label "
                f"them, and draw at least {need} points (K + 1 for K = {n_components}) to fit the mixture.")
    elif not enough:
        st.warning(f"Draw at least {need} points (K + 1 for K = {n_components}) to fit a mixture of {n_components}: "
                   f"the drawing has {len(drawing)}. Or choose a smaller K in the sidebar.")
    return enough
