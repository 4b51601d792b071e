"""Every sentence the comparison pages teach is true (issue 15): each claim recomputed.

The words are read from the running pages (AppTest, reached through ``app.py``
as in ``tests/test_pages_apptest.py``) or from the module that holds them, and
the facts they state are recomputed independently: EM histories for the
claims about EM, scipy's ``linear_sum_assignment`` for the Hungarian matching,
scikit-learn for the parameter counts, log-likelihoods and adjusted Rand
indices the pages print.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2, norm
from streamlit.testing.v1 import AppTest

import em_core
from emviz import compare
from emviz.datasets import DATASETS, load_dataset
from emviz.ellipse_levels import DEFAULT_LEVEL_KIND, ELLIPSE_LEVELS
from emviz.fitting import FitOptions
from pagetest import open_page

KMEANS_VS_GMM = "pages/1_k-means_vs_GMM.py"
RESTARTS = "pages/2_Several_initialisations.py"
CHOOSE_K = "pages/3_Choose_K.py"

# The sidebar's defaults (FitOptions' fields but hand edits; K is the data set's): every page fits with these unless told otherwise.
DEFAULTS = {f.name: f.default for f in fields(FitOptions) if f.name not in ("n_components", "edits")}


def _data(key: str):
    info = DATASETS[key]
    frame = load_dataset(key)
    return frame[list(info.feature_columns)].to_numpy(dtype=float), frame[info.label_column].astype(str).to_numpy()


def _texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def _em_log_likelihoods(history: em_core.History) -> np.ndarray:
    values = history.log_likelihoods()[history.first_em_index:]
    return values[~np.isnan(values)]


@pytest.fixture(scope="module")
def kmeans_vs_gmm_page():
    return open_page(KMEANS_VS_GMM, "mouse")


# Statement 1: EM does not "only ever climb" -----------------------------------------------------

def test_regularised_em_can_lower_the_likelihood_and_unregularised_cannot():
    X, _ = _data("mouse")
    # With reg_covar > 0 the M-step's covariance is not the bound's maximiser: the likelihood falls.
    regularised = em_core.fit_history(X, 3, covariance_type="tied", seed=0, reg_covar=0.1)
    steps = np.diff(_em_log_likelihoods(regularised))
    assert steps.min() < -1.0
    # Without it, no iteration lowers the log-likelihood (up to rounding).
    plain = em_core.fit_history(X, 3, covariance_type="tied", seed=0, reg_covar=0.0, tol=0.0, max_iter=40)
    lls = _em_log_likelihoods(plain)
    assert np.diff(lls).min() >= -1e-9 * np.abs(lls).max()


def test_several_initialisations_says_when_em_climbs():
    at = open_page(RESTARTS, "blobs", restarts_n=2)
    intro = at.markdown[0].value
    assert "only ever climbs" not in intro and "nearest peak" not in intro
    assert intro.startswith("Without regularisation (`reg_covar` = 0) no EM iteration can lower the "
                            "log-likelihood; with `reg_covar` > 0 the M-step's Σ = S/Nₖ + εI is not the "
                            "maximiser of the lower bound, and the likelihood can fall.")
    assert ("a stationary point of the likelihood (a local maximum or, rarely, a saddle) of the basin it "
            "starts in, not necessarily the highest one") in intro


# Statement 4: the EM slider's help says what the ellipses enclose -------------------------------

def test_level_sentence_states_the_drawn_masses_and_radii():
    levels = ELLIPSE_LEVELS[DEFAULT_LEVEL_KIND]
    masses = [norm.cdf(s) - norm.cdf(-s) for s in levels.values]  # the 1-D masses within 1, 2, 3 sigma
    radii = [np.sqrt(chi2.ppf(m, df=2)) for m in masses]           # their 2-D Mahalanobis radii
    np.testing.assert_allclose(levels.masses, masses, rtol=1e-12)
    np.testing.assert_allclose(levels.radii, radii, rtol=1e-9)
    assert levels.sentence.startswith("ellipses enclose 68.3 %, 95.4 % and 99.7 % of each component's "
                                      "probability mass (Mahalanobis radii 1.52, 2.49, 3.44")


def test_em_slider_help_comes_from_the_level_table(kmeans_vs_gmm_page):
    help_text = kmeans_vs_gmm_page.main.select_slider[1].help
    assert help_text.endswith(f"coloured by their responsibilities; {ELLIPSE_LEVELS[DEFAULT_LEVEL_KIND].sentence}.")
    assert "1σ, 2σ and 3σ" not in help_text


# Statement 9: the Hungarian matching, said as it is ---------------------------------------------

def test_matching_is_the_one_to_one_optimum_not_the_largest_overlap():
    # Cluster 0 overlaps class "a" most (5 > 4), but cluster 1 overlaps only "a":
    # one-to-one, the total is largest with 0 -> b, 1 -> a (4 + 4 = 8, not 5 + 0 = 5).
    predicted = np.array([0] * 9 + [1] * 4)
    truth = np.array(["a"] * 5 + ["b"] * 4 + ["a"] * 4)
    table, _, classes = em_core.contingency_table(predicted, truth)
    greedy = {cluster: classes[int(np.argmax(table[cluster]))] for cluster in (0, 1)}
    assert greedy == {0: "a", 1: "a"}  # "the class it overlaps most" is not even one-to-one
    rows, cols = linear_sum_assignment(table, maximize=True)
    oracle_total = int(table[rows, cols].sum())
    frame, accuracy = compare.confusion_frame(predicted, truth)
    assert list(frame.index) == ["cluster 2 → a", "cluster 1 → b"]
    assert int(np.trace(frame.to_numpy())) == oracle_total == 8
    assert accuracy == pytest.approx(8 / 13)
    assert "one-to-one" in compare.confusion_frame.__doc__


def test_kmeans_vs_gmm_page_describes_the_matching(kmeans_vs_gmm_page):
    text = _texts(kmeans_vs_gmm_page)
    assert "overlaps most (Hungarian" not in text
    assert ("Clusters are matched to classes one-to-one so that the total of the matched counts is as large as "
            "possible (Hungarian algorithm); a cluster need not get the class it overlaps most.") in text


def test_kmeans_vs_gmm_ari_matches_sklearn(kmeans_vs_gmm_page):
    from sklearn.metrics import adjusted_rand_score

    X, truth = _data("mouse")
    history = em_core.fit_history(X, DATASETS["mouse"].default_k, **DEFAULTS)
    kmeans_labels, gmm_labels = history.labels(compare.kmeans_step_indices(history)[-1]), history.labels(-1)
    shown = {m.label: m.value for m in kmeans_vs_gmm_page.metric if m.label.startswith("ARI ")}
    shown.pop("ARI soft vs k-means")  # the σ slider's, recomputed in tests/test_kmeans_limit.py
    assert shown == {
        "ARI k-means vs GMM": f"{adjusted_rand_score(kmeans_labels, gmm_labels):.3f}",
        "ARI k-means vs true labels": f"{adjusted_rand_score(truth, kmeans_labels):.3f}",
        "ARI GMM vs true labels": f"{adjusted_rand_score(truth, gmm_labels):.3f}",
    }


# Statement 6: more components do not always fit better from one start ---------------------------

@pytest.fixture(scope="module")
def anisotropic_tied():
    X, _ = _data("anisotropic")
    options = {**DEFAULTS, "covariance_type": "tied"}
    histories = {("tied", k): em_core.fit_history(X, k, **options) for k in range(1, 5)}
    return X, histories, compare.criteria_grid(histories)


def test_criteria_grid_marks_a_fit_below_fewer_components(anisotropic_tied):
    _, _, grid = anisotropic_tied
    assert grid["log_likelihood"].round(1).tolist()[2:] == [-1494.6, -1623.4]  # the page's own decrease
    assert grid["worse_than_fewer"].tolist() == [False, False, False, True]
    assert grid["note"].tolist() == ["", "", "", "below K = 3 (-1,494.6), a worse local optimum: try more starts"]
    fig = compare.criteria_figure(grid)
    crosses = [trace for trace in fig.data if trace.name == compare.WORSE_OPTIMUM]
    assert len(crosses) == 2  # one per criterion panel
    assert [list(trace.x) for trace in crosses] == [[4], [4]]
    assert crosses[0].y[0] == pytest.approx(grid["BIC"].iloc[3])


def test_criteria_grid_does_not_mark_equal_fits():
    X, _ = _data("blobs")
    one = em_core.fit_history(X, 1, **DEFAULTS)
    grid = compare.criteria_grid({("full", 1): one, ("full", 2): one, ("spherical", 2): one})
    assert not grid["worse_than_fewer"].any() and (grid["note"] == "").all()


def test_choose_k_page_says_what_is_true_and_marks_the_cell(anisotropic_tied):
    from sklearn.mixture import GaussianMixture
    from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

    X, histories, _ = anisotropic_tied
    at = open_page(CHOOSE_K, "anisotropic", choosek_kmax=4, choosek_types=["tied"])
    intro = at.markdown[0].value
    assert "always fit the data better" not in intro
    assert intro.startswith("The best log-likelihood a mixture can reach never falls as K grows")
    assert "EM from one start need not reach that best fit" in intro
    table = at.dataframe[0].value
    assert table["note"].tolist() == ["", "", "", "below K = 3 (-1,494.6), a worse local optimum: try more starts"]
    assert any(c.value.startswith("Marked fits ended below a fit with fewer components") for c in at.caption)
    # The parameter counts and log-likelihoods the table states, recomputed by scikit-learn.
    for row in table.to_dict("records"):
        final = histories[("tied", row["K"])].final
        gm = GaussianMixture(n_components=row["K"], covariance_type="tied")
        gm.weights_, gm.means_ = np.asarray(final.weights), np.asarray(final.means)
        gm.covariances_ = np.asarray(final.covariances)
        gm.precisions_cholesky_ = _compute_precision_cholesky(gm.covariances_, "tied")
        assert row["parameters p"] == gm._n_parameters()
        assert row["log-likelihood"] == pytest.approx(gm.score(X) * X.shape[0], rel=1e-10)


# Statement 8: the overlapping set's points each came from one cluster ---------------------------

def test_overlapping_note_states_the_share_of_uncertain_points():
    info = DATASETS["overlapping"]
    X, _ = _data("overlapping")
    history = em_core.fit_history(X, info.default_k, **DEFAULTS)  # the app's default fit of this set
    gamma = np.asarray(history.responsibilities(-1))[:, 0]        # the γ the final picture shows
    n = X.shape[0]
    near_half = int(np.sum((gamma > 0.4) & (gamma < 0.6)))
    unsure = int(np.sum((gamma > 0.1) & (gamma < 0.9)))
    assert "genuinely belong to both" not in info.note
    assert "Each point was drawn from one of the two clusters" in info.note
    assert "a responsibility near 0.5 means the model cannot tell which" in info.note
    assert (f"{near_half} of the {n} points ({100 * near_half / n:.1f} %) end with responsibilities between 0.4 "
            f"and 0.6, and {unsure} ({100 * unsure / n:.1f} %) between 0.1 and 0.9") in " ".join(info.note.split())
    assert (info.default_k, near_half, n) == (2, 17, 500)
