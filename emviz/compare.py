"""Statistics and figures for the comparison pages: k-means vs GMM, restarts and choosing K.

Pure functions: histories, labels and tables in, ``pandas.DataFrame`` and
``plotly.graph_objects.Figure`` out. Nothing here imports Streamlit (nor
``emviz.fitting``, which does), so every number a page shows can be tested
directly. The pages do the fitting (cached) and hand the histories over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import em_core

from .palette import OKABE_ITO

__all__ = [
    "CRITERIA", "DIFFERENCE_NOTES", "agreement_table", "best_model", "confusion_frame", "criteria_figure",
    "criteria_grid", "em_step_indices", "WORSE_OPTIMUM", "group_optima", "kmeans_step_indices", "restart_plan",
    "restarts_figure", "restarts_table", "why_they_differ",
]

#: Information criteria, lower is better.
CRITERIA = ("BIC", "AIC")

#: One sentence per built-in data set: why k-means and the GMM disagree (or do not).
DIFFERENCE_NOTES = {
    "mouse": ("k-means prefers clusters of equal size and round shape, so its straight boundary halfway between "
              "centres cuts the top off the head and hands it to the ears; EM gives each ear its own small, tight "
              "component with a small weight and lets the broad head keep its outer points."),
    "blobs": ("The four blobs are round, equally sized and far apart, exactly what k-means assumes, so both "
              "methods find the same clusters and every responsibility is almost 0 or 1."),
    "anisotropic": ("k-means only measures straight-line distance to a centre, so it slices across the long, "
                    "tilted clusters; EM with full covariances learns each cluster's tilt and follows the ellipses."),
    "unequal": ("k-means puts the boundary halfway between the two centres and gives the near edge of the broad "
                "cloud to the tight cluster; EM weighs each point by each cluster's own spread and weight, so its "
                "boundary wraps closely around the small cluster."),
    "overlapping": ("Where the two clouds overlap no hard boundary is right: k-means must put every middle point "
                    "on one side, EM gives the points nearest the boundary responsibilities near 0.5, so the hard labels of the two "
                    "methods largely agree while their certainty does not."),
    "bad_init": ("EM starts from the k-means partition, so the two usually agree here: when k-means falls into the "
                 "trap (one centre on a whole pair, two sharing a cluster) EM stays in the same local optimum; "
                 "the difference lies in the start, not the model, which the Several initialisations page shows."),
    "bimodal_1d": ("The two bumps differ in height and width: k-means splits at the midpoint between the two "
                   "centres, EM where the two weighted bell curves cross, which lies closer to the narrower bump."),
    "collapse": ("k-means gives its third centre the five identical points and the nearest edges of both "
                 "clusters (14 points); EM's third component shrinks onto the five identical points alone, a "
                 "degenerate answer that only reg_covar keeps finite. A higher likelihood is not a better "
                 "description of the data."),
    "iris": ("Setosa stands apart and both methods find it; versicolor and virginica overlap and are elongated, "
             "so k-means' round clusters and EM's ellipses split them differently, and with 150 flowers in four "
             "dimensions the answer also depends on the start, so try a few seeds."),
}

_GENERIC_NOTE = ("k-means assigns every point to its nearest centre, which favours round clusters of similar "
                 "size; the GMM gives each component its own weight and covariance and assigns points softly, "
                 "so the two disagree wherever clusters differ in size, spread or shape.")

# Plotly's default qualitative colours, one per covariance type / optimum.
# The app's own colours (Okabe-Ito, safe under colour-vision deficiency), not Plotly's defaults.
_PALETTE = OKABE_ITO
#: Each covariance type's line and marker in the Choose K chart: distinct without colour too (greyscale
#: projector, printouts).
_TYPE_STYLE = {"full": ("solid", "circle"), "tied": ("dash", "square"), "diag": ("dot", "diamond"),
               "spherical": ("dashdot", "triangle-up")}


def why_they_differ(source: str) -> str:
    """The sentence explaining k-means vs GMM on data set ``source`` (a generic one for uploads)."""
    return DIFFERENCE_NOTES.get(source, _GENERIC_NOTE)


# k-means vs GMM ------------------------------------------------------------

def kmeans_step_indices(history: em_core.History) -> list[int]:
    """Indices of the recorded k-means steps (empty unless ``init="kmeans"`` or ``"kmeans++"``)."""
    return history.indices_of("kmeans_assign", "kmeans_update")


def em_step_indices(history: em_core.History) -> list[int]:
    """Indices of the EM part of the history: the ``init`` step and every E- and M-step."""
    return list(range(history.first_em_index, len(history)))


def agreement_table(kmeans_labels, gmm_labels, truth=None) -> pd.DataFrame:
    """Adjusted Rand indices between the k-means and GMM labelings and, if known, the truth.

    Returns
    -------
    pandas.DataFrame
        Columns ``comparison`` and ``ARI``; one row without ``truth``, three with it.
    """
    rows = [("k-means vs GMM", em_core.adjusted_rand_index(kmeans_labels, gmm_labels))]
    if truth is not None:
        rows += [("k-means vs true labels", em_core.adjusted_rand_index(kmeans_labels, truth)),
                 ("GMM vs true labels", em_core.adjusted_rand_index(gmm_labels, truth))]
    return pd.DataFrame(rows, columns=["comparison", "ARI"])


def confusion_frame(predicted, truth, *, name: str = "cluster") -> tuple[pd.DataFrame, float]:
    """Contingency table of clusters against true classes after Hungarian matching.

    Clusters and classes are matched one-to-one so that the total of the matched
    counts is as large as possible (``em_core.match_labels``, the Hungarian
    algorithm); a cluster need not get the class it overlaps most, when another
    cluster needs that class more. Rows are the clusters, ordered like the
    classes they were matched to so that agreements lie on the diagonal, and
    labelled ``"<name> k → class"`` (clusters numbered from 1, as in the pictures);
    clusters left over when there are more clusters than classes come last,
    labelled ``"<name> k (unmatched)"``. Columns are the true classes.

    Returns
    -------
    table : pandas.DataFrame of int
    accuracy : float
        Fraction of points whose cluster is matched to their own class.
    """
    predicted = np.asarray(predicted)
    # As fixed-width strings: em_core.match_labels calls .item() on the classes, which an
    # object array of Python str (what pandas' astype(str).to_numpy() gives) does not have.
    truth = np.asarray(truth).astype(str)
    mapping, table, clusters, classes = em_core.match_labels(predicted, truth)
    class_position = {c.item() if hasattr(c, "item") else c: j for j, c in enumerate(classes)}
    order, names = [], []
    matched = sorted(mapping.items(), key=lambda item: class_position[item[1]])
    for cluster, cls in matched:
        order.append(int(np.flatnonzero(clusters == cluster)[0]))
        names.append(f"{name} {_number(cluster)} → {cls}")
    for i, cluster in enumerate(clusters):
        if i not in order:
            order.append(i)
            names.append(f"{name} {_number(cluster.item())} (unmatched)")
    frame = pd.DataFrame(table[order], index=pd.Index(names, name=name),
                         columns=pd.Index([str(c) for c in classes], name="true label"))
    hits = sum(int(table[np.flatnonzero(clusters == cl)[0], class_position[cls]]) for cl, cls in mapping.items())
    return frame, hits / max(int(table.sum()), 1)


def _number(cluster) -> str:
    """Clusters are shown numbered from 1, like the components in the pictures."""
    return str(int(cluster) + 1) if isinstance(cluster, (int, np.integer)) else str(cluster)


# Several initialisations ----------------------------------------------------

def restart_plan(n_runs: int, methods: Sequence[str], first_seed: int = 0) -> list[tuple[int, str]]:
    """``(seed, init)`` of each run: seeds ``first_seed, first_seed + 1, ...``, methods taken in turn."""
    if n_runs < 1 or not methods:
        raise ValueError("Choose at least one run and one initialisation method.")
    return [(first_seed + i, methods[i % len(methods)]) for i in range(n_runs)]


def group_optima(histories: Sequence[em_core.History], *, ari_threshold: float = 0.95) -> list[int]:
    """Which optimum each run reached, numbered 0, 1, ... from the highest log-likelihood.

    Two runs count as the same optimum when their final hard partitions agree
    (ARI at least ``ari_threshold``). Final log-likelihoods alone are a poor key:
    runs stopped by ``tol`` sit a little below the optimum they are climbing to.
    """
    order = sorted(range(len(histories)), key=lambda i: -histories[i].final.log_likelihood)
    labels = {i: histories[i].model().predict(histories[i].X) for i in order}
    representatives: list[int] = []
    group = [0] * len(histories)
    for i in order:
        for g, rep in enumerate(representatives):
            if em_core.adjusted_rand_index(labels[i], labels[rep]) >= ari_threshold:
                group[i] = g
                break
        else:
            group[i] = len(representatives)
            representatives.append(i)
    return group


def restarts_table(runs: Sequence[tuple[int, str, em_core.History]]) -> pd.DataFrame:
    """One row per run: its start, final log-likelihood, iterations and optimum; the best marked.

    Parameters
    ----------
    runs : sequence of (seed, init, history)

    Returns
    -------
    pandas.DataFrame
        Columns ``run`` (from 1), ``init``, ``seed``, ``log_likelihood``,
        ``per_point`` (mean log-likelihood per point), ``iterations``,
        ``converged``, ``optimum`` ("A" for the best partition found, then "B", ...)
        and ``best`` (True for exactly one run: the highest log-likelihood, the
        first such run on ties).
    """
    if not runs:
        raise ValueError("No runs to tabulate.")
    histories = [history for _, _, history in runs]
    groups = group_optima(histories)
    log_likelihoods = np.array([h.final.log_likelihood for h in histories])
    best = int(np.argmax(log_likelihoods))
    return pd.DataFrame({
        "run": np.arange(1, len(runs) + 1),
        "init": [init for _, init, _ in runs],
        "seed": [int(seed) for seed, _, _ in runs],
        "log_likelihood": log_likelihoods,
        "per_point": log_likelihoods / np.array([h.n_samples for h in histories]),
        "iterations": [h.n_iter for h in histories],
        "converged": [h.converged for h in histories],
        "optimum": [_optimum_name(g) for g in groups],
        "best": np.arange(len(runs)) == best,
    })


def _optimum_name(group: int) -> str:
    return chr(ord("A") + group) if group < 26 else f"#{group + 1}"


def restarts_figure(table: pd.DataFrame, *, lecture: bool = False) -> go.Figure:
    """Final log-likelihood (top) and EM iterations (bottom) of every run, the best starred."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.62, 0.38],
                        subplot_titles=("Final log-likelihood (higher is better)", "EM iterations"))
    optima = sorted(table["optimum"].unique())
    for j, optimum in enumerate(optima):
        rows = table[table["optimum"] == optimum]
        colour = _PALETTE[j % len(_PALETTE)]
        fig.add_trace(go.Scatter(
            x=rows["run"], y=rows["log_likelihood"], mode="markers", name=f"optimum {optimum}",
            marker=dict(size=14 if lecture else 11, color=colour, line=dict(width=1, color="white")),
            customdata=np.stack([rows["init"], rows["seed"], rows["iterations"]], axis=1),
            hovertemplate="run %{x} · %{customdata[0]}, seed %{customdata[1]}<br>log-likelihood %{y:,.2f}"
                          "<br>%{customdata[2]} iterations<extra>optimum " + optimum + "</extra>"),
            row=1, col=1)
        fig.add_trace(go.Bar(x=rows["run"], y=rows["iterations"], marker_color=colour, showlegend=False,
                             width=0.6, name=f"optimum {optimum}",
                             hovertemplate="run %{x}: %{y} iterations<extra></extra>"),
                      row=2, col=1)
    best = table[table["best"]].iloc[0]
    fig.add_trace(go.Scatter(x=[best["run"]], y=[best["log_likelihood"]], mode="markers+text", name="best run",
                             text=["  best"], textposition="middle right",
                             marker=dict(symbol="star", size=24 if lecture else 20, color="gold",
                                         line=dict(width=1.5, color="black")),
                             hovertemplate="best run %{x}: %{y:,.2f}<extra></extra>"), row=1, col=1)
    spread = float(table["log_likelihood"].max() - table["log_likelihood"].min())
    pad = max(spread * 0.15, 1.0)
    fig.update_yaxes(range=[table["log_likelihood"].min() - pad, table["log_likelihood"].max() + 2 * pad],
                     row=1, col=1)
    fig.update_xaxes(title_text="run", dtick=1, row=2, col=1)
    fig.update_layout(height=560 if lecture else 460, margin=dict(l=10, r=10, t=60, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.07, x=0),
                      font=dict(size=18 if lecture else 13), barmode="overlay")
    return fig


# Choosing K -------------------------------------------------------------------

#: Note of a grid cell whose fit ended below a fit with fewer components of the same covariance type.
WORSE_OPTIMUM = "a worse local optimum: try more starts"

def criteria_grid(histories: Mapping[tuple[str, int], em_core.History]) -> pd.DataFrame:
    """BIC and AIC of every fitted model.

    ``BIC = -2 log L + p log N`` and ``AIC = -2 log L + 2 p``, with ``log L`` the
    log-likelihood of the final parameters (recorded in the history, so nothing
    is recomputed) and ``p`` the number of free parameters (``em_core.n_parameters``).

    Parameters
    ----------
    histories : mapping of (covariance_type, K) to History

    The largest log-likelihood a mixture can reach never falls as K grows: a
    K-component mixture reproduces any mixture with fewer components (split one
    component into two identical halves). A fit from one start need not reach
    it, so a cell whose log-likelihood is below that of a smaller K of the same
    covariance type is flagged (``worse_than_fewer``) and noted: EM stopped in a
    worse local optimum there.

    Returns
    -------
    pandas.DataFrame
        Columns ``covariance_type``, ``K``, ``log_likelihood``, ``n_parameters``,
        ``BIC``, ``AIC``, ``iterations``, ``converged``, ``worse_than_fewer``
        (bool) and ``note`` (e.g. ``"below K = 3 (-1,494.6), " + WORSE_OPTIMUM``,
        naming the smaller K with the highest log-likelihood; empty otherwise);
        sorted by covariance type (in the order given) and K.
    """
    rows = []
    for (covariance_type, k), history in histories.items():
        log_likelihood = history.final.log_likelihood
        p = em_core.n_parameters(k, history.n_features, covariance_type)
        n = history.n_samples
        rows.append(dict(covariance_type=covariance_type, K=int(k), log_likelihood=log_likelihood, n_parameters=p,
                         BIC=-2.0 * log_likelihood + p * np.log(n), AIC=-2.0 * log_likelihood + 2.0 * p,
                         iterations=history.n_iter, converged=history.converged))
    frame = pd.DataFrame(rows, columns=["covariance_type", "K", "log_likelihood", "n_parameters", "BIC", "AIC",
                                        "iterations", "converged"])
    types = list(dict.fromkeys(frame["covariance_type"]))
    frame["_order"] = frame["covariance_type"].map(types.index)
    frame = frame.sort_values(["_order", "K"]).drop(columns="_order").reset_index(drop=True)
    worse, notes = [], []
    for covariance_type, k, log_likelihood in zip(frame["covariance_type"], frame["K"], frame["log_likelihood"]):
        fewer = frame[(frame["covariance_type"] == covariance_type) & (frame["K"] < k)]
        # Rounding alone (a K fit that found the same mixture as a smaller one) is not a worse optimum.
        if not fewer.empty and log_likelihood < fewer["log_likelihood"].max() - 1e-9 * max(1.0, abs(log_likelihood)):
            best_fewer = fewer.loc[fewer["log_likelihood"].idxmax()]
            worse.append(True)
            notes.append(f"below K = {int(best_fewer['K'])} ({best_fewer['log_likelihood']:,.1f}), {WORSE_OPTIMUM}")
        else:
            worse.append(False)
            notes.append("")
    frame["worse_than_fewer"] = np.array(worse, dtype=bool)
    frame["note"] = notes
    return frame


def best_model(grid: pd.DataFrame, criterion: str = "BIC") -> pd.Series:
    """The row of ``grid`` with the lowest ``criterion`` (the first one on ties)."""
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}; got {criterion!r}.")
    if grid.empty:
        raise ValueError("The grid is empty.")
    return grid.loc[grid[criterion].idxmin()]


def criteria_figure(grid: pd.DataFrame, *, lecture: bool = False) -> go.Figure:
    """BIC (left) and AIC (right) against K, one line per covariance type, each minimum starred.

    Cells flagged ``worse_than_fewer`` by :func:`criteria_grid` get a black cross
    (trace named ``WORSE_OPTIMUM``, in both panels).
    """
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                        subplot_titles=("BIC (lower is better)", "AIC (lower is better)"))
    types = list(dict.fromkeys(grid["covariance_type"]))
    for col, criterion in enumerate(CRITERIA, start=1):
        for j, covariance_type in enumerate(types):
            rows = grid[grid["covariance_type"] == covariance_type]
            dash, symbol = _TYPE_STYLE.get(covariance_type, ("longdash", "cross"))
            # One colour per type whichever types are chosen.
            slot = list(_TYPE_STYLE).index(covariance_type) if covariance_type in _TYPE_STYLE else j
            fig.add_trace(go.Scatter(
                x=rows["K"], y=rows[criterion], mode="lines+markers", name=covariance_type,
                legendgroup=covariance_type, showlegend=col == 1,
                line=dict(color=_PALETTE[slot % len(_PALETTE)], width=3 if lecture else 2, dash=dash),
                marker=dict(symbol=symbol, size=10 if lecture else 8),
                hovertemplate=f"{covariance_type}, K = %{{x}}<br>{criterion} %{{y:,.1f}}<extra></extra>"),
                row=1, col=col)
        worse = grid[grid["worse_than_fewer"]] if "worse_than_fewer" in grid else grid.iloc[:0]
        if not worse.empty:
            fig.add_trace(go.Scatter(
                x=worse["K"], y=worse[criterion], mode="markers", name=WORSE_OPTIMUM,
                legendgroup="worse", showlegend=col == 1, customdata=np.stack([worse["covariance_type"],
                                                                               worse["note"]], axis=1),
                marker=dict(symbol="x", size=16 if lecture else 13, color="black", line=dict(width=1, color="white")),
                hovertemplate=f"%{{customdata[0]}}, K = %{{x}}<br>{criterion} %{{y:,.1f}}<br>log-likelihood "
                              "%{customdata[1]}<extra></extra>"),
                row=1, col=col)
        best = best_model(grid, criterion)
        fig.add_trace(go.Scatter(
            x=[best["K"]], y=[best[criterion]], mode="markers+text", name=f"lowest {criterion}",
            text=[f"K = {best['K']}, {best['covariance_type']}"], textposition="bottom center",
            textfont=dict(color="black", size=17 if lecture else 13),
            marker=dict(symbol="star", size=22 if lecture else 18, color="gold", line=dict(width=1.5, color="black")),
            hovertemplate=f"lowest {criterion}: %{{y:,.1f}}<extra></extra>"), row=1, col=col)
        fig.update_xaxes(title_text="components K", dtick=1, row=1, col=col)
        low, high = float(grid[criterion].min()), float(grid[criterion].max())
        span = max(high - low, 1.0)
        fig.update_yaxes(range=[low - 0.18 * span, high + 0.06 * span], row=1, col=col)  # room for the label
    fig.update_layout(height=470 if lecture else 400, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0),
                      font=dict(size=18 if lecture else 13))
    return fig


# --------------------------------------------------------------------------- k-means as a limit
#: The σ slider's notches, as multiples of the data's spread (the root mean variance of its columns),
#: each with a sentence on what σ of that size does. What it does to *this* data is measured and said
#: beside it (:func:`limit_sentence`): whether clusters count as far apart depends on the data.
LIMIT_NOTCHES = {
    2.0: "σ is twice the spread of the whole data: every component is wider than the data, so where a point "
         "lies hardly changes its responsibilities.",
    1.0: "σ equals the data's spread: the components still overlap over most of the data.",
    0.5: "σ is half the data's spread: clusters farther apart than a few σ are now claimed by one component "
         "each.",
    0.25: "σ is a quarter of the spread: only points within a few σ of a boundary between two components are "
          "still shared.",
    0.1: "σ is a tenth of the spread: the shared band around each boundary is narrow.",
    0.03: "σ is tiny: outside a hair-thin band at the boundaries every responsibility is 0 or 1.",
    0.01: "σ is a hundredth of the spread. In the limit σ → 0, EM with equal weights and one round variance "
          "σ²I is exactly k-means.",
}


def limit_sentence(factor: float, summary: dict) -> str:
    """The notch's sentence and what it measured on this data (hardness and agreement with k-means)."""
    same = "the same partition as k-means" if summary["ari"] == 1.0 else \
        f"a partition that agrees with k-means at ARI {summary['ari']:.3f}"
    return (f"{LIMIT_NOTCHES[factor]} Here the points' largest responsibility is {summary['hardness']:.3f} on "
            f"average (1 = hard), and the soft fit finds {same}.")


def data_spread(X) -> float:
    """The root mean variance of the columns: the scale the σ notches are multiples of."""
    return float(np.sqrt(np.asarray(X, dtype=float).var(axis=0).mean()))


def soft_kmeans(X, seeds, sigma: float, *, max_iter: int = 100) -> em_core.History:
    """EM with every covariance σ²I and every weight 1/K held fixed, from the given means ("soft k-means")."""
    seeds = np.asarray(seeds, dtype=float)
    return em_core.fit_history(X, seeds.shape[0], covariance_type="spherical", init="given", means_init=seeds,
                               fixed_variance=sigma ** 2, equal_weights=True, max_iter=max_iter, tol=1e-6)


def limit_summary(soft: em_core.History, kmeans_labels) -> dict:
    """What the σ slider shows: the agreement with k-means, how hard the responsibilities are, J and log L.

    Returns
    -------
    dict
        ``ari`` (soft argmax vs ``kmeans_labels``), ``hardness`` (mean of max_k γ_nk),
        ``J`` (the k-means objective of the soft partition's means) and ``log_likelihood``.
    """
    labels = soft.labels(-1)
    means = soft.final.means
    J = float(((soft.X - means[labels]) ** 2).sum())
    return dict(ari=em_core.adjusted_rand_index(labels, kmeans_labels),
                hardness=float(soft.responsibilities(-1).max(axis=1).mean()), J=J,
                log_likelihood=float(soft.final.log_likelihood))
