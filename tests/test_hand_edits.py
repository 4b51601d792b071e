"""Means moved by hand at a step: the edited run starts exactly there, travels in the link, bad edits are refused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from emviz import fitting, ui
from emviz.fitting import FitOptions
from emviz.hand_edits import Edit, decode_edits, encode_edits, reshaped, start_after
from pagetest import APP, run_app

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


def _edits(d: int, k: int):
    move = st.tuples(st.integers(0, k - 1), st.lists(finite, min_size=d, max_size=d).map(tuple))
    one = st.builds(Edit, st.integers(0, 10_000),
                    st.lists(move, min_size=1, max_size=k, unique_by=lambda m: m[0]).map(tuple))
    return st.lists(one, min_size=1, max_size=4).map(tuple)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 5).flatmap(lambda d: st.tuples(st.just(d), _edits(d, 4))))
def test_edits_round_trip_exactly_through_a_link(d_and_edits):
    d, edits = d_and_edits
    text = encode_edits(edits)
    assert decode_edits(text, 4, d) == edits
    assert encode_edits(decode_edits(text, 4, d)) == text


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_a_reshaped_covariance_round_trips_exactly_too(d, seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    covariance = A @ A.T + 0.1 * np.eye(d)
    edits = (Edit(3, ((1, tuple(rng.normal(size=d)), tuple(covariance.ravel())), (0, tuple(rng.normal(size=d))))),)
    assert decode_edits(encode_edits(edits), 2, d) == edits


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 5), st.integers(0, 2**32 - 1), st.floats(0.05, 20), st.floats(0.05, 20), st.booleans())
def test_reshaping_scales_the_plotted_ellipses_axes_and_nothing_unseen(d, seed, s1, s2, pca):
    from emviz import figures

    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    covariance = A @ A.T + 0.05 * np.eye(d)
    X = rng.normal(size=(60, d)) @ A.T
    view = figures.data_view(X, mode="pca" if pca and d > 2 else "columns", columns=(0, 1))
    W = view.projection
    result = reshaped(covariance, W, (s1, s2))
    np.linalg.cholesky(result)  # still a covariance
    before, after = np.linalg.eigvalsh(W.T @ covariance @ W), np.linalg.eigvalsh(W.T @ result @ W)
    # Half-axis lengths, minor first: the minor scaled by s2, the major by s1 (sorted again after scaling).
    np.testing.assert_allclose(np.sort(np.sqrt(after)), np.sort(np.sqrt(before) * (s2, s1)), rtol=1e-7)
    # Along unseen directions (orthogonal to the plotted plane) nothing changes.
    Q = np.linalg.svd(np.eye(d) - W @ W.T)[0][:, :d - 2]
    np.testing.assert_allclose(Q.T @ result @ Q, Q.T @ covariance @ Q, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("text, reason", [
    ("", "empty"), ("x@1:1,2", "form"), ("3@1:1", "2 finite"), ("3@5:1,2", "K is 3"), ("3@1:nan,2", "finite"),
    ("-1@0:1,2", "no step"), ("3@1:1,2|1:3,4", "twice"), ("3@a:1,2", "form"),
    ("3@1:1,2:1,0,0", "2x2"), ("3@1:1,2:1,2,2,1", "positive definite"), ("3@1:1,2:1,0.5,0,1", "symmetric"),
    ("3@1:1,2:1,0,0,1:5", "form"),
])
def test_malformed_edits_are_refused_with_a_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        decode_edits(text, 3, 2)


@pytest.fixture(scope="module")
def mouse():
    X = ui.dataset_matrix("mouse")
    return X, fitting.fit(X, FitOptions())


def test_the_edited_run_starts_from_the_steps_parameters_with_the_moved_mean(mouse):
    X, original = mouse
    at = original.indices_of("m_step")[2]
    edit = Edit(at, ((1, (0.5, -0.25)),))
    edited = fitting.fit(X, FitOptions(edits=(edit,)))
    start, step = edited[0], original[at]
    assert edited.init == "given" and start.kind == "init"
    expected = np.array(step.means)
    expected[1] = (0.5, -0.25)
    np.testing.assert_array_equal(start.means, expected)
    np.testing.assert_array_equal(start.weights, step.weights)
    np.testing.assert_array_equal(start.covariances, step.covariances)
    # Edits compose: a second edit continues the edited run, never the original.
    again = fitting.fit(X, FitOptions(edits=(edit, Edit(3, ((0, (-1.0, 2.0)),)))))
    np.testing.assert_array_equal(again[0].means[1:], edited[3].means[1:])
    np.testing.assert_array_equal(again[0].means[0], (-1.0, 2.0))


def test_an_edit_at_a_k_means_step_starts_from_the_centroids_as_placed_means(mouse):
    X, original = mouse
    assert original[1].is_kmeans
    start = start_after(original, Edit(1, ((0, (0.0, 0.0)),)))
    assert set(start) == {"means_init"}, "k-means spreads are not a mixture's: weights 1/K, data covariance"
    edited = fitting.fit(X, FitOptions(edits=(Edit(1, ((0, (0.0, 0.0)),)),)))
    np.testing.assert_allclose(edited[0].weights, 1 / 3)


def test_an_edit_beyond_its_runs_last_step_is_refused(mouse):
    X, original = mouse
    with pytest.raises(ValueError, match="steps 0 to"):
        fitting.fit(X, FitOptions(edits=(Edit(len(original), ((0, (0.0, 0.0)),)),)))


def test_a_link_with_an_edit_opens_the_edited_run_and_says_what_was_moved():
    at = run_app({"data": "mouse", "k": "3", "edit": "21@0:-1.0,2.0"})
    assert any("Edited by hand" in i.value and "step 21" in i.value for i in at.info)
    assert any(b.label == "Back to the original run" for b in at.button)
    at.button(key="edits_back").click().run()
    assert not at.exception and not any("Edited by hand" in i.value for i in at.info)
    assert "edit" not in at.query_params


@pytest.mark.parametrize("text", ["21@7:1,2", "oops", "999999@0:1,2"])
def test_a_malformed_edit_link_shows_the_run_without_it_and_says_why(text):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"data": "mouse", "k": "3", "edit": text})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("Hand edits" in w.value for w in at.warning), [w.value for w in at.warning]
    assert not any("Edited by hand" in i.value for i in at.info) and "edit" not in at.query_params


def _take(report: dict):
    """What the explorer's callback does with the chart's "Continue EM from here" report."""
    def script(report):
        import streamlit as st

        from emviz import figures, fitting, hand_edits, ui
        from emviz.fitting import FitOptions

        X = ui.dataset_matrix("mouse")
        options = FitOptions()
        history = fitting.fit(X, options)
        view = figures.make_view(history)
        st.session_state["refused"] = hand_edits.take_report(report, history, view, options, X)
        st.session_state["options"] = hand_edits.edited_options(options, X, ("x", "y"))

    at = AppTest.from_function(script, args=(report,), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_drag_report_becomes_an_edit_moved_within_the_plotted_plane(mouse):
    X, original = mouse
    at = _take({"step": 21, "moves": [[2, 0.5, -0.25]]})
    assert at.session_state["refused"] is None
    (edit,) = at.session_state["options"].edits
    assert edit.step == 21 and edit.moves[0][0] == 2
    np.testing.assert_allclose(edit.moves[0][1], np.asarray(original[21].means[2]) + (0.5, -0.25), atol=1e-12)


def test_stretching_an_ellipse_becomes_an_edit_with_its_new_covariance(mouse):
    X, original = mouse
    at = _take({"step": 21, "moves": [[1, 0.0, 0.0, 1.5, 0.5]]})
    assert at.session_state["refused"] is None
    (edit,) = at.session_state["options"].edits
    k, mean, covariance = edit.moves[0]
    np.testing.assert_array_equal(mean, original[21].means[1])
    expected = reshaped(original[21].covariances[1], np.eye(2), (1.5, 0.5))
    np.testing.assert_allclose(np.reshape(covariance, (2, 2)), expected, rtol=1e-12)
    edited = fitting.fit(X, FitOptions(edits=(edit,)))
    np.testing.assert_allclose(edited[0].covariances[1], expected, rtol=1e-12)
    np.testing.assert_array_equal(edited[0].covariances[0], original[21].covariances[0])
    assert decode_edits(encode_edits((edit,)), 3, 2) == (edit,)


@pytest.mark.parametrize("report", [
    {"step": 21, "moves": [[0, 0.0, 0.0, 0.0, 1.0]]}, {"step": 3, "moves": [[0, 0.0, 0.0, 2.0, 1.0]]},
    {"step": 10_000, "moves": [[0, 1.0, 1.0]]}, {"step": 21, "moves": []}, {"step": 21, "moves": [[9, 1.0, 1.0]]},
    {"step": 21, "moves": [[0, float("inf"), 1.0]]}, {"step": 21, "moves": [[0, "1", 1.0]]}, {"step": "21"},
])
def test_malformed_drag_reports_are_refused(report):
    at = _take(report)
    assert at.session_state["refused"] and at.session_state["options"].edits == ()


def _block_holding_the_stepper(at) -> list:
    """Positions of the page's top-level blocks that hold the explorer's stepping component."""
    def holds(node) -> bool:
        children = getattr(node, "children", None) or {}
        return getattr(node, "type", None) == "bidi_component" or any(holds(c) for c in children.values())
    return [index for index, child in at.main.children.items() if holds(child)]


def test_the_explorers_fragment_stays_where_it_is_in_an_edited_run_and_while_placing():
    """Streamlit names a fragment by its position on the page: if the edited run's banner moved the
    explorer's fragment, its chart would be mounted afresh and a report for the old one dropped."""
    plain = run_app({"data": "mouse", "k": "3"})
    edited = run_app({"data": "mouse", "k": "3", "edit": "21@0:-1.0,2.0"})
    assert any("Edited by hand" in i.value for i in edited.info)
    placing = run_app({"data": "mouse", "k": "3", "init": "placed"})
    warned = run_app({"data": "mouse", "k": "3", "init": "placed", "means": "1,2;oops"})
    assert warned.warning, "the link's note is shown above the chart"
    positions = [_block_holding_the_stepper(at) for at in (plain, edited, placing, warned)]
    assert positions[0] and len(positions[0]) == 1 and all(p == positions[0] for p in positions), positions
