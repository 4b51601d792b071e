"""Tests for the comparison pages' pure builders: emviz.compare and emviz.sklearn_check."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import em_core
from emviz import compare
from emviz.datasets import DATASETS, load_dataset


def _data(key: str):
    info = DATASETS[key]
    frame = load_dataset(key)
    return frame[list(info.feature_columns)].to_numpy(dtype=float), frame[info.label_column].astype(str).to_numpy()


@pytest.fixture(scope="module")
def blobs():
    return _data("blobs")


@pytest.fixture(scope="module")
def blobs_history(blobs):
    return em_core.fit_history(blobs[0], 4, seed=0)


# k-means vs GMM ---------------------------------------------------------------

def test_confusion_frame_hand_case():
    truth = np.array(["a", "a", "a", "b", "b", "c", "c", "c"])
    predicted = np.array([2, 2, 0, 0, 0, 1, 1, 1])  # 2 -> a, 0 -> b, 1 -> c; one "a" point wrong
    frame, accuracy = compare.confusion_frame(predicted, truth)
    assert list(frame.columns) == ["a", "b", "c"]
    assert list(frame.index) == ["cluster 3 → a", "cluster 1 → b", "cluster 2 → c"]
    np.testing.assert_array_equal(frame.to_numpy(), [[2, 0, 0], [1, 2, 0], [0, 0, 3]])
    assert accuracy == pytest.approx(7 / 8)
    assert frame.to_numpy().sum() == truth.size


def test_confusion_frame_more_clusters_than_classes():
    truth = np.array(["x", "x", "y", "y", "y"])
    predicted = np.array([0, 0, 1, 1, 2])
    frame, accuracy = compare.confusion_frame(predicted, truth, name="k-means")
    assert list(frame.index) == ["k-means 1 → x", "k-means 2 → y", "k-means 3 (unmatched)"]
    assert accuracy == pytest.approx(4 / 5)
    assert frame.index.name == "k-means"


def test_confusion_frame_accepts_object_string_labels():
    # ui.data_sidebar hands over pandas' astype(str).to_numpy(): an object array of str.
    truth = np.array(["a", "b", "b"], dtype=object)
    frame, accuracy = compare.confusion_frame(np.array([1, 0, 0]), truth)
    assert list(frame.columns) == ["a", "b"] and accuracy == 1.0


def test_confusion_frame_agrees_with_match_labels(blobs, blobs_history):
    X, truth = blobs
    labels = blobs_history.labels(-1)
    mapping, table, _, _ = em_core.match_labels(labels, truth.astype(str))
    frame, accuracy = compare.confusion_frame(labels, truth)
    assert frame.to_numpy().sum() == X.shape[0]
    assert np.trace(frame.to_numpy()) == pytest.approx(accuracy * X.shape[0])
    assert accuracy == pytest.approx(1.0)  # the blobs are separate
    assert len(mapping) == 4


def test_agreement_table_rows():
    a = np.array([0, 0, 1, 1])
    b = np.array([1, 1, 0, 0])
    assert compare.agreement_table(a, b)["ARI"].tolist() == [pytest.approx(1.0)]
    table = compare.agreement_table(a, b, truth=np.array(["u", "v", "u", "v"]))
    assert table["comparison"].tolist() == ["k-means vs GMM", "k-means vs true labels", "GMM vs true labels"]
    assert table["ARI"].iloc[1] == pytest.approx(em_core.adjusted_rand_index(a, ["u", "v", "u", "v"]))


def test_step_indices_split_the_history(blobs_history):
    kmeans = compare.kmeans_step_indices(blobs_history)
    em = compare.em_step_indices(blobs_history)
    assert kmeans and em[0] == blobs_history.first_em_index
    assert kmeans + em == list(range(len(blobs_history)))
    assert all(blobs_history[i].is_kmeans for i in kmeans)


def test_every_builtin_set_has_a_difference_note():
    for key in DATASETS:
        assert compare.why_they_differ(key) == compare.DIFFERENCE_NOTES[key]
    assert "k-means" in compare.why_they_differ("upload")


# Several initialisations --------------------------------------------------------

def test_restart_plan_alternates_methods():
    assert compare.restart_plan(4, ["kmeans", "random_points"], 5) == [
        (5, "kmeans"), (6, "random_points"), (7, "kmeans"), (8, "random_points")]
    with pytest.raises(ValueError):
        compare.restart_plan(3, [])


def test_restarts_table_marks_the_best_and_finds_two_optima_on_bad_init():
    X, _ = _data("bad_init")
    plan = compare.restart_plan(10, ["kmeans", "random_points"])
    runs = [(seed, init, em_core.fit_history(X, 5, init=init, seed=seed)) for seed, init in plan]
    table = compare.restarts_table(runs)
    assert table["best"].sum() == 1
    best = table[table["best"]].iloc[0]
    assert best["log_likelihood"] == pytest.approx(max(h.final.log_likelihood for _, _, h in runs))
    assert best["optimum"] == "A"
    assert table["optimum"].nunique() >= 2  # the page's defaults must show the trap
    assert table["run"].tolist() == list(range(1, 11))
    assert table["iterations"].tolist() == [h.n_iter for _, _, h in runs]
    np.testing.assert_allclose(table["per_point"], table["log_likelihood"] / X.shape[0])
    # Optima are named by rank: A has the highest log-likelihood of all its runs.
    per_optimum = table.groupby("optimum")["log_likelihood"].max().sort_index()
    assert per_optimum.is_monotonic_decreasing
    fig = compare.restarts_figure(table)
    assert isinstance(fig, go.Figure)
    assert any(trace.name == "best run" for trace in fig.data)


def test_group_optima_same_partition_same_group(blobs):
    X, _ = blobs
    histories = [em_core.fit_history(X, 4, seed=s) for s in (0, 2, 4)]  # seeds that find the four blobs
    assert compare.group_optima(histories) == [0, 0, 0]
    # A start that traps EM: one mean between two blobs, two means inside a third blob.
    _, labels = blobs
    centres = np.array([X[labels == c].mean(axis=0) for c in np.unique(labels)])
    spread = X[labels == np.unique(labels)[2]].std(axis=0)
    means = np.array([(centres[0] + centres[1]) / 2, centres[2] - spread, centres[2] + spread, centres[3]])
    trapped = em_core.fit_history(X, 4, init="given", weights_init=np.full(4, 0.25), means_init=means,
                                  covariances_init=np.stack([0.3 * np.eye(2)] * 4))
    assert compare.group_optima(histories + [trapped]) == [0, 0, 0, 1]


# Choosing K ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mouse_grid():
    X, _ = _data("mouse")
    histories = {(cov, k): em_core.fit_history(X, k, covariance_type=cov, seed=0)
                 for cov in ("full", "spherical", "diag", "tied") for k in range(1, 5)}
    return X, histories, compare.criteria_grid(histories)


def test_criteria_grid_matches_model_bic_aic(mouse_grid):
    X, histories, grid = mouse_grid
    assert len(grid) == 16
    assert grid["covariance_type"].unique().tolist() == ["full", "spherical", "diag", "tied"]
    for row in grid.itertuples():
        model = histories[(row.covariance_type, row.K)].model()
        assert row.BIC == pytest.approx(model.bic(X), rel=1e-10)
        assert row.AIC == pytest.approx(model.aic(X), rel=1e-10)
        assert row.n_parameters == model.n_parameters()


def test_criteria_grid_matches_sklearn(mouse_grid):
    from sklearn.mixture import GaussianMixture
    from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

    X, histories, grid = mouse_grid
    for row in grid.itertuples():
        history = histories[(row.covariance_type, row.K)]
        final = history.final
        gm = GaussianMixture(n_components=row.K, covariance_type=row.covariance_type)
        gm.weights_, gm.means_ = np.asarray(final.weights), np.asarray(final.means)
        gm.covariances_ = np.asarray(final.covariances)
        gm.precisions_cholesky_ = _compute_precision_cholesky(gm.covariances_, row.covariance_type)
        assert row.BIC == pytest.approx(gm.bic(X), rel=1e-9)
        assert row.AIC == pytest.approx(gm.aic(X), rel=1e-9)


def test_best_model_and_figure(mouse_grid):
    _, _, grid = mouse_grid
    best = compare.best_model(grid, "BIC")
    assert best["BIC"] == grid["BIC"].min()
    assert compare.best_model(grid, "AIC")["AIC"] == grid["AIC"].min()
    assert best["K"] == 3  # head and two ears
    with pytest.raises(ValueError):
        compare.best_model(grid, "ICL")
    fig = compare.criteria_figure(grid)
    stars = [trace for trace in fig.data if trace.name and trace.name.startswith("lowest")]
    assert [trace.name for trace in stars] == ["lowest BIC", "lowest AIC"]
    assert stars[0].y[0] == pytest.approx(grid["BIC"].min())


# Check against scikit-learn ------------------------------------------------------------

@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_sklearn_check_agrees_on_blobs(blobs, covariance_type):
    from emviz import sklearn_check

    X, _ = blobs
    history = em_core.fit_history(X, 4, covariance_type=covariance_type, seed=1, tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the helper must silence sklearn's ConvergenceWarning itself
        model = sklearn_check.fit_sklearn_like(history)
    result = sklearn_check.compare_with_sklearn(history, model, ("x", "y"))
    assert result.iterations_sklearn == result.iterations_ours == history.n_iter
    assert result.summary["max_rel_diff"].max() < 1e-9
    assert result.log_likelihood_sklearn == pytest.approx(result.log_likelihood_ours, rel=1e-12)
    assert result.ari == pytest.approx(1.0)
    assert sorted(result.order.tolist()) == [0, 1, 2, 3]
    assert result.summary["quantity"].tolist() == ["weights", "means", "covariances", "log-likelihood"]
    assert np.abs(result.means["difference"]).max() < 1e-9
    assert len(result.means) == 8


def test_sklearn_check_from_random_start_on_mouse():
    from emviz import sklearn_check

    X, _ = _data("mouse")
    history = em_core.fit_history(X, 3, init="random_points", seed=3, max_iter=30, tol=0.0)
    result = sklearn_check.compare_with_sklearn(history, sklearn_check.fit_sklearn_like(history))
    assert history.n_iter == 30
    assert result.summary["max_rel_diff"].max() < 1e-8


def test_precisions_are_inverse_covariances():
    from emviz.sklearn_check import precisions_of

    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 2, 2))
    full = a @ np.swapaxes(a, 1, 2) + np.eye(2)
    np.testing.assert_allclose(precisions_of(full, "full") @ full, np.broadcast_to(np.eye(2), (3, 2, 2)),
                               atol=1e-12)
    np.testing.assert_allclose(precisions_of(full[0], "tied") @ full[0], np.eye(2), atol=1e-12)
    np.testing.assert_allclose(precisions_of(np.array([2.0, 4.0]), "spherical"), [0.5, 0.25])


def test_em_core_never_imports_sklearn():
    import pathlib

    root = pathlib.Path(compare.__file__).resolve().parent.parent
    for path in (root / "em_core").glob("*.py"):
        assert "sklearn" not in path.read_text(), path
    assert "streamlit" not in (root / "emviz" / "compare.py").read_text()
    assert "streamlit" not in (root / "emviz" / "sklearn_check.py").read_text()


def test_frames_are_dataframes(blobs, blobs_history):
    X, truth = blobs
    assert isinstance(compare.agreement_table(blobs_history.labels(0), blobs_history.labels(-1), truth),
                      pd.DataFrame)


# Theory page numbers ------------------------------------------------------------------------

def test_theory_illustrating_steps():
    from emviz import theory

    X, _ = _data("mouse")
    history = em_core.fit_history(X, 3, seed=0)
    assign, update = theory.illustrating_steps(history, ("kmeans_assign", "kmeans_update"))
    assert history[assign].kind == "kmeans_assign" and history[assign].iteration == 2
    assert history[update].kind == "kmeans_update" and update == assign + 1
    first_e, first_m, final = theory.illustrating_steps(history, ("first_e", "first_m", "final"))
    assert (history[first_e].kind, history[first_m].kind, final) == ("e_step", "m_step", len(history) - 1)
    no_kmeans = em_core.fit_history(X, 3, init="random_points", seed=0)
    assert theory.illustrating_steps(no_kmeans, ("kmeans_assign", "kmeans_update", "first_e")) == [
        no_kmeans.indices_of("e_step")[0]]


def test_theory_bound_table_is_tight_after_e_steps():
    from emviz import theory

    X, _ = _data("unequal")
    history = em_core.fit_history(X, 2, seed=0)
    table = theory.bound_table(history, max_rows=7)
    assert len(table) == 7 and table["what"].iloc[0] == "start"
    assert table["step"].iloc[0] == history.first_em_index
    e_rows = table["what"].str.endswith("E-step")
    assert e_rows.sum() == 3
    assert np.allclose(table.loc[e_rows, "gap"], 0.0, atol=1e-6)
    assert (table["gap"] >= -1e-6).all()  # Jensen: the bound never exceeds the log-likelihood


def test_theory_monotonicity_and_sections():
    from emviz import theory

    X, _ = _data("mouse")
    history = em_core.fit_history(X, 3, seed=0)
    smallest, decreases = theory.monotonicity(history)
    assert decreases == 0 and smallest >= 0
    assert len({s.key for s in theory.SECTIONS}) == len(theory.SECTIONS) == 8
    for section in theory.SECTIONS:
        assert section.formulas and section.intro
        assert section.steps or section.page or section.key == "monotone"
