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
    assert any("keeps it positive definite" in s for s in sentences)
    if h.converged:
        assert any(s.startswith("Converged") for s in explain.flag_sentences(h.final))


def test_point_arithmetic_matches_the_responsibilities(history):
    index = history.indices_of("e_step")[2]
    row = 17
    [(heading, lines)] = explain.point_arithmetic(history, index, row)
    gamma = history.responsibilities(index)[row]
    assert lines[-1] == r"\gamma = (" + ", ".join(f"{g:.3f}" for g in gamma) + ")"
    assert len(lines) == history.n_components + 3
    assert all(r"\pi_" in line for line in lines[1:1 + history.n_components])


def _gamma_of(line: str) -> np.ndarray:
    return np.array([float(v) for v in line.split("(")[1].rstrip(")").split(", ")])


@pytest.mark.parametrize("kind", ["init", "m_step"])
def test_point_arithmetic_shows_the_gamma_the_colours_show(history, kind):
    """At an M-step and at init the first γ is the one in force (the colours), not the new parameters' γ."""
    # Random responsibilities: early steps move γ a lot, so the two γ differ visibly.
    history = em_core.fit_history(history.X, 3, init="random_resp", seed=1, tol=0.0, max_iter=2)
    index = history.first_em_index if kind == "init" else history.indices_of("m_step")[0]
    for row in range(history.n_samples):
        blocks = explain.point_arithmetic(history, index, row)
        assert len(blocks) == 2 and "in force" in blocks[0][0] and "next E-step" in blocks[1][0]
        np.testing.assert_allclose(_gamma_of(blocks[0][1][-1]), history.responsibilities(index)[row], atol=5e-4)
        # The second block is the following E-step's γ, computed from this step's parameters.
        np.testing.assert_allclose(_gamma_of(blocks[1][1][-1]), history.responsibilities(index + 1)[row], atol=5e-4)
    # The two differ for some point here (otherwise this test could not tell them apart).
    gaps = np.abs(history.responsibilities(index) - history.responsibilities(index + 1)).max()
    assert gaps > 0.01


def _scatter(X, resp, means):
    diff = X[None, :, :] - means[:, None, :]
    return np.einsum("nk,kni,knj->kij", resp, diff, diff)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_the_m_step_formula_shown_is_the_one_the_code_uses(covariance_type):
    """Recompute every covariance from the formula the maths expander shows for its type."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal([0, 0, 0], 1.0, (60, 3)), rng.normal([4, 1, -2], [0.5, 1.5, 1.0], (60, 3))])
    reg = 0.01
    h = em_core.fit_history(X, 2, covariance_type=covariance_type, seed=0, max_iter=3, tol=0, reg_covar=reg)
    index = h.indices_of("m_step")[1]
    latex = explain.step_formulas(h, index)
    assert latex == explain.m_step_latex(covariance_type)
    assert r"\varepsilon" in latex[1]
    resp, step = h.responsibilities(index), h[index]
    counts = resp.sum(axis=0)
    np.testing.assert_allclose(step.means, (resp.T @ X) / counts[:, None], rtol=1e-10)
    S = _scatter(X, resp, step.means)
    d, N = X.shape[1], X.shape[0]
    expected = {
        "full": lambda: S / counts[:, None, None] + reg * np.eye(d),  # Σ_k = S_k / N_k + εI
        "tied": lambda: S.sum(axis=0) / N + reg * np.eye(d),  # Σ = (1/N) Σ_k S_k + εI
        "diag": lambda: np.diagonal(S, axis1=1, axis2=2) / counts[:, None] + reg,  # diag of the full one
        "spherical": lambda: np.trace(S, axis1=1, axis2=2) / (d * counts) + reg,  # σ² = Σγ‖x − μ‖² / (d N_k) + ε
    }[covariance_type]()
    np.testing.assert_allclose(step.covariances, expected, rtol=1e-9)
    assert {"full": r"\frac{1}{N_k}", "tied": r"\frac{1}{N}\sum_k", "diag": r"\operatorname{diag}",
            "spherical": r"\frac{1}{d\,N_k}"}[covariance_type] in latex[1]


@pytest.mark.parametrize("init", ["kmeans", "kmeans++", "random_resp", "random_points", "given"])
def test_the_init_step_says_what_the_init_did(init):
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(5, 1, (40, 2))])
    extra = {}
    if init == "given":
        extra = dict(weights_init=[0.3, 0.7], means_init=[[0, 0], [5, 5]], covariances_init=np.stack([np.eye(2)] * 2))
    h = em_core.fit_history(X, 2, init=init, seed=0, max_iter=2, **extra)
    index = h.first_em_index
    latex = " ".join(explain.step_formulas(h, index))
    numbers = explain.m_step_numbers(h, index)
    if init in ("kmeans", "kmeans++", "random_resp"):
        assert "M-step" in latex and r"\gamma_{nk}" in latex and "N_k" in numbers
    elif init == "random_points":
        # Means are data rows, Σ the data's covariance: no M-step formula, weights set to 1/K.
        assert r"x_{n_k}" in latex and r"\bar{x}" in latex and "N_k" not in latex and "N_k" not in numbers
        S = np.cov(X.T, bias=True) + 1e-6 * np.eye(2)
        np.testing.assert_allclose(h[index].covariances, np.stack([S, S]), rtol=1e-10)
        assert all(any(np.allclose(m, x) for x in X) for m in h[index].means)
    else:
        assert "as placed (given)" in latex and "N_k" not in numbers and "0.300, 0.700" in numbers


def test_formulas_exist_for_every_kind(history):
    for index in range(len(history)):
        assert all("\\" in line for line in explain.step_formulas(history, index))
    kinds = {history[i].kind: explain.step_formulas(history, i) for i in range(len(history))}
    assert kinds.keys() == set(em_core.STEP_KINDS)
    assert "z_{nk}" in kinds["kmeans_assign"][0] and r"\mu_k" in kinds["kmeans_update"][0]


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


def test_flag_levels_come_from_the_table_not_the_wording():
    assert {level for _, _, level in explain.FLAG_TEXTS.values()} == {"success", "warning"}
    step = em_core.fit_history(np.arange(40.0).reshape(20, 2) % 7, 2, seed=0)
    for s in step:
        for (level, sentence), name in zip(explain.flag_notices(s), s.flags):
            assert level == explain.FLAG_TEXTS[name][2]
    # "Nearly empty" (N_k < 1) and "collapsing onto a point" (a variance shrinking to 0) are two words.
    assert "collapse" not in explain.FLAG_TEXTS["component_nearly_empty"][0]
    assert "collapse" not in explain.FLAG_TEXTS["component_nearly_empty"][1]
