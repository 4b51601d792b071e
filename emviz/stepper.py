"""Client-side stepping: the explorer's picture, its caption and its buttons live in the browser.

A plain Streamlit rerun per click costs a server round trip and a fresh Plotly
chart (about 120 ms for a bare 490-point page here). Instead, a bidirectional
``st.components.v2`` component receives ready-made step figures and swaps them
with ``Plotly.react`` the moment First, Previous, Next, Last, Play or an arrow
key asks, then reports the step back so the page's panels and maths follow.

The figures are still built in Python by :mod:`emviz.figures` (pure functions) and
packed, and kept between runs, by :mod:`emviz.frame_store`; this module decides which
steps to send and mounts the component.

Windowing
    Only steps near the current one are built and sent (all of them for a
    small fit), within a byte budget and a time budget per run. The browser
    reports which steps it holds with every step it reports, so each run sends
    only what is missing. A step that has not arrived yet shows "loading" until
    the run that its report triggers delivers it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import plotly

import streamlit as st
import streamlit.components.v1 as components_v1

from . import explain, figures
from .frame_store import FrameStore, frame_store

__all__ = ["FIRST_WINDOW", "default_step", "frame_store", "frames_key", "parse_ranges", "payload", "priority_order",
           "heard", "reported", "step_content", "stepper"]

_HERE = Path(__file__).resolve().parent
# One module for the component: the shared DOM helper, the hands-on part (placing and moving means), the stepper.
_JS = "\n".join((_HERE / name).read_text(encoding="utf-8") for name in ("dom.js", "stepper_hands.js", "stepper.js"))
_CSS = (_HERE / "stepper.css").read_text(encoding="utf-8")

# What one run may send (characters of JSON), and how long it may spend building figures.
SEND_BUDGET = 6_000_000
BUILD_BUDGET_S = 0.15
# A first screen only needs the current step and the next: the browser asks for the rest while idle.
FIRST_BUILD_BUDGET_S = 0.03
# Steps sent to a browser that holds none of the fit yet (a new visitor, a new fit): the current step
# and the next, plus the first and last steps for the First and Last buttons, so that the first chart
# is not held up by steps nobody has asked to see yet (the browser asks for them once it is drawn).
FIRST_WINDOW = 2
# Steps the browser keeps per fit; the farthest from the current one are dropped first.
MAX_CLIENT_FRAMES = 400
SPEEDS = (2.0, 1.2, 0.8, 0.5, 0.3)

_component = st.components.v2.component("emviz_stepper", js=_JS, css=_CSS, isolate_styles=False)


def step_content(index: int, *, history, view, level_kind: str = "sigma", color_mode: str = "mix",
                 display_rows=None, selected_row=None, lecture: bool = False, column_names=None, overlays=(),
                 overlay_seed: int = 0):
    """The picture and the words of one explorer step, as :class:`FrameStore` builds them.

    Parameters
    ----------
    index : int
    history : em_core.History
    view : figures.View
        From :func:`emviz.figures.make_view`; a 1-D view draws the histogram picture.
    level_kind, color_mode, display_rows, selected_row, lecture, column_names
        As in :func:`emviz.figures.step_figure`.
    overlays, overlay_seed
        As in :func:`emviz.figures.step_picture`: the layers drawn over the step.

    Returns
    -------
    figure : plotly.graph_objects.Figure
        Sized by its container (no fixed width). In lecture mode without a
        title (the words stand beside it) and without its note.
    words : dict
        ``title``, ``caption``, ``flags`` and ``note`` (the figure's note in
        lecture mode, where at 1280x720 it would be cut off under the chart).

    Notes
    -----
    Every input is an argument, never a page global: the store that calls this
    is shared between sessions and outlives the run that made it.
    """
    picture = figures.step_picture(history, index, view, level_kind=level_kind, color_mode=color_mode,
                                   display_rows=display_rows, selected_row=selected_row, lecture=lecture,
                                   column_names=column_names, note_in_figure=not lecture, overlays=overlays,
                                   overlay_seed=overlay_seed)
    fig = picture.figure
    fig.update_layout(width=None, autosize=True)
    if lecture:
        fig.update_layout(title=None, height=560, margin={"t": 40, "b": 90})
    words = {"title": explain.step_title(history, index), "caption": explain.step_caption(history, index),
             "flags": explain.flag_notices(history[index]),
             "note": picture.note if lecture else ""}
    return fig, words


# --------------------------------------------------------------------------- windowing
def default_step(history) -> int:
    """The step a new fit opens at: an M-step about half-way through EM, so the first screen
    shows colours, ellipses and the ghosts of an update (the last step if EM ran no iteration)."""
    m_steps = history.indices_of("m_step")
    return m_steps[min(len(m_steps) - 1, max(0, history.n_iter // 2 - 1))] if m_steps else len(history) - 1


def priority_order(current: int, n_steps: int, window: int) -> list[int]:
    """Steps to have in the browser, most wanted first.

    The current step, then two steps forward for each step back (Next is
    pressed more than Previous); the first and last steps (the First and Last
    buttons) join after the first few. At most ``window`` steps, never fewer
    than ``min(window, n_steps)``.
    """
    def sweep():
        yield current
        ahead, behind = current + 1, current - 1
        ends_offered = False
        while ahead < n_steps or behind >= 0:
            for _ in range(2):
                if ahead < n_steps:
                    yield ahead
                    ahead += 1
            if behind >= 0:
                yield behind
                behind -= 1
            if not ends_offered and ahead - current > 3:
                ends_offered = True
                yield 0
                yield n_steps - 1

    order: list[int] = []
    seen: set[int] = set()
    wanted = min(max(1, window), n_steps)
    for index in sweep():
        if 0 <= index < n_steps and index not in seen:
            seen.add(index)
            order.append(index)
            if len(order) == wanted:
                break
    return order


def reported(key: str, name: str) -> dict:
    """What the browser last reported under ``name`` (``"nav"``, ``"picked"``, ``"placed"``, ``"edited"``), or ``{}``."""
    value = (st.session_state.get(key) or {}).get(name)
    return value if isinstance(value, dict) else {}


def heard(report: dict) -> dict:
    """The echo that says the page took ``report`` (``{"from", "click"}``): the browser sends a placing or an
    edit report again until it sees it (stepper_hands.js), so it holds plain values whatever the report held."""
    click = report.get("click")
    return {"from": str(report.get("from", ""))[:40], "click": click if isinstance(click, int) else 0}


def parse_ranges(ranges) -> set[int]:
    """Step indices from the browser's ``[[first, last], ...]`` list (anything malformed is ignored)."""
    held: set[int] = set()
    if not isinstance(ranges, list):
        return held
    for pair in ranges[:10_000]:
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, int) for v in pair):
            first, last = pair
            if 0 <= first <= last and last - first < 1_000_000:
                held.update(range(first, last + 1))
    return held


def payload(store: FrameStore, frames_id: str, current: int, held: set[int], *,
            send_budget: int = SEND_BUDGET, build_budget_s: float = BUILD_BUDGET_S,
            max_steps: int | None = None, ends: bool = True) -> dict:
    """The steps (and their pool entries) to send on this run.

    Parameters
    ----------
    store : FrameStore
    frames_id : str
        Identifies the fit and the drawing options; the browser keeps frames per id.
    current : int
        The step on screen.
    held : set of int
        Steps the browser says it already holds for ``frames_id``.
    send_budget : int
        Stop adding steps beyond this many characters of JSON (the current step always goes).
    build_budget_s : float
        Stop building new steps after this many seconds (the current and next step always get built).
    max_steps : int, optional
        Send only the first ``max_steps`` steps of the window, and the first and last steps (the rest
        of the window is left for the browser to ask for).
    ends : bool
        With ``max_steps``: whether the first and last steps go too (for the First and Last buttons).

    Returns
    -------
    dict
        ``frames`` (index as string -> skeleton), ``pool`` (id -> value) and
        ``complete`` (whether every wanted step was sent or already held).
    """
    started = time.perf_counter()
    sample = store.frame(current)
    window = max(3, min(store.n_steps, send_budget // max(sample.size, 1)))
    order = priority_order(current, store.n_steps, window)
    complete = True
    if max_steps is not None and max_steps + 2 < len(order):
        near = order[:max(1, max_steps)]
        order, complete = near + [i for i in (0, store.n_steps - 1) if ends and i not in near], False
    frames: dict[str, dict] = {}
    refs: set[str] = set()
    sent = 0
    for rank, index in enumerate(order):
        if index in held:
            continue
        if not store.has(index) and rank > 1 and time.perf_counter() - started > build_budget_s:
            complete = False
            break
        frame = store.frame(index)
        if frames and sent + frame.size > send_budget:
            complete = False
            break
        frames[str(index)] = frame.skeleton
        refs |= frame.refs
        sent += frame.size
    # What the browser holds already carries its own pool entries.
    with store.lock:
        for index in held:
            frame = store.frames.get(index)
            if frame is not None:
                refs -= frame.refs
    return {"frames": frames, "pool": store.pool_entries(refs), "complete": complete}


def frames_key(*parts) -> str:
    """A short id for a fit and the options it is drawn with."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


def _plotly_url() -> str:
    """Where the browser can fetch plotly.js if the page has not loaded it yet.

    The plotly Python package ships ``plotly.min.js``; a (never mounted) v1
    component pointing at that folder makes Streamlit serve it, with a
    JavaScript content type, from this server: nothing comes from the network.
    """
    assets = components_v1.declare_component("plotly_js", path=str(Path(plotly.__file__).parent / "package_data"))
    return f"./component/{assets.name}/plotly.min.js"


# --------------------------------------------------------------------------- the component
def stepper(store: FrameStore, frames_id: str, *, step: int, seq: int, key: str, config: dict,
            lecture: bool = False, on_step: Callable | None = None, on_pick: Callable | None = None,
            dims: int = 2, placing: dict | None = None, on_placed: Callable | None = None,
            on_edited: Callable | None = None, edit_heard: dict | None = None, resizable: bool = False,
            follow: bool = False) -> None:
    """Mount the stepping component: buttons, caption and chart, updated in the browser.

    Parameters
    ----------
    store, frames_id
        From :func:`frame_store` and :func:`frames_key`.
    step : int
        The step the page is on.
    seq : int
        Changes whenever the page moves the step itself (a link, a new fit,
        new drawing options): the browser then jumps to ``step``. Steps the browser reported
        do not change it, so a late rerun never pulls the picture back.
    key : str
        Widget key; the browser's report is ``st.session_state[key]["nav"]``:
        ``{"id", "step", "have"}``.
    config : dict
        Plotly config (toolbar, PNG export).
    lecture : bool
        Large type; the words go beside the chart.
    on_step, on_pick : callable, optional
        Called when the browser reports a step, and when a point is clicked
        (its row in ``st.session_state[key]["picked"]``).
    dims : int
        1 for a histogram view (a mean moves along the axis only), else 2.
    placing : dict, optional
        Placement mode (:func:`emviz.placed_means.placing_state`, with ``base`` in screen
        coordinates): clicks place means; ``on_placed`` hears every change
        (``st.session_state[key]["placed"]``).
    on_edited : callable, optional
        Means may be dragged at any step; called on "Continue EM from here" with
        ``st.session_state[key]["edited"]``: ``{"id", "step", "moves": [[k, dx, dy, s1, s2], ...]}``,
        the moves in screen coordinates and the scales along each ellipse's axes (major first).
        Without it nothing can be moved.
    edit_heard : dict, optional
        ``{"from", "click"}`` of the last edit report the page took: the browser sends its edit
        again until this says so (or another run is on screen), as it does its placed means.
    resizable : bool
        Whether ellipses may be stretched along their axes (handles at their ends).
    follow : bool
        The page has more to show than this run sent (it drew the chart first): the browser
        reports its step as soon as the chart shows it, and that report's rerun shows the rest.
    """
    nav = reported(key, "nav")
    held = parse_ranges(nav.get("have")) if nav.get("id") == frames_id else set()
    # A browser that holds nothing of this fit gets the current step and its neighbours at once and
    # asks for the rest of the window when idle: the first chart waits for three steps, not fifty.
    # A page that follows at once (``follow``) needs the current step alone: its next run sends the rest.
    data = payload(store, frames_id, step, held, build_budget_s=BUILD_BUDGET_S if held else FIRST_BUILD_BUDGET_S,
                   max_steps=None if held else (1 if follow else FIRST_WINDOW), ends=not follow)
    data.update(id=frames_id, n=store.n_steps, step=step, seq=seq, lecture=lecture, config=config,
                plotly_url=_plotly_url(), max_frames=MAX_CLIENT_FRAMES, speeds=list(SPEEDS), dims=dims,
                placing=placing, editable=on_edited is not None and placing is None, resizable=resizable,
                follow=follow, edit_heard=edit_heard or {})
    _component(key=key, data=data, on_nav_change=on_step or (lambda: None),
               on_picked_change=on_pick or (lambda: None), on_placed_change=on_placed or (lambda: None),
               on_edited_change=on_edited or (lambda: None))
