"""Words and formulas for the current step: captions, flags and the arithmetic of one point.

Pure functions of a history and a step index, so tests can read what a
student will read.
"""

from __future__ import annotations

import numpy as np

import em_core
from em_core.gaussian import covariance_factors, log_gaussian

KIND_TITLES = {
    "kmeans_assign": "k-means assignment",
    "kmeans_update": "k-means centroid update",
    "init": "initial parameters",
    "e_step": "E-step",
    "m_step": "M-step",
}

INIT_SENTENCES = {
    "kmeans": "k-means labels turned into one-hot responsibilities, then one M-step",
    "kmeans++": "the k-means++ seeds' nearest-seed partition as one-hot responsibilities, then one M-step",
    "random_points": "K random data points as means, the data's covariance for every component, equal weights",
    "random_resp": "random responsibilities, then one M-step",
    "given": "the parameters you supplied",
}


def _fmt(value: float) -> str:
    return f"{value:,.2f}" if abs(value) >= 1e-2 or value == 0 else f"{value:.3g}"


def _delta(change: float, scale: float) -> str:
    """A signed change, shown as ±0 when it is only rounding noise relative to ``scale``."""
    if abs(change) <= 1e-9 * max(abs(scale), 1.0):
        return "±0"
    return ("+" if change > 0 else "−") + _fmt(abs(change))


def step_position(step: em_core.Step) -> str:
    """Where a step stands in the run: ``"k-means round 2"``, ``"Start of EM"`` or ``"Iteration 3"``."""
    if step.is_kmeans:
        return f"k-means round {step.iteration}"
    return "Start of EM" if step.kind == "init" else f"Iteration {step.iteration}"


def step_title(history: em_core.History, index: int) -> str:
    """Short position label, e.g. ``"Iteration 3 · M-step"``."""
    step = history[index]
    if step.is_kmeans:
        what = KIND_TITLES[step.kind].split(" ", 1)[1]
    else:
        what = "initial parameters" if step.kind == "init" else KIND_TITLES[step.kind]
    return f"{step_position(step)} · {what}"


def step_caption(history: em_core.History, index: int) -> str:
    """One or two sentences: what this step did and what changed since the previous one.

    Shown under :func:`step_title`, so it does not repeat the position.
    """
    step = history[index]
    previous = history[index - 1] if index > 0 else None
    if step.kind == "kmeans_assign":
        text = f"Assignment: each point joins its nearest centroid. J = {_fmt(step.kmeans_objective)}"
        if previous is not None and previous.is_kmeans:
            moved = int((history.labels(index) != history.labels(index - 1)).sum())
            text += (f" ({_delta(step.kmeans_objective - previous.kmeans_objective, step.kmeans_objective)}); "
                     f"{moved} point(s) changed cluster")
        else:
            text += "; the centroids are the k-means++ seeds"
        return text + "."
    if step.kind == "kmeans_update":
        shift = np.linalg.norm(step.means - previous.means, axis=1)
        return (f"Update: every centroid moves to the mean of its points. J = {_fmt(step.kmeans_objective)} "
                f"({_delta(step.kmeans_objective - previous.kmeans_objective, step.kmeans_objective)}); largest move "
                f"{_fmt(shift.max())} (centroid {int(shift.argmax()) + 1}).")
    if step.kind == "init":
        return (f"EM starts from {INIT_SENTENCES.get(history.init, history.init)}. "
                f"Log-likelihood {_fmt(step.log_likelihood)}.")
    if step.kind == "e_step":
        changed = ""
        if previous is not None:
            before = history.responsibilities(index - 1)
            after = history.responsibilities(index)
            switched = int((before.argmax(axis=1) != after.argmax(axis=1)).sum())
            moved = 0.5 * np.abs(after - before).sum(axis=1)
            changed = (f" Only the colours change: {switched} point(s) changed their most likely component; "
                       f"largest change in a point's responsibilities {moved.max():.2f}.")
        return (f"E-step: responsibilities γ recomputed from the current parameters; the bound is now tight "
                f"(lower bound = log-likelihood = {_fmt(step.log_likelihood)}).{changed}")
    shift = np.linalg.norm(step.means - previous.means, axis=1)
    gain = step.log_likelihood - previous.log_likelihood
    shapes = "ellipses" if history.n_features > 1 else "component curves"
    text = (f"M-step: means, covariances and weights updated from the responsibilities. Only the {shapes} move: "
            f"largest mean shift {_fmt(shift.max())} (component {int(shift.argmax()) + 1}); "
            f"log-likelihood {_fmt(step.log_likelihood)} ({_delta(gain, step.log_likelihood)}).")
    if "converged" in step.flags:
        text += " Converged: the improvement per point fell below the tolerance."
    return text


#: Per flag: a short phrase for a figure's subtitle and a full sentence for the page.
#: ``{which}`` becomes the 1-based component numbers the flag concerns.
FLAG_TEXTS = {
    "converged": ("converged", "Converged at this step."),
    "empty_cluster_reseeded": (
        "empty cluster {which} re-seeded",
        "k-means cluster {which} was empty and was re-seeded at the point farthest from its centroid."),
    "component_collapsed": (
        "component {which} collapsed",
        "Component {which} holds less than one point's worth of responsibility: it has collapsed. "
        "Try fewer components or another seed."),
    "component_regularised": (
        "covariance {which} regularised",
        "The covariance of component {which} was singular or nearly so; reg_covar keeps it positive "
        "definite (constant or collinear columns, or duplicated points)."),
}


def _flag_texts(step: em_core.Step, form: int) -> list[str]:
    texts = []
    for name, components in step.flags.items():
        which = ", ".join(str(k + 1) for k in components)
        template = FLAG_TEXTS.get(name, (name.replace("_", " "),) * 2)[form]
        texts.append(template.format(which=which))
    return texts


def flag_phrases(step: em_core.Step) -> list[str]:
    """Short phrases for the step's flags, e.g. ``"component 2 collapsed"``."""
    return _flag_texts(step, 0)


def flag_sentences(step: em_core.Step) -> list[str]:
    """Plain sentences for the step's flags (collapsed, regularised, re-seeded, converged)."""
    return _flag_texts(step, 1)


E_STEP_LATEX = (r"\gamma_{nk} = \frac{\pi_k\,\mathcal{N}(x_n \mid \mu_k, \Sigma_k)}"
                r"{\sum_{j=1}^{K} \pi_j\,\mathcal{N}(x_n \mid \mu_j, \Sigma_j)}")
M_STEP_LATEX = (r"N_k = \sum_{n} \gamma_{nk},\quad \mu_k = \frac{1}{N_k}\sum_n \gamma_{nk} x_n,\quad "
                r"\Sigma_k = \frac{1}{N_k}\sum_n \gamma_{nk}(x_n-\mu_k)(x_n-\mu_k)^\top,\quad "
                r"\pi_k = \frac{N_k}{N}")
KMEANS_ASSIGN_LATEX = (r"z_{kn} = 1 \text{ if } k = \arg\min_j \lVert x_n - u_j \rVert^2,\quad "
                       r"J = \sum_n \sum_k z_{kn} \lVert x_n - u_k \rVert^2")
KMEANS_UPDATE_LATEX = r"u_k = \frac{\sum_n z_{kn} x_n}{\sum_n z_{kn}}"
LIKELIHOOD_LATEX = (r"\log p(X) = \sum_n \log \sum_k \pi_k \mathcal{N}(x_n \mid \mu_k, \Sigma_k) \;\ge\; "
                    r"\sum_n \sum_k \gamma_{nk} \log \frac{\pi_k \mathcal{N}(x_n \mid \mu_k, \Sigma_k)}{\gamma_{nk}}")


def step_formula(kind: str) -> str:
    """The LaTeX formula of a step kind."""
    return {"kmeans_assign": KMEANS_ASSIGN_LATEX, "kmeans_update": KMEANS_UPDATE_LATEX,
            "init": M_STEP_LATEX, "e_step": E_STEP_LATEX, "m_step": M_STEP_LATEX}[kind]


def _latex_number(value: float) -> str:
    if value == 0:
        return "0"
    exponent = int(np.floor(np.log10(abs(value))))
    if -3 <= exponent <= 3:
        return f"{value:.4f}"
    mantissa = value / 10 ** exponent
    return rf"{mantissa:.3f}\times10^{{{exponent}}}"


def m_step_numbers(history: em_core.History, index: int) -> str:
    """LaTeX line with this step's effective counts and weights, e.g. ``N = (290.1, ...)``."""
    step = history[index]
    counts = ", ".join(f"{c:.1f}" for c in step.counts)
    weights = ", ".join(f"{w:.3f}" for w in step.weights)
    return rf"N_k = ({counts}),\quad N = {history.n_samples},\quad \pi_k = N_k / N = ({weights})"


def point_arithmetic(history: em_core.History, index: int, row: int) -> list[str]:
    """LaTeX lines with the E-step arithmetic for one point under this step's parameters.

    Shows ``pi_k N(x | mu_k, Sigma_k)`` for each k, their sum and the resulting
    ``gamma``. Densities are formed from log-densities only for display.
    """
    step = history[index]
    x = history.X[row:row + 1]
    factors = covariance_factors(np.asarray(step.covariances), history.covariance_type, history.n_features)
    log_terms = log_gaussian(x, np.asarray(step.means), factors)[0] + np.log(step.weights)
    peak = log_terms.max()
    log_total = peak + np.log(np.exp(log_terms - peak).sum())
    gammas = np.exp(log_terms - log_total)
    point = ", ".join(f"{v:.3g}" for v in x[0])
    lines = [rf"x_{{{row}}} = ({point})"]
    for k in range(history.n_components):
        density = np.exp(log_terms[k] - np.log(step.weights[k]))
        lines.append(
            rf"\pi_{{{k + 1}}}\,\mathcal{{N}}(x \mid \mu_{{{k + 1}}}, \Sigma_{{{k + 1}}}) = "
            rf"{step.weights[k]:.3f} \times {_latex_number(density)} = {_latex_number(np.exp(log_terms[k]))}")
    lines.append(rf"\sum_j \pi_j\,\mathcal{{N}}(x \mid \mu_j, \Sigma_j) = {_latex_number(np.exp(log_total))}")
    lines.append(r"\gamma = (" + ", ".join(f"{g:.3f}" for g in gammas) + ")")
    return lines
