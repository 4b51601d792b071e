"""Captions, flag sentences, the point arithmetic, and the downloads."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import em_core
from emviz import explain, export


@pytest.fixture(scope="module")
def history():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal([0, 0], 1.0, (80, 2)), rng.normal([6, 1], 0.6, (60, 2)),
                   rng.normal([2, 6], [1.5, 0.4], (60, 2))])
    return em_core.fit_history(X, 3, seed=1, tol=0.0, max_iter=6)


def test_titles_name_every_kind(history):
    titles = {history[i].kind: explain.step_title(history, i) for i in reversed(range(len(history)))}
    assert titles["kmeans_assign"] == "k-means round 1 · assignment"
    assert "centroid update" in titles["kmeans_update"]
    assert titles["init"].startswith("Start of EM")
    assert titles["e_step"].endswith("E-step") and titles["m_step"].endswith("M-step")
    m_index = history.indices_of("m_step")[1]
    assert explain.step_title(history, m_index) == "Iteration 2 · M-step"


def test_captions_say_what_changed(history):
    e_index = history.indices_of("e_step")[1]
    m_index = e_index + 1
    e_caption = explain.step_caption(history, e_index)
    assert "Only the colours change" in e_caption
    assert f"{history[e_index].log_likelihood:,.2f}" in e_caption
    m_caption = explain.step_caption(history, m_index)
    assert "Only the ellipses move" in m_caption
    shift = np.linalg.norm(history[m_index].means - history[e_index].means, axis=1)
    assert f"(component {int(shift.argmax()) + 1})" in m_caption
    assert "J =" in explain.step_caption(history, 0)
    assert "seeds" in explain.step_caption(history, 0)
    assert "one M-step" in explain.step_caption(history, history.first_em_index)


def test_converged_and_degenerate_flags_become_sentences():
    X = np.zeros((20, 2))
    X[:, 0] = np.arange(20.0)  # a constant second column: covariances need reg_covar
    h = em_core.fit_history(X, 2, seed=0)
    sentences = [s for step in h for s in explain.flag_sentences(step)]
    assert any("reg_covar keeps it positive definite" in s for s in sentences)
    if h.converged:
        assert any(s.startswith("Converged") for s in explain.flag_sentences(h.final))


def test_point_arithmetic_matches_the_responsibilities(history):
    index = history.indices_of("e_step")[2]
    row = 17
    lines = explain.point_arithmetic(history, index, row)
    gamma = history.responsibilities(index)[row]
    assert lines[-1] == r"\gamma = (" + ", ".join(f"{g:.3f}" for g in gamma) + ")"
    assert len(lines) == history.n_components + 3
    assert all(r"\pi_" in line for line in lines[1:1 + history.n_components])


def test_formulas_exist_for_every_kind():
    for kind in em_core.STEP_KINDS:
        assert "\\" in explain.step_formula(kind)


def test_history_csv_and_json_contain_every_step(history):
    frame = export.history_frame(history, ["a", "b"])
    assert len(frame) == len(history) * history.n_components
    assert {"mean[a]", "mean[b]", "cov[a,b]", "log_likelihood", "kmeans_objective"} <= set(frame.columns)
    last = frame[frame.step == len(history) - 1].sort_values("component")
    np.testing.assert_allclose(last["weight"], history.final.weights)
    np.testing.assert_allclose(last["cov[a,b]"], history.final.covariances[:, 0, 1])
    payload = json.loads(export.history_json(history, ["a", "b"]))
    assert len(payload["steps"]) == len(history)
    np.testing.assert_allclose(payload["steps"][-1]["means"], history.final.means)
    assert payload["options"]["n_components"] == 3


def test_responsibilities_csv_round_trips(history):
    import io

    text = export.responsibilities_csv(history, 5, row_numbers=np.arange(len(history.X)) + 100)
    frame = pd.read_csv(io.StringIO(text))
    assert frame["row"].iloc[0] == 100
    np.testing.assert_allclose(frame.filter(like="gamma").to_numpy(), history.responsibilities(5), atol=1e-12)


def test_every_core_flag_has_words():
    assert set(explain.FLAG_TEXTS) == set(em_core.FLAG_DESCRIPTIONS)
