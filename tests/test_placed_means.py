"""Place the means yourself: typed means start EM exactly there, travel in the link, and bad links are refused."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import em_core
from emviz.settings import decode_means, encode_means
from pagetest import APP, run_app
from streamlit.testing.v1 import AppTest

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 6).flatmap(lambda d: st.lists(st.lists(finite, min_size=d, max_size=d), min_size=1,
                                                     max_size=10)))
def test_placed_means_round_trip_exactly_through_a_link(means):
    text = encode_means(means)
    assert decode_means(text, len(means), len(means[0])) == tuple(tuple(float(v) for v in row) for row in means)


@pytest.mark.parametrize("text, reason", [("", "empty"), ("1,2;x,3", "not numbers"), ("1,2;3", "same number"),
                                          ("1,2;nan,3", "finite"), ("1,2;3,4", "K is 3"), ("1,2,3;4,5,6;7,8,9",
                                                                                         "coordinate")])
def test_malformed_means_are_refused_with_a_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        decode_means(text, 3, 2)


def _placed(at: AppTest) -> tuple:
    return at.session_state["placed_means"]["means"]


def _init_step_means(at: AppTest) -> np.ndarray:
    from emviz import fitting, ui

    options = ui.FitOptions(**{k: at.session_state[k] for k in ("n_components", "covariance_type", "init", "seed",
                                                                 "max_iter", "tol", "reg_covar")},
                            means_init=_placed(at))
    history = fitting.fit(ui.dataset_matrix(at.session_state["dataset"]), options)
    return np.asarray(history[history.first_em_index].means), history


def _stepper_data(at: AppTest) -> dict:
    import json

    return json.loads(at.get("bidi_component")[0].proto.json)


def _link_means(at: AppTest) -> tuple:
    value = at.query_params["means"]
    return decode_means(value[0] if isinstance(value, list) else value)


def test_a_link_with_placed_means_starts_em_exactly_there():
    placed = ((-1.5, 2.0), (-1.4, 2.1), (-1.6, 1.9))  # all three inside one ear: the bad start
    at = run_app({"init": "placed", "means": encode_means(placed)})
    assert _placed(at) == placed
    means, history = _init_step_means(at)
    np.testing.assert_array_equal(means, np.asarray(placed))
    assert history.indices_of("init") == [0]  # no k-means steps: the history begins with the placed start
    np.testing.assert_allclose(history[0].weights, 1 / 3)
    X = np.asarray(history.X)
    S = np.cov(X.T, bias=True) + 1e-6 * np.eye(2)
    np.testing.assert_allclose(history[0].covariances, np.stack([S] * 3), rtol=1e-9)
    # The link the page writes carries the same means back, and the chart is the fit, not placement.
    assert _link_means(at) == placed
    assert _stepper_data(at)["placing"] is None and _stepper_data(at)["n"] == len(history)
    assert any("3 of 3 means placed" in c.value for c in at.sidebar.caption)


def test_choosing_the_initialisation_puts_the_chart_in_placement_mode():
    at = run_app({"init": "placed"})
    data = _stepper_data(at)
    assert data["placing"] == {"k": 3, "seq": data["placing"]["seq"], "base": [], "heard": {}, "entries": []} \
        and data["dims"] == 2
    assert data["n"] == 1 and data["frames"]["0"]["title"] == "Place the starting means"
    assert not data["editable"], "nothing to move before a fit"
    assert _placed(at) == ()
    assert any("0 of 3 means placed" in c.value for c in at.sidebar.caption)
    # Every other page says what to do instead of failing.
    other = at.switch_page("pages/3_Choose_K.py").run()
    assert not other.exception
    assert any("Place all K starting means first" in e.value for e in other.error)


def test_the_suggestion_button_fills_the_k_means_plus_plus_seeds():
    at = run_app({"init": "placed"})
    at.sidebar.button(key="placed_suggest").click().run()
    assert not at.exception
    suggested = em_core.kmeans_plusplus(np.asarray(_init_step_means(at)[1].X), 3, np.random.default_rng(0))
    np.testing.assert_allclose(np.asarray(_placed(at)), suggested)
    assert _stepper_data(at)["placing"] is None, "K means placed: the fit is on screen"
    at.sidebar.button(key="placed_clear").click().run()
    assert _placed(at) == () and _stepper_data(at)["placing"]["base"] == []


def test_a_malformed_link_is_refused_and_says_why():
    at = run_app({"init": "placed", "means": "1,2;oops"})
    assert not at.exception
    assert any("Placed means" in w.value and "not numbers" in w.value for w in at.warning)
    assert _placed(at) == () and _stepper_data(at)["placing"] is not None

    typed = ((0.0, 0.0), (1.0, 1.0), (2.0, -1.0))
    again = AppTest.from_file(APP, default_timeout=60)
    again.query_params["init"] = "placed"
    again.session_state["placed_means"] = typed
    again.run()
    assert not again.exception
    np.testing.assert_array_equal(_init_step_means(again)[0], np.asarray(typed))
    assert _link_means(again) == typed


def _report_app(report: dict | list, view_mode: str = "columns", dataset: str = "mouse", k: int = 3):
    """A script that does what the explorer's callback does with the chart's report (or reports, in
    turn), then fits."""
    def script(report, view_mode, dataset, k):
        import numpy as np
        import streamlit as st

        from emviz import figures, fitting, placed_means, ui

        X = ui.dataset_matrix(dataset)
        names = tuple(f"c{j}" for j in range(X.shape[1]))
        placed_means.means_table(X, names, k, 0, st.sidebar)
        view = figures.data_view(X, mode=view_mode, columns=(0, 1))
        centre = X.mean(axis=0)
        state = placed_means.placing_state(k)
        for one in report if isinstance(report, list) else [report]:
            refused = placed_means.apply_report(dict(one, seq=state["seq"]) if "seq" not in one else one,
                                                lambda plane: view.lift_points(plane[:, :view.projection.shape[1]],
                                                                               centre), k)
        st.session_state["refused"] = refused
        st.session_state["heard"] = placed_means.placing_state(k)["heard"]
        st.session_state["entries"] = placed_means.placing_state(k)["entries"]
        means = st.session_state[placed_means.STATE_KEY]["means"]
        if len(means) == k:
            history = fitting.fit(X, fitting.FitOptions(n_components=k, init="placed", means_init=means))
            st.session_state["start"] = np.asarray(history[0].means)

    at = AppTest.from_function(script, args=(report, view_mode, dataset, k), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_charts_clicks_become_the_fits_start():
    clicks = [[-1.5, 2.0], [0.25, -0.5], [1.5, 2.0]]
    at = _report_app({"means": [{"at": c} for c in clicks]})
    assert at.session_state["refused"] is None
    np.testing.assert_array_equal(at.session_state["start"], np.asarray(clicks))


def test_a_click_on_a_projection_takes_the_datas_centre_along_unseen_directions():
    from emviz import figures, ui

    X = ui.dataset_matrix("iris")
    view = figures.data_view(X, mode="pca")
    clicks = [[-2.0, 0.5], [0.0, 0.0], [2.5, -0.3]]
    at = _report_app({"means": [{"at": c} for c in clicks]}, view_mode="pca", dataset="iris")
    start = at.session_state["start"]
    np.testing.assert_allclose(view.project_points(start), clicks, atol=1e-12)
    # Off the plotted plane, every placed mean sits where the data's centre does.
    residual = (start - X.mean(axis=0)) - (start - X.mean(axis=0)) @ view.projection @ view.projection.T
    np.testing.assert_allclose(residual, 0.0, atol=1e-12)


@pytest.mark.parametrize("report, reason", [
    ({"means": "nonsense"}, "at most K means"),
    ({"means": [{"at": [1.0, float("nan")]}]}, "finite"),
    ({"means": [{"at": ["1", 2]}]}, "finite"),
    ({"means": [{"kept": 7}]}, "finite"),
    ({"means": [{"at": [0, 0]}] * 4}, "at most K means"),
])
def test_malformed_reports_are_refused_and_nothing_is_lost(report, reason):
    at = _report_app(report)
    assert reason in at.session_state["refused"]
    assert at.session_state["placed_means"]["means"] == ()


def test_a_stale_report_is_ignored():
    at = _report_app({"seq": -5, "means": [{"at": [0.0, 0.0]}]})
    assert at.session_state["refused"] is None and at.session_state["placed_means"]["means"] == ()


def test_the_server_says_which_report_it_heard_and_ignores_older_ones():
    """The browser sends its list again until the server says it heard it; a copy arriving late (or a
    report overtaken by a later one) must not undo the later list."""
    two = {"from": "tab-a", "click": 5, "means": [{"at": [-1.5, 2.0]}, {"at": [0.0, 0.0]}]}
    one = {"from": "tab-a", "click": 4, "means": [{"at": [-1.5, 2.0]}]}
    at = _report_app([two, one])
    assert at.session_state["heard"] == {"from": "tab-a", "click": 5}
    assert at.session_state["placed_means"]["means"] == ((-1.5, 2.0), (0.0, 0.0))
    # The same list sent again with a new number is taken (and changes nothing); a new chart (a reload)
    # starts counting afresh and is heard too.
    again = _report_app([two, dict(two, click=6), dict(one, **{"from": "tab-b", "click": 1})])
    assert again.session_state["heard"] == {"from": "tab-b", "click": 1}
    assert again.session_state["placed_means"]["means"] == ((-1.5, 2.0),)


def test_a_chart_drawn_afresh_starts_from_the_list_the_server_took():
    """Placing state names the list as the last report left it (kept means by position, clicks where they
    were on screen), so a chart mounted again (the explorer left and opened again) shows what the server holds,
    and its reports lift the clicks exactly as before."""
    clicks = [{"at": [-1.5, 2.0]}, {"at": [0.25, -0.5]}]
    at = _report_app({"from": "tab-a", "click": 1, "means": clicks})
    assert at.session_state["entries"] == clicks
    assert at.session_state["placed_means"]["means"] == ((-1.5, 2.0), (0.25, -0.5))
    # A list set by the server (a link, the table, a button) is the base, every mean kept by position.
    from emviz import placed_means

    state = {"seq": 3, "base": ((0.0, 0.0), (1.0, 1.0)), "entries": None}
    with mock.patch.object(placed_means.st, "session_state", {placed_means.STATE_KEY: state}):
        assert placed_means.placing_state(3)["entries"] == [{"kept": 0}, {"kept": 1}]


def test_a_refused_report_is_heard_so_the_browser_does_not_send_it_again():
    at = _report_app({"from": "tab-a", "click": 3, "means": [{"at": [1.0, float("nan")]}]})
    assert "finite" in at.session_state["refused"]
    assert at.session_state["heard"] == {"from": "tab-a", "click": 3}


def test_the_start_is_stated_where_the_learner_reads():
    from emviz import placed_means, theory

    assert "equal weights 1/K" in placed_means.START_SENTENCE and "covariance" in placed_means.START_SENTENCE
    assert "equal weights 1/K and every covariance the data's own" in " ".join(s.outro for s in theory.SECTIONS)


def test_two_means_placed_on_the_same_spot_fit_and_the_flag_says_they_move_together():
    from emviz import explain, ui

    X = ui.dataset_matrix("mouse")
    history = em_core.fit_history(X, 3, init="given", means_init=[[-1.5, 2.0], [-1.5, 2.0], [0.0, 0.0]])
    for step in history:
        np.testing.assert_array_equal(step.means[0], step.means[1])
        if step.kind in ("init", "m_step"):
            assert step.flags.get("components_coincide") == (0, 1), step.index
    assert "Components 1, 2 have the same mean and covariance" in explain.flag_notices(history[0])[0][1]
    # Apart by more than rounding, they are not flagged: a fit from ordinary starts never is.
    apart = em_core.fit_history(X, 3, init="given", means_init=[[-1.5, 2.0], [-1.4, 2.0], [0.0, 0.0]])
    assert "components_coincide" not in apart[0].flags
    assert not any("components_coincide" in s.flags for s in em_core.fit_history(X, 3, seed=1))
