"""Every sentence the app teaches is true: each claim recomputed, each caption checked against its step.

The checks here would each have failed on a statement the app once made (issue
"Every sentence the app teaches is true"): a log-likelihood that "never"
decreases, captions naming the wrong kind of step, a hover line showing the
wrong number, and links whose values the widgets cannot show.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import em_core
from emviz import explain, figures, theory
from emviz.datasets import DATASETS
from emviz.settings import SETTINGS, parse_link_value
from emviz.ui import dataset_matrix
from pagetest import APP, run_app


# --------------------------------------------------------------------------- monotonicity
@pytest.fixture(scope="module")
def regularised_run():
    """The issue's example: mouse, K = 3, tied, seed 0, reg_covar = 0.1 lowers the likelihood every iteration."""
    return em_core.fit_history(dataset_matrix("mouse"), 3, covariance_type="tied", seed=0, reg_covar=0.1)


def test_a_regularised_m_step_can_lower_the_log_likelihood(regularised_run):
    h = regularised_run
    m_steps = h.indices_of("m_step")
    changes = np.array([h[i].log_likelihood - h[i - 1].log_likelihood for i in m_steps])
    assert np.all(changes < 0) and changes.min() == pytest.approx(-3.82, abs=0.005)
    assert explain.likelihood_decreases(h) == m_steps
    # The same start without regularisation climbs, as the theory says it must.
    unregularised = em_core.fit_history(dataset_matrix("mouse"), 3, covariance_type="tied", seed=0, reg_covar=0.0)
    assert explain.likelihood_decreases(unregularised) == []


def test_the_words_name_a_regularised_decrease_for_what_it_is(regularised_run):
    h = regularised_run
    index = h.indices_of("m_step")[0]
    caption = explain.step_caption(h, index)
    assert "(−3.82)" in caption and "regularised step" in caption and "reg_covar = 0.1" in caption
    fig = figures.loglik_figure(h, index)
    fell = next(t for t in fig.data if (t.meta or {}).get("role") == "likelihood decreases")
    assert list(fell.x) == h.indices_of("m_step") and fell.name == "fell: regularised M-step"
    smallest, decreases = theory.monotonicity(h)
    assert decreases == len(h.indices_of("m_step")) and smallest == pytest.approx(-3.8247, abs=1e-3)


def test_theory_states_when_the_guarantee_holds():
    text = " ".join(s.intro + s.outro for s in theory.SECTIONS)
    assert "a decrease means a mistake" not in text and "climbs the nearest hill" not in text
    monotone = next(s for s in theory.SECTIONS if s.key == "monotone")
    assert "reg_covar" in monotone.outro and "stationary point" in " ".join(s.outro + s.intro for s in theory.SECTIONS)
    assert theory.REGULARISED_DECREASE_DEMO["reg_covar"] == 0.1


# --------------------------------------------------------------------------- captions name their step
@pytest.fixture(scope="module")
def kmeans_history():
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal([4, 3], 0.8, (50, 2))])
    return em_core.fit_history(X, 2, seed=0, max_iter=4, tol=0)


_CAPTION_START = {"kmeans_assign": "Assignment:", "kmeans_update": "Update:", "init": "EM starts from",
                  "e_step": "E-step:", "m_step": "M-step:"}


def test_every_caption_names_the_kind_of_its_step(kmeans_history):
    h = kmeans_history
    for index, step in enumerate(h):
        caption = explain.step_caption(h, index)
        assert caption.startswith(_CAPTION_START[step.kind]), (step.kind, caption)
        others = [start for kind, start in _CAPTION_START.items() if kind != step.kind and ":" in start]
        assert not any(caption.startswith(o) for o in others)
        title = explain.step_title(h, index)
        assert title.endswith({"kmeans_assign": "assignment", "kmeans_update": "centroid update",
                               "init": "initial parameters", "e_step": "E-step", "m_step": "M-step"}[step.kind])


def test_the_e_step_caption_quotes_the_bound_it_computed(kmeans_history):
    h = kmeans_history
    for index in h.indices_of("e_step"):
        step = h[index]
        assert abs(step.lower_bound - step.log_likelihood) <= 1e-9 * abs(step.log_likelihood)
        assert f"{step.log_likelihood:,.2f}" in explain.step_caption(h, index)


# --------------------------------------------------------------------------- hover values
@pytest.mark.parametrize("color_mode", ["mix", "uncertainty"])
def test_hover_values_are_the_responsibilities_and_their_uncertainty(kmeans_history, color_mode):
    h = kmeans_history
    view = figures.make_view(h, mode="columns", columns=(0, 1))
    index = h.indices_of("e_step")[1]
    fig = figures.step_figure(h, index, view, color_mode=color_mode)
    points = next(t for t in fig.data if t.name == "points")
    resp = h.responsibilities(index)
    K = h.n_components
    custom = np.asarray(points.customdata, dtype=float)
    np.testing.assert_array_equal(custom[:, 0], np.arange(h.n_samples))
    np.testing.assert_allclose(custom[:, 1:1 + K], resp, atol=1e-7)
    if color_mode == "uncertainty" or custom.shape[1] > K + 1:
        np.testing.assert_allclose(custom[:, K + 1], 1.0 - resp.max(axis=1), atol=1e-7)
    if color_mode == "uncertainty":
        assert f"1 − max γ = %{{customdata[{K + 1}]:.3f}}" in points.hovertemplate
        np.testing.assert_allclose(points.marker.color, 1.0 - resp.max(axis=1), atol=1e-12)
    for k in range(K):
        assert f"γ{k + 1} = %{{customdata[{1 + k}]:.3f}}" in points.hovertemplate


# --------------------------------------------------------------------------- links
@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_link_sets_exactly_the_values_its_widget_offers(data):
    setting = data.draw(st.sampled_from(SETTINGS))
    if setting.choices is not None:
        value = data.draw(st.sampled_from(setting.choices))
        assert parse_link_value(setting, str(value)) == value
        if setting.kind is float:
            outside = data.draw(st.floats(0.0, 10.0).filter(lambda v: all(abs(v - c) > 1e-9 for c in setting.choices)))
            with pytest.raises(ValueError, match="not offered"):
                parse_link_value(setting, str(outside))
    else:
        low, high = setting.bounds
        value = data.draw(st.integers(low, high))
        assert parse_link_value(setting, str(value)) == value
        outside = data.draw(st.one_of(st.integers(high + 1, high + 10**6), st.integers(low - 10**6, low - 1)))
        with pytest.raises(ValueError, match="not offered"):
            parse_link_value(setting, str(outside))


def test_out_of_range_link_values_keep_the_defaults_and_say_so():
    at = run_app({"k": "5000", "iter": "5000", "ninit": "50"})
    assert at.sidebar.slider(key="w_n_components").value == DATASETS["mouse"].default_k
    assert at.session_state["max_iter"] == 100 and at.session_state["n_init"] == 1
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "Components K" in warnings and "5000" in warnings and "Max EM iterations" in warnings
    assert "k-means restarts" in warnings


def test_a_link_value_the_slider_lacks_is_never_silently_replaced():
    at = run_app({"reg": "0.5"})
    assert at.session_state["reg_covar"] == 1e-6, "the default, not the slider's fallback 0"
    # Markdown source: the link's text is escaped (0\.5) before it is shown.
    assert any("reg_covar" in w.value and "0.5" in w.value.replace("\\", "") for w in at.warning)
    spelled = run_app({"reg": "0.000001", "tol": "0"})
    assert spelled.session_state["reg_covar"] == 1e-6 and spelled.session_state["tol"] == 0.0
    assert not spelled.warning


def test_the_bad_init_note_counts_the_trapped_starts():
    """Recompute the note's numbers: random-point starts trapped in 19 of 20 seeds, k-means++ in none."""
    from emviz.ui import dataset_matrix

    X = dataset_matrix("bad_init")
    finals = {init: np.array([em_core.fit_history(X, 5, init=init, seed=s).final.log_likelihood
                              for s in range(20)]) for init in ("kmeans", "random_points")}
    best = finals["kmeans"].max()
    assert np.all(finals["kmeans"] > best - 1.0)
    trapped = finals["random_points"] < best - 100
    note = DATASETS["bad_init"].note
    assert f"in {int(trapped.sum())} of the seeds 0–19" in note and "all 20 seeds" in note
    assert f"{-best:,.0f}" in note and f"{-finals['random_points'].min():,.0f}" in note
    assert f"about {np.median(best - finals['random_points'][trapped]):.0f} lower" in note


def test_the_theory_page_demonstrates_a_regularised_decrease():
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/5_Theory.py").run()
    assert not at.exception
    at.button(key="theory_regularised_demo").click().run()
    assert not at.exception
    state = at.session_state
    assert (state["dataset"], state["n_components"], state["covariance_type"], state["seed"],
            state["reg_covar"]) == ("mouse", 3, "tied", 0, 0.1)
    h = em_core.fit_history(dataset_matrix("mouse"), 3, covariance_type="tied", seed=0, reg_covar=0.1)
    assert state["step"] == h.indices_of("m_step")[0]  # the explorer opened at the first M-step


# --------------------------------------------------------------------------- watching a collapse
def test_the_collapse_data_set_runs_away_without_regularisation_and_its_note_says_by_how_much():
    from emviz.ui import dataset_matrix

    X = dataset_matrix("collapse")
    free = em_core.fit_history(X, 3, seed=0, reg_covar=0.0)
    held = em_core.fit_history(X, 3, seed=0)
    lls = free.log_likelihoods()[free.indices_of("m_step")]
    assert np.all(np.isfinite(free.log_likelihoods()[free.first_em_index:]))
    assert np.all(np.diff(lls) > 0) and lls[0] < -1_100 and lls[-1] > 2_500 and free.n_iter == 12
    collapsing = [i for i in free.indices_of("m_step") if "component_collapsing" in free[i].flags]
    assert collapsing and all(free[i].flags["component_collapsing"] == (2,) for i in collapsing)
    # The collapsing component sits on the five identical points, with a variance near 0.
    sat = free.final.means[2]
    assert np.allclose(sat, [3.5, 3.0], atol=1e-6)
    assert np.linalg.eigvalsh(free.final.covariances[2])[0] < 1e-8 * X.var(axis=0).mean()
    note = DATASETS["collapse"].note
    assert f"{held.final.log_likelihood:,.0f}".replace("-", "−") in note and "12 iterations" in note
    assert f"{free[free.first_em_index].log_likelihood:,.0f}".replace("-", "−")[:3] in note  # "about −1,1.."
    assert "K = 3 and seed 0" in note and DATASETS["collapse"].default_k == 3
    # Words and the panel name it.
    sentence = " ".join(explain.flag_sentences(free[collapsing[0]]))
    assert "collapsing onto a single point" in sentence and "K ≥ 2" in sentence
    fig = figures.loglik_figure(free, collapsing[0])
    marked = next(t for t in fig.data if (t.meta or {}).get("role") == "collapsing")
    assert list(marked.x) == collapsing


def test_the_explorer_shows_the_regularised_start_beside_a_collapse():
    at = run_app({"data": "collapse", "reg": "0.0"})
    assert not at.warning, [w.value for w in at.warning]
    at.toggle(key="show_regularised").set_value(True).run()
    assert not at.exception
    finals = {m.label: m.value for m in at.metric}
    assert finals["Final log-likelihood, reg_covar = 1e-06"] == "-1,051.8"
    assert float(finals["Final log-likelihood, reg_covar = 0"].replace(",", "")) > 2_500
    # Not offered where nothing collapses.
    calm = run_app({"data": "mouse"})
    assert not [t for t in calm.toggle if t.key == "show_regularised"]


@pytest.mark.parametrize("section", ["mixture", "latent", "m_step", "local_optima"])
def test_each_picture_is_one_click_from_the_theory_page(section):
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/5_Theory.py").run()
    at.button(key=f"theory_demo_{section}").click().run()
    assert not at.exception
    assert at.title[0].value == "EM for Gaussian mixtures, step by step"
    _, demo = theory.SECTION_DEMOS[section]
    for key, value in demo.items():
        assert at.session_state[key] == value
    if section == "local_optima":
        h = em_core.fit_history(dataset_matrix("collapse"), 3, seed=0, reg_covar=0.0)
        assert at.session_state["step"] == theory.demo_step(h)
        assert "component_collapsing" in h[theory.demo_step(h) + 4].flags  # two iterations later


def test_the_collapse_difference_note_counts_what_k_means_and_em_do():
    from emviz import compare

    h = em_core.fit_history(dataset_matrix("collapse"), 3, seed=0)
    kmeans = np.bincount(h.labels(h.indices_of("kmeans_assign")[-1]), minlength=3)
    em = np.bincount(h.labels(-1), minlength=3)
    assert sorted(kmeans)[0] == 14 and sorted(em)[0] == 5
    assert "(14 points)" in compare.DIFFERENCE_NOTES["collapse"]
    assert np.allclose(h.final.means[em.argmin()], [3.5, 3.0], atol=1e-6)


def test_the_bound_panel_explains_a_collapsed_step_instead_of_failing():
    at = run_app({"data": "collapse", "reg": "0.0"})
    free = em_core.fit_history(dataset_matrix("collapse"), 3, seed=0, reg_covar=0.0)
    at.session_state["panel"] = "Bound along θ"
    at.session_state["step"] = len(free) - 1
    at.run()
    assert not at.exception
    fig = at.get("plotly_chart")[0].proto.spec
    assert "singular" in fig and "no path to draw" in fig


def test_the_bad_start_demo_opens_the_placed_start_and_its_numbers_are_true():
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/5_Theory.py").run()
    assert any(theory.BAD_START_SENTENCE in c.value for c in at.caption)
    at.button(key="theory_bad_start").click().run()
    assert not at.exception
    assert at.session_state["init"] == "placed" and at.session_state["step"] == 0
    placed = at.session_state["placed_means"]["means"]
    assert placed == ((-1.5, 2.0), (-1.2, 2.2), (1.5, 2.0))
    X = dataset_matrix("mouse")
    bad = em_core.fit_history(X, 3, init="given", means_init=placed)
    good = em_core.fit_history(X, 3, seed=0)
    assert f"{bad.final.log_likelihood:,.1f}".replace("-", "−") in theory.BAD_START_SENTENCE
    assert f"{good.final.log_likelihood:,.1f}".replace("-", "−") in theory.BAD_START_SENTENCE
    # "the left ear has none of its own": no final mean near the left ear's centre.
    assert np.min(np.linalg.norm(bad.final.means - (-1.75, 1.7), axis=1)) > 0.5
    one_ear = em_core.fit_history(X, 3, init="given", means_init=[[-1.5, 2.0], [-1.0, 1.6], [-1.9, 1.5]])
    assert abs(one_ear.final.log_likelihood - good.final.log_likelihood) < 1.0, "all three in one ear does no harm"
