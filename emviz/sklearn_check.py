"""Check our EM against ``sklearn.mixture.GaussianMixture`` from the same starting point.

The only module of the app that imports scikit-learn (``em_core`` never does).
No Streamlit here either: a history in, a fitted scikit-learn model and tables out.

Both fits start from our ``init`` step's weights, means and covariances
(scikit-learn takes precisions, the inverse covariances) and run exactly our
number of EM iterations (``max_iter = history.n_iter``, ``tol = 0``), so they
should agree to rounding error.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

import em_core

__all__ = ["SklearnComparison", "compare_with_sklearn", "fit_sklearn_like", "precisions_of"]


def precisions_of(covariances, covariance_type: str) -> np.ndarray:
    """Inverse covariances in scikit-learn's ``precisions_init`` shape.

    Full and tied matrices are inverted through their Cholesky factor (and made
    exactly symmetric); diagonal and spherical variances are simply reciprocated.
    """
    covariances = np.asarray(covariances, dtype=float)

    def invert(matrix):
        factor = linalg.cho_factor(matrix, lower=True)
        inverse = linalg.cho_solve(factor, np.eye(matrix.shape[0]))
        return 0.5 * (inverse + inverse.T)

    if covariance_type == "full":
        return np.array([invert(c) for c in covariances])
    if covariance_type == "tied":
        return invert(covariances)
    if covariance_type in ("diag", "spherical"):
        return 1.0 / covariances
    raise ValueError(f"Unknown covariance_type {covariance_type!r}.")


def fit_sklearn_like(history: em_core.History) -> GaussianMixture:
    """A scikit-learn mixture fitted on ``history.X`` from the history's initial parameters.

    ``max_iter`` is our number of EM iterations and ``tol = 0``, so scikit-learn
    runs exactly as many E/M pairs as we did. Its ConvergenceWarning (expected
    with ``tol = 0``) is silenced.
    """
    start = history[history.first_em_index]
    reg_covar = float(history.options.get("reg_covar", 1e-6))
    model = GaussianMixture(
        n_components=history.n_components, covariance_type=history.covariance_type, tol=0.0,
        reg_covar=reg_covar, max_iter=max(history.n_iter, 1), n_init=1, init_params="kmeans",
        weights_init=np.asarray(start.weights), means_init=np.asarray(start.means),
        precisions_init=precisions_of(start.covariances, history.covariance_type), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(np.asarray(history.X))
    return model


@dataclass(frozen=True)
class SklearnComparison:
    """Our fit and scikit-learn's, side by side.

    Attributes
    ----------
    order : numpy.ndarray of shape (K,)
        Our component ``k`` matches scikit-learn's component ``order[k]``.
    summary : pandas.DataFrame
        One row per quantity (weights, means, covariances, log-likelihood):
        ``ours``/``scikit-learn`` summaries, ``max_abs_diff`` and ``max_rel_diff``
        (largest absolute difference divided by the largest absolute value of ours).
    weights, means, covariances : pandas.DataFrame
        Per-component (per-entry) values of both fits and their difference.
    log_likelihood_ours, log_likelihood_sklearn : float
        Total log-likelihood of each fit's final parameters on the data.
    ari : float
        Adjusted Rand index between the two final hard labelings.
    iterations_ours, iterations_sklearn : int
    """

    order: np.ndarray
    summary: pd.DataFrame
    weights: pd.DataFrame
    means: pd.DataFrame
    covariances: pd.DataFrame
    log_likelihood_ours: float
    log_likelihood_sklearn: float
    ari: float
    iterations_ours: int
    iterations_sklearn: int


def _differences(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float]:
    diff = float(np.max(np.abs(ours - theirs))) if ours.size else 0.0
    scale = float(np.max(np.abs(ours))) if ours.size else 0.0
    return diff, diff / scale if scale > 0 else diff


def _long_table(ours: np.ndarray, theirs: np.ndarray, index: pd.MultiIndex | pd.Index) -> pd.DataFrame:
    return pd.DataFrame({"ours": ours.ravel(), "scikit-learn": theirs.ravel(),
                         "difference": (ours - theirs).ravel()}, index=index)


def compare_with_sklearn(history: em_core.History, model: GaussianMixture,
                         feature_names=None) -> SklearnComparison:
    """Match components by mean distance and tabulate both fits and their differences."""
    X = np.asarray(history.X)
    final = history.final
    K, d = history.n_components, history.n_features
    names = list(feature_names) if feature_names is not None and len(feature_names) == d \
        else [f"x{j + 1}" for j in range(d)]
    order = em_core.match_components(final.means, model.means_)
    covariance_type = history.covariance_type

    weights_ours, weights_sk = np.asarray(final.weights), model.weights_[order]
    means_ours, means_sk = np.asarray(final.means), model.means_[order]
    cov_ours = np.asarray(final.covariances)
    cov_sk = model.covariances_ if covariance_type == "tied" else model.covariances_[order]

    components = [f"component {k + 1}" for k in range(K)]
    weights = _long_table(weights_ours, weights_sk, pd.Index(components, name="component"))
    weights.insert(0, "scikit-learn component", [f"{j + 1}" for j in order])
    means = _long_table(means_ours, means_sk, pd.MultiIndex.from_product([components, names],
                                                                         names=["component", "column"]))
    if covariance_type == "full":
        cov_index = pd.MultiIndex.from_tuples(
            [(c, f"{a} · {b}") for c in components for a in names for b in names], names=["component", "entry"])
    elif covariance_type == "tied":
        cov_index = pd.MultiIndex.from_tuples([("all (tied)", f"{a} · {b}") for a in names for b in names],
                                              names=["component", "entry"])
    elif covariance_type == "diag":
        cov_index = pd.MultiIndex.from_tuples([(c, f"{a} · {a}") for c in components for a in names],
                                              names=["component", "entry"])
    else:
        cov_index = pd.MultiIndex.from_tuples([(c, "variance") for c in components], names=["component", "entry"])
    covariances = _long_table(cov_ours, cov_sk, cov_index)

    ll_ours = float(final.log_likelihood)
    ll_sk = float(model.score(X) * X.shape[0])
    labels_ours = history.model().predict(X)
    labels_sk = model.predict(X)
    rows = []
    for quantity, a, b in (("weights", weights_ours, weights_sk), ("means", means_ours, means_sk),
                           ("covariances", cov_ours, cov_sk)):
        diff, rel = _differences(a, b)
        rows.append((quantity, diff, rel))
    diff, rel = _differences(np.array([ll_ours]), np.array([ll_sk]))
    rows.append(("log-likelihood", diff, rel))
    summary = pd.DataFrame(rows, columns=["quantity", "max_abs_diff", "max_rel_diff"])
    return SklearnComparison(order=order, summary=summary, weights=weights, means=means, covariances=covariances,
                             log_likelihood_ours=ll_ours, log_likelihood_sklearn=ll_sk,
                             ari=em_core.adjusted_rand_index(labels_ours, labels_sk),
                             iterations_ours=history.n_iter, iterations_sklearn=int(model.n_iter_))
