"""The client-side stepper's Python half: packing step figures, choosing and sending windows of steps."""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import em_core
from emviz import figures, frame_store, stepper


@pytest.fixture(scope="module")
def fit():
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(c, 0.8, size=(60, 2)) for c in ([0, 0], [4, 0], [0, 4])])
    history = em_core.fit_history(X, 3, seed=1, max_iter=8, tol=0)
    return history, figures.make_view(history)


def _unpack(skeleton: dict, pool: dict) -> dict:
    def pick(value):
        return pool[value["$ref"]] if isinstance(value, dict) and "$ref" in value else value
    return {"data": [{k: pick(v) for k, v in trace.items()} for trace in skeleton["data"]],
            "layout": {k: pick(v) for k, v in skeleton["layout"].items()}}


def _words(history, index):
    return {"title": f"step {index}", "caption": "**bold** and *it* <x>", "flags": [("warning", "careful")]}


def test_packing_round_trips_to_the_same_figure(fit):
    history, view = fit
    figure = figures.step_figure(history, len(history) - 1, view)
    skeleton, pool = frame_store.pack_figure(figure)
    values = {ref: value for ref, (value, _) in pool.items()}
    assert _unpack(skeleton, values) == json.loads(pio.to_json(figure, validate=False))
    assert pool, "the point arrays and the template must be pooled"
    assert all(size >= frame_store.POOL_MIN_CHARS for _, size in pool.values())


def test_unchanged_values_are_shared_between_steps(fit):
    history, view = fit
    e_index = history.indices_of("e_step")[1]
    _, pool_e = frame_store.pack_figure(figures.step_figure(history, e_index, view))
    skeleton_m, pool_m = frame_store.pack_figure(figures.step_figure(history, e_index + 1, view))
    points_m = next(t for t in skeleton_m["data"] if t["name"] == "points")
    # An M-step moves no point and recolours none: positions and colours are the E-step's pool entries.
    for attribute in ("x", "y", "marker"):
        assert points_m[attribute]["$ref"] in pool_e
    assert set(pool_m) & set(pool_e) and set(pool_m) - set(pool_e), "ellipses must differ, points must not"


def test_inline_markdown_escapes_and_formats():
    assert frame_store.inline_markdown("**J** = 3 <b>") == "<strong>J</strong> = 3 &lt;b&gt;"
    assert frame_store.inline_markdown("the *new* `mu`") == "the <em>new</em> <code>mu</code>"
    assert frame_store.inline_markdown("2 * 3 * 4") == "2 * 3 * 4"


@given(current=st.integers(0, 59), n=st.integers(1, 60), window=st.integers(1, 80))
@settings(max_examples=200, deadline=None)
def test_priority_order_is_a_window_around_the_current_step(current, n, window):
    current = min(current, n - 1)
    order = stepper.priority_order(current, n, window)
    assert order[0] == current
    assert len(order) == len(set(order)) == min(window, n)
    assert all(0 <= i < n for i in order)
    if n > 1 and window >= 2:
        assert order[1] == (current + 1 if current + 1 < n else current - 1)


def test_parse_ranges_ignores_junk():
    assert stepper.parse_ranges([[0, 2], [5, 5]]) == {0, 1, 2, 5}
    assert stepper.parse_ranges("0-3") == set()
    assert stepper.parse_ranges([[3, 1], ["a", 2], [0], None, [-1, 2]]) == set()


def test_payload_sends_what_is_missing_and_only_once(fit):
    history, view = fit
    store = frame_store.FrameStore(build=lambda i: (figures.step_figure(history, i, view), _words(history, i)),
                               n_steps=len(history))
    current = 5
    first = stepper.payload(store, "id", current, set(), build_budget_s=60)
    sent = {int(i) for i in first["frames"]}
    assert current in sent and current + 1 in sent and 0 in sent and len(history) - 1 in sent
    assert first["complete"]
    for skeleton in first["frames"].values():
        refs = {v["$ref"] for t in skeleton["data"] for v in t.values() if isinstance(v, dict) and "$ref" in v}
        assert refs <= set(first["pool"]), "every step sent must arrive with its pool entries"
    assert first["frames"][str(current)]["title"] == "step 5"
    assert first["frames"][str(current)]["flags"] == [{"kind": "warning", "html": "careful"}]

    again = stepper.payload(store, "id", current + 1, sent, build_budget_s=60)
    assert not again["frames"] and not again["pool"], "the browser already holds every step of the window"


def test_payload_respects_the_budgets(fit):
    history, view = fit
    store = frame_store.FrameStore(build=lambda i: (figures.step_figure(history, i, view), _words(history, i)),
                               n_steps=len(history))
    tight = stepper.payload(store, "id", 3, set(), send_budget=1, build_budget_s=60)
    assert list(tight["frames"]) == ["3"], "the current step always goes, nothing beyond the budget"
    assert not tight["complete"]
    fresh = frame_store.FrameStore(build=store.build, n_steps=len(history))
    hurried = stepper.payload(fresh, "id", 3, set(), build_budget_s=0)
    assert {"3", "4"} <= set(hurried["frames"]) and not hurried["complete"]


def test_a_first_visit_gets_the_current_step_and_its_neighbours_and_asks_for_the_rest(fit):
    """Issue 13: a new session's first payload is four steps, not the whole fit (942 KB at N = 490)."""
    history, view = fit
    store = frame_store.FrameStore(build=lambda i: (figures.step_figure(history, i, view), _words(history, i)),
                               n_steps=len(history))
    for i in range(len(history)):
        store.frame(i)  # a warm server: every step is built already
    first = stepper.payload(store, "id", 5, set(), build_budget_s=60, max_steps=stepper.FIRST_WINDOW)
    near = {"5", "6", "0", str(len(history) - 1)}  # the next step, and the First and Last buttons' steps
    assert set(first["frames"]) == near and not first["complete"], "the idle browser asks for the rest"
    everything = stepper.payload(store, "id", 5, set(), build_budget_s=60)
    sent = lambda p: len(json.dumps(p))  # noqa: E731
    assert sent(first) < sent(everything) / 3
    rest = stepper.payload(store, "id", 5, {int(i) for i in near}, build_budget_s=60)
    assert set(rest["frames"]) == set(everything["frames"]) - near and rest["complete"]
    # A page that draws its chart first (placing the K-th mean) sends the current step alone.
    alone = stepper.payload(store, "id", 0, set(), build_budget_s=60, max_steps=1, ends=False)
    assert set(alone["frames"]) == {"0"} and not alone["complete"]


def test_store_drops_least_recently_used_steps(fit):
    history, view = fit
    store = frame_store.FrameStore(build=lambda i: (figures.step_figure(history, i, view), _words(history, i)),
                               n_steps=len(history), budget=1)
    store.frame(0)
    store.frame(1)
    assert not store.has(0) and store.has(1)
    assert set(store.pool) == set(store.frame(1).refs)


def test_step_content_moves_the_note_beside_the_chart_in_lecture_mode(fit):
    history, view = fit
    index = history.indices_of("m_step")[0]
    figure, words = stepper.step_content(index, history=history, view=view)
    assert words["title"] and words["caption"] and words["note"] == ""
    assert [a.name for a in figure.layout.annotations] == ["step note"]
    assert figure.layout.width is None, "the chart fills its column"
    figure, words = stepper.step_content(index, history=history, view=view, lecture=True)
    assert "Dashed: the ellipses before this M-step" in words["note"]
    assert not figure.layout.annotations and figure.layout.title.text is None and figure.layout.height == 560
    _, words = stepper.step_content(len(history) - 1, history=history, view=view)
    assert all(kind in ("success", "warning") for kind, _ in words["flags"])


def test_step_content_draws_one_column_data_as_a_histogram():
    X = np.random.default_rng(0).normal(size=(80, 1))
    history = em_core.fit_history(X, 2, seed=0)
    figure, _ = stepper.step_content(1, history=history, view=figures.make_view(history))
    assert any(trace.type == "bar" for trace in figure.data)


def test_one_column_steps_keep_the_column_name_the_colour_mode_and_the_selected_row():
    X = np.random.default_rng(0).normal(size=(80, 1))
    history = em_core.fit_history(X, 2, seed=0)
    view = figures.make_view(history, column_names=["x"])
    index = history.indices_of("e_step")[0]
    figure, words = stepper.step_content(index, history=history, view=view, color_mode="uncertainty",
                                         selected_row=4, column_names=["x"], lecture=True)
    assert figure.layout.xaxis.title.text == "x"
    points = next(t for t in figure.data if t.name == "points")
    assert points.marker.colorscale and points.marker.showscale
    assert [t.meta["row"] for t in figure.data if t.name == "selected row"] == [4]
    assert words["note"].startswith("Curves: each π_k N(x | μ_k, σ_k²)") and not figure.layout.annotations


def test_a_new_fit_opens_half_way_through_em():
    X = np.random.default_rng(0).normal(size=(60, 2))
    h = em_core.fit_history(X, 2, seed=0, max_iter=8, tol=0)
    m_steps = h.indices_of("m_step")
    assert stepper.default_step(h) == m_steps[3] and h[stepper.default_step(h)].kind == "m_step"
    one = em_core.fit_history(X, 2, seed=0, max_iter=1)
    assert stepper.default_step(one) == one.indices_of("m_step")[0]
