"""AppTest runs of the comparison and theory pages with every built-in data set.

Each page is reached the way a user reaches it: ``app.py`` is the entry point
and ``switch_page`` opens the page (only the page's script runs). Starting
``AppTest`` on the page file itself would make ``pages/`` the app root, where
``st.page_link("app.py")`` and ``st.switch_page("app.py")`` cannot resolve.
Fits are cached per process, so data sets shared between tests are fitted once.
"""

from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

import em_core
import numpy as np
from emviz import theory
from emviz.datasets import DATASETS
from emviz.ui import dataset_matrix
from pagetest import APP, open_page

KMEANS_VS_GMM = "pages/1_k-means_vs_GMM.py"
RESTARTS = "pages/2_Several_initialisations.py"
CHOOSE_K = "pages/3_Choose_K.py"
SKLEARN = "pages/4_Check_against_scikit-learn.py"
THEORY = "pages/5_Theory.py"
ALL_DATA = list(DATASETS)


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


@pytest.mark.parametrize("dataset", ALL_DATA)
def test_kmeans_vs_gmm(dataset):
    at = open_page(KMEANS_VS_GMM, dataset)
    labels = [m.label for m in at.metric]
    assert labels[:3] == ["ARI k-means vs GMM", "ARI k-means vs true labels", "ARI GMM vs true labels"]
    assert labels[3:] == ["ARI soft vs k-means", "Mean max γ", "J of the soft fit", "Log-likelihood"]
    assert all(-1.0 <= float(m.value) <= 1.0 for m in at.metric[:4])
    assert charts(at) == 4  # the two steps, then soft EM at σ beside k-means
    assert len(at.dataframe) == 2  # one confusion table per method
    assert [s.label for s in at.main.select_slider] == ["k-means step", "EM step",
                                                        "σ, as a multiple of the data's spread"]
    if dataset == "mouse":
        # EM recovers the head and ears far better than k-means (the page's whole point).
        ari = {m.label: float(m.value) for m in at.metric[:3]}
        assert ari["ARI GMM vs true labels"] > ari["ARI k-means vs true labels"] + 0.3
        assert "cuts the top off the head" in at.info[0].value


@pytest.mark.parametrize("dataset", ["mouse", "blobs", "iris"])
def test_the_sigma_slider_hardens_soft_em_into_k_means(dataset):
    at = open_page(KMEANS_VS_GMM, dataset)
    metrics = lambda: {m.label: m.value for m in at.metric}  # noqa: E731
    at.main.select_slider(key="kvg_sigma").set_value(2.0).run()
    wide = metrics()
    assert float(wide["Mean max γ"]) < 0.9 and "wider than the data" in at.info[-1].value
    assert f"largest responsibility is {wide['Mean max γ']} on average" in at.info[-1].value
    at.main.select_slider(key="kvg_sigma").set_value(0.01).run()
    assert not at.exception
    narrow = metrics()
    assert narrow["ARI soft vs k-means"] == "1.000" and narrow["Mean max γ"] == "1.000"
    assert "is exactly k-means" in at.info[-1].value and "the same partition as k-means" in at.info[-1].value
    # The soft fit's J equals k-means' J to the digits shown: the same partition, the same means.
    assert at.metric[5].proto.delta in ("+0.0 vs k-means", "-0.0 vs k-means")


def test_kmeans_vs_gmm_scrubs_to_first_kmeans_step():
    at = open_page(KMEANS_VS_GMM, "blobs")
    slider = at.main.select_slider[0]
    slider.set_value(0).run()
    assert not at.exception
    assert at.main.select_slider[0].value == 0
    assert charts(at) == 4


@pytest.mark.parametrize("dataset", ALL_DATA)
def test_several_initialisations(dataset):
    runs = 10 if dataset == "bad_init" else 3
    at = open_page(RESTARTS, dataset, restarts_n=runs)
    table = at.dataframe[0].value
    assert len(table) == runs
    assert table["best"].sum() == 1
    assert table.loc[table["best"], "log-likelihood"].iloc[0] == table["log-likelihood"].max()
    assert charts(at) == 2  # the runs chart and the picked run's picture
    assert [m.label for m in at.metric] == ["Final log-likelihood"]
    if dataset == "bad_init":
        # The default settings must show the trap: at least two different optima.
        assert table["optimum"].nunique() >= 2
        assert "different partition" in at.warning[0].value


def test_several_initialisations_opens_the_explorer_with_the_run():
    at = open_page(RESTARTS, "bad_init", restarts_n=6)
    pick = next(box for box in at.selectbox if box.label == "Run")
    pick.set_value(5).run()  # run 5: k-means, seed 4
    at.button(key="restarts_open").click().run()
    assert not at.exception
    assert at.session_state["seed"] == 4 and at.session_state["init"] == "kmeans"
    assert at.title[0].value == "EM for Gaussian mixtures, step by step"  # the explorer


@pytest.mark.parametrize("dataset", ALL_DATA)
def test_choose_k(dataset):
    at = open_page(CHOOSE_K, dataset, choosek_kmax=3)
    grid = at.dataframe[0].value
    assert len(grid) == 3 * 4
    assert "Lowest BIC" in at.success[0].value
    assert charts(at) == 2  # the criteria and the chosen model's picture


def test_choose_k_mouse_picks_three():
    at = open_page(CHOOSE_K, "mouse", choosek_kmax=4, choosek_types=["full"])
    assert "K = 3, full" in at.success[0].value


@pytest.mark.parametrize("dataset", ALL_DATA)
def test_check_against_sklearn(dataset):
    at = open_page(SKLEARN, dataset)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["ARI between the labelings"] == "1.0000"
    ours, theirs = metrics["EM iterations"].split(" / ")
    assert ours == theirs
    assert metrics["Log-likelihood, ours"] == metrics["Log-likelihood, scikit-learn"]
    assert "agreement to rounding error" in at.success[0].value
    assert len(at.dataframe) == 4  # summary, weights, means, covariances


@pytest.mark.parametrize("dataset", ALL_DATA)
def test_theory(dataset):
    at = open_page(THEORY, dataset)
    assert [h.anchor for h in at.main.header][:8] == [s.key for s in theory.SECTIONS]
    assert len(at.main.header) == 8
    assert len(at.latex) >= 15
    assert len(at.dataframe) == 1  # the bound table
    gaps = at.dataframe[0].value
    e_steps = gaps["what"].str.endswith("E-step")
    assert (gaps.loc[e_steps, "gap"].abs() < 1e-6 * gaps["log-likelihood"].abs().max()).all()
    assert charts(at) >= 5
    assert "never went down" in at.success[0].value


def test_theory_button_opens_the_explorer_at_the_step():
    at = open_page(THEORY, "mouse", init="random_points")
    at.button(key="theory_open_kmeans").click().run()
    assert not at.exception
    assert at.session_state["init"] == "kmeans"
    assert at.session_state["step"] == 2  # the second k-means assignment


@pytest.mark.parametrize("page", [KMEANS_VS_GMM, RESTARTS, CHOOSE_K, SKLEARN, THEORY])
def test_pages_without_usable_data_explain_instead_of_failing(page):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["upload_bytes"] = b"name,colour\nab,red\ncd,blue\n"
    at.session_state["upload_name"] = "words.csv"
    at.session_state["dataset"] = "upload"
    at.switch_page(page).run()
    assert not at.exception
    assert any("Pick a built-in data set" in info.value for info in at.info)


@pytest.mark.parametrize("page", [KMEANS_VS_GMM, RESTARTS, CHOOSE_K, SKLEARN, THEORY])
def test_pages_in_lecture_mode(page):
    at = open_page(page, "blobs", lecture=True, restarts_n=2, choosek_kmax=2)
    assert at.toggle(key="w_lecture").value is True


@pytest.mark.parametrize("dataset", ["mouse", "bimodal_1d", "iris"])
def test_covariance_types_side_by_side(dataset):
    at = open_page("pages/6_Covariance_types.py", dataset)
    assert charts(at) == 4
    texts = " ".join(m.value for m in at.markdown)
    for covariance_type in ("full", "tied", "diag", "spherical"):
        h = em_core.fit_history(dataset_matrix(dataset), DATASETS[dataset].default_k, covariance_type=covariance_type,
                                seed=0)
        p = em_core.n_parameters(h.n_components, h.n_features, covariance_type)
        bic = -2 * h.final.log_likelihood + p * np.log(h.n_samples)
        assert f"log-likelihood **{h.final.log_likelihood:,.1f}** · BIC **{bic:,.1f}** · p = **{p}**" in texts
    at.button(key="covtypes_open_tied").click().run()
    assert at.session_state["covariance_type"] == "tied"
    assert at.title[0].value == "EM for Gaussian mixtures, step by step"


def test_the_covariance_types_count_their_parameters_as_scikit_learn_does():
    from sklearn.mixture import GaussianMixture

    for covariance_type in ("full", "tied", "diag", "spherical"):
        model = GaussianMixture(3, covariance_type=covariance_type)
        model.means_ = np.zeros((3, 4))
        assert em_core.n_parameters(3, 4, covariance_type) == model._n_parameters()
