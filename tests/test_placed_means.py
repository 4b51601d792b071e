"""Place the means yourself: typed means start EM exactly there, travel in the link, and bad links are refused."""

from __future__ import annotations

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


def _init_step_means(at: AppTest) -> np.ndarray:
    from emviz import fitting, ui

    options = ui.FitOptions(**{k: at.session_state[k] for k in ("n_components", "covariance_type", "init", "seed",
                                                                 "max_iter", "tol", "reg_covar")},
                            means_init=at.session_state["placed_means"])
    history = fitting.fit(ui.dataset_matrix(at.session_state["dataset"]), options)
    return np.asarray(history[history.first_em_index].means), history


def test_a_link_with_placed_means_starts_em_exactly_there():
    placed = ((-1.5, 2.0), (-1.4, 2.1), (-1.6, 1.9))  # all three inside one ear: the bad start
    at = run_app({"init": "placed", "means": encode_means(placed)})
    assert at.session_state["placed_means"] == placed
    means, history = _init_step_means(at)
    np.testing.assert_array_equal(means, np.asarray(placed))
    assert history.indices_of("init") == [0]  # no k-means steps: the history begins with the placed start
    np.testing.assert_allclose(history[0].weights, 1 / 3)
    X = np.asarray(history.X)
    S = np.cov(X.T, bias=True) + 1e-6 * np.eye(2)
    np.testing.assert_allclose(history[0].covariances, np.stack([S] * 3), rtol=1e-9)
    # The link the page writes carries the same means back.
    assert decode_means(at.query_params["means"][0] if isinstance(at.query_params["means"], list)
                        else at.query_params["means"]) == placed
    assert any("3 of 3 means placed" in c.value for c in at.sidebar.caption)


def test_the_table_starts_from_the_k_means_plus_plus_seeds_and_keeps_what_was_typed():
    at = run_app({"init": "placed"})
    table = at.session_state["placed_means"]
    assert len(table) == 3
    suggested = em_core.kmeans_plusplus(np.asarray(_init_step_means(at)[1].X), 3, np.random.default_rng(0))
    np.testing.assert_allclose(np.asarray(table), suggested)


def test_a_malformed_link_keeps_the_suggestion_and_says_why():
    at = run_app({"init": "placed", "means": "1,2;oops"})
    assert not at.exception
    assert any("Placed means" in w.value and "not numbers" in w.value for w in at.warning)
    assert len(at.session_state["placed_means"]) == 3

    typed = ((0.0, 0.0), (1.0, 1.0), (2.0, -1.0))
    again = AppTest.from_file(APP, default_timeout=60)
    again.query_params["init"] = "placed"
    again.session_state["placed_means"] = typed
    again.run()
    assert not again.exception
    np.testing.assert_array_equal(_init_step_means(again)[0], np.asarray(typed))
    assert decode_means(again.query_params["means"][0] if isinstance(again.query_params["means"], list)
                        else again.query_params["means"]) == typed


def test_the_start_is_stated_where_the_learner_reads():
    from emviz import placed_means, theory

    assert "equal weights 1/K" in placed_means.START_SENTENCE and "covariance" in placed_means.START_SENTENCE
    assert "equal weights 1/K and every covariance the data's own" in " ".join(s.outro for s in theory.SECTIONS)
