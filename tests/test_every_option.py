"""Every option of every choice widget, on every page, never crashes the page (issue 15).

A user can pick any option of any radio, select box, select slider, multiselect,
toggle or checkbox, and type any number a number input (or slider) allows. One
of them once put a traceback on the explorer ("Ellipse levels" → the mass
option). This test finds the widgets on the rendered page itself, so a widget
added later is covered without touching the test, and for each widget and each
of its options it changes that one widget from the page's defaults, reruns, and
fails if the page raised (``at.exception``) or shows an error with a traceback.

* Radios, select boxes and select sliders: every option. Multiselects: each
  option alone, and none. Toggles and checkboxes: the other state. Number
  inputs and sliders: their minimum and their maximum.
* Each page is opened with the default data (mouse, 2-D), one-column data
  (bimodal_1d) and four-column data (iris), because some widgets only exist
  for some shapes (the projection radio for d > 2). The data-set select box
  itself is walked through on the default data only: from another start its
  options are the same pages on the same data sets.
* A widget that appears only after another choice (the axis boxes once the
  projection is "two columns") is found when it appears, and its options are
  then tried with that choice in place.
* One option change per run: after a run, the changed widget is set back to
  its default in the same run that changes the next one (what a user switching
  from one option to the next does); when the change removed or re-keyed the
  next widget, the reset gets a run of its own (or the page a fresh start).
* A widget with more than ``MAX_OPTIONS`` options gets that many, evenly spread
  from its first to its last, so that a long list cannot blow the time budget.

Options are sent the way the browser sends them: a choice widget's value on the
wire is its formatted label, so the test needs no knowledge of the raw options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
#: Every page of the navigation, read from app.py so that a page added there is walked too
#: (the explorer is the start page: AppTest opens it without switching).
_NAVIGATION = re.findall(r'st\.Page\("(pages/[^"]+\.py)"', (Path(APP)).read_text())
PAGES = {Path(path).stem: (None if path == "pages/explorer.py" else path) for path in _NAVIGATION}
#: Smaller grids than the pages' defaults (10 runs; K up to 6 for 4 covariance types): every option
#: of the shared sidebar refits the whole grid. The page's own inputs still go to their minimum and
#: maximum (30 runs; K up to 10).
START = {
    "2_Several_initialisations": {"restarts_n": 3},
    "3_Choose_K": {"choosek_kmax": 3},
}
DEFAULT_DATA = "mouse"
DATA = (DEFAULT_DATA, "bimodal_1d", "iris")  # d = 2 (the default), d = 1, d = 4
DATA_WIDGET = "w_dataset"  # the sidebar's data-set select box (ui.data_sidebar)
TIMEOUT = 60
MAX_OPTIONS = 60

#: Widgets chosen by label (formatted option) on the wire, and widgets set by value.
CHOICE_KINDS = ("radio", "selectbox", "select_slider", "multiselect")
VALUE_KINDS = ("toggle", "checkbox", "number_input", "slider")
KINDS = CHOICE_KINDS + VALUE_KINDS


@dataclass(frozen=True)
class Choice:
    """One widget set to one value: what the browser sends for it."""

    kind: str
    key: str | None
    label: str
    nth: int  # among the page's widgets of this kind and label, in page order
    wire: Any  # choice widgets: the formatted label(s) picked; other widgets: the value itself

    @property
    def identity(self) -> tuple[str, str, int]:
        return self.kind, self.label, self.nth

    @property
    def name(self) -> str:
        return f"{self.kind} {self.key or '(no key)'} ({self.label!r}) = {self.wire!r}"


def _widgets(at: AppTest) -> list[tuple[tuple[str, str, int], Any]]:
    """Every enabled widget of the kinds above, main area and sidebar, with its identity.

    The identity is what a widget *is* across runs: (kind, label, n-th of them). Keys may carry a
    digest of the fit (``kvg_em_<digest>``), so they change with the options.
    """
    found, count = [], {}
    for kind in KINDS:
        for widget in at.get(kind):
            nth = count[(kind, widget.label)] = count.get((kind, widget.label), -1) + 1
            if not widget.proto.disabled:
                found.append(((kind, widget.label, nth), widget))
    return found


def _find(at: AppTest, choice: Choice, *, exact: bool = False):
    """The widget ``choice`` sets: by key; else (unless ``exact``) by its identity."""
    if choice.key is not None:
        for widget in at.get(choice.kind):
            if widget.key == choice.key:
                return widget
        if exact:
            return None
    return dict(_widgets(at)).get(choice.identity)


def _is_range(widget) -> bool:
    return widget.type in ("slider", "select_slider") and isinstance(widget.value, (list, tuple))


def _current(widget) -> Any:
    """The widget's value as it goes on the wire."""
    if widget.type in ("radio", "selectbox"):
        return None if widget.index is None else widget.options[widget.index]
    if widget.type == "select_slider":
        if _is_range(widget):
            return tuple(str(widget.format_func(v)) for v in widget.value)
        return str(widget.format_func(widget.value))
    if widget.type == "multiselect":
        return tuple(widget.values)
    if _is_range(widget):
        return tuple(widget.value)
    return widget.value


def _spread(options: list) -> list:
    if len(options) <= MAX_OPTIONS:
        return options
    picks = sorted({round(i * (len(options) - 1) / (MAX_OPTIONS - 1)) for i in range(MAX_OPTIONS)})
    return [options[i] for i in picks]


def _options(widget) -> list:
    """The wire values to try: every option, each option alone, both states, or both ends."""
    if widget.type in ("radio", "selectbox"):
        return _spread(list(widget.options))
    if widget.type == "select_slider":
        options = _spread(list(widget.options))
        return [(o, o) for o in options] if _is_range(widget) else options
    if widget.type == "multiselect":
        return [(o,) for o in _spread(list(widget.options))] + [()]
    if widget.type in ("toggle", "checkbox"):
        return [False, True]
    proto = widget.proto
    if widget.type == "number_input" and not (proto.has_min and proto.has_max):
        return []
    if proto.data_type not in (proto.INT, proto.FLOAT):
        return []  # date and time sliders: not used by the app
    low, high = (int(proto.min), int(proto.max)) if proto.data_type == proto.INT else (proto.min, proto.max)
    return [(low, low), (high, high), (low, high)] if _is_range(widget) else [low, high]


def _choices(identity, widget) -> list[Choice]:
    current = _current(widget)
    return [Choice(widget.type, widget.key, widget.label, identity[2], wire)
            for wire in _options(widget) if wire != current]


def _send(widget, wire) -> None:
    """Make the next run send ``wire`` for this widget, as the browser would."""
    if widget.type not in CHOICE_KINDS:
        widget.set_value(list(wire) if isinstance(wire, tuple) else wire)
        return
    state = WidgetState(id=widget.id)
    if widget.type in ("select_slider", "multiselect"):
        state.string_array_value.data[:] = list(wire) if isinstance(wire, tuple) else [wire]
    else:
        state.string_value = wire
    # AppTest serialises a choice widget from a raw option, which the test does not know; the browser
    # sends the label the user picked. This widget object is discarded by the next run.
    widget.__class__ = type(f"Picked{type(widget).__name__}", (type(widget),),
                            {"_widget_state": property(lambda self: state)})


def _apply(at: AppTest, choice: Choice, *, exact: bool = False) -> bool:
    widget = _find(at, choice, exact=exact)
    if widget is None:
        return False
    _send(widget, choice.wire)
    return True


def _problems(at: AppTest) -> list[str]:
    """Exceptions raised by the page, and error boxes that show a traceback."""
    found = []
    for exc in at.exception:
        frames = [line for line in exc.stack_trace if line.strip().startswith("File ")]
        where = " ".join(frames[-1].split()) if frames else ""
        found.append(exc.message.strip() + (f"  [{where}]" if where else ""))
    for err in at.error:
        if "Traceback" in err.value:
            found.append(f"error box with a traceback: {err.value[:500]}")
    return found


class Walk:
    """One test case: a page, a data set, and the failures found on it."""

    def __init__(self, page: str, dataset: str) -> None:
        self.page, self.dataset = page, dataset
        self.failures: list[str] = []
        self.tried: list[Choice] = []
        self.done: set = set()  # identities of the widgets whose options are tried (or skipped)
        self.known: list[str] = []  # problems already on the page before the change being tried

    def run(self, at: AppTest, context: str) -> bool:
        """Rerun; record new problems. False when the run itself failed (the page needs a fresh start)."""
        try:
            at.run(timeout=TIMEOUT)
        except Exception as err:  # a timeout or a broken rerun: report it with the choice that caused it
            self.failures.append(f"{context}: the run itself failed: {type(err).__name__}: {err}")
            return False
        self.failures.extend(f"{context}: {p}" for p in _problems(at) if p not in self.known)
        return True

    def start(self, setup: tuple[Choice, ...], context: str) -> AppTest | None:
        """The page with the defaults, then ``setup`` chosen one run at a time."""
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.session_state["dataset"] = self.dataset
        for key, value in START.get(self.page, {}).items():
            at.session_state[key] = value
        if PAGES[self.page] is not None:
            at.switch_page(PAGES[self.page])
        self.known = []
        if not self.run(at, f"{context}, with the defaults"):
            return None
        for choice in setup:
            if not _apply(at, choice):
                self.failures.append(f"{context}: {choice.name}: the widget is missing")
                return None
            if not self.run(at, context):
                return None
        self.known = _problems(at)  # reported once above, not again for every option
        return at

    def walked_here(self, widget, sidebar: set[str]) -> bool:
        """Whether this test case tries the widget's options.

        With the default data, every widget of every page. With another data set, the explorer's every
        widget but the data-set box (its options are the other test cases), and the other pages' own
        widgets in the main area: their sidebar holds only the shared data and fit options, the same
        code on every page, walked there with the default data and on the explorer with every shape
        (each option refits, and the grid pages refit dozens of models per option).
        """
        if self.dataset == DEFAULT_DATA:
            return True
        if widget.key == DATA_WIDGET:
            return False
        return PAGES[self.page] is None or widget.id not in sidebar

    def walk(self, setup: tuple[Choice, ...], queue: list) -> None:
        """Try every option of every widget not done yet on the page that ``setup`` leads to."""
        base = f"data {self.dataset}" + "".join(f", {c.name}" for c in setup)
        at = self.start(setup, base)
        if at is None:
            return
        sidebar = {w.id for kind in KINDS for w in at.sidebar.get(kind)}
        targets, defaults = [], {}
        for identity, widget in _widgets(at):
            defaults[identity] = Choice(widget.type, widget.key, widget.label, identity[2], _current(widget))
            if identity not in self.done:
                self.done.add(identity)
                if self.walked_here(widget, sidebar):
                    targets.extend(_choices(identity, widget))

        changed: Choice | None = None
        for choice in targets:
            if at is not None and changed is not None:
                reset = defaults[changed.identity]
                # Back to the default in the same run as the next change when both widgets are there
                # under their default keys; otherwise in a run of its own, or from a fresh start.
                if _find(at, choice, exact=True) is None or not _apply(at, reset, exact=True):
                    if not (_apply(at, reset, exact=True)
                            and self.run(at, f"{base}, back to the default from {changed.name}")):
                        at = None
            if at is None:
                at = self.start(setup, base)
                if at is None:
                    return
            changed = None
            context = f"{base}, {choice.name}"
            if not _apply(at, choice):
                self.failures.append(f"{context}: the widget is not on the page with the defaults")
                continue
            if not self.run(at, context):
                at = None
                continue
            self.tried.append(choice)
            changed = choice
            # A widget this choice brought onto the page is walked with the choice in place (not for the
            # data set: each data shape is a test case of its own).
            if choice.key != DATA_WIDGET:
                revealed = {identity for identity, _ in _widgets(at)} - self.done
                if revealed:
                    queue.append((setup + (choice,), revealed))


@pytest.mark.parametrize("dataset", DATA)
@pytest.mark.parametrize("page", list(PAGES))
def test_every_option_of_every_widget(page, dataset):
    walk = Walk(page, dataset)
    queue: list = [((), set())]
    while queue:
        setup, revealed = queue.pop(0)
        if revealed and revealed <= walk.done:
            continue  # walked already from an earlier choice that showed them too
        walk.walk(setup, queue)
    assert walk.tried or walk.failures, f"no widget to try on {page}"
    if walk.failures:
        pytest.fail(f"{page}: {len(walk.failures)} choice(s) crashed the page:\n" + "\n".join(walk.failures),
                    pytrace=False)


def test_every_page_script_is_in_the_navigation():
    """A page file left out of app.py's navigation would be unreachable (and unwalked above)."""
    scripts = {f"pages/{p.name}" for p in (Path(APP).parent / "pages").glob("*.py")}
    assert scripts == set(_NAVIGATION)
