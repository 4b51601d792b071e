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
#: Short labels of the step kinds, as on the animation slider (``"it 3 · M-step"``).
KIND_LABELS = {"kmeans_assign": "assign", "kmeans_update": "update", "init": "init", "e_step": "E-step",
               "m_step": "M-step"}
#: What each kind of step does, as the picture's title says it.
KIND_WHAT = {
    "kmeans_assign": "k-means: assign every point to its nearest centroid",
    "kmeans_update": "k-means: move every centroid to the mean of its points",
    "init": "EM starts from these parameters",
    "e_step": "E-step: responsibilities γ from the current π, μ, Σ",
    "m_step": "M-step: new π, μ, Σ from the responsibilities γ",
}

INIT_SENTENCES = {
    "kmeans": "k-means labels turned into one-hot responsibilities, then one M-step",
    "kmeans++": "the k-means++ seeds' nearest-seed partition as one-hot responsibilities, then one M-step",
    "random_points": "K random data points as means, the data's covariance for every component, equal weights",
    "random_resp": "random responsibilities, then one M-step",
    "given": "the means you placed (or the parameters you supplied): weights 1/K and the data's covariance "
             "for every component unless given",
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


def step_label(step: em_core.Step) -> str:
    """Short label of a step, as on the animation slider: ``"it 3 · M-step"``, ``"km 2 · assign"``."""
    prefix = "km" if step.is_kmeans else "it"
    return f"{prefix} {step.iteration} · {KIND_LABELS[step.kind]}"


def figure_title(history: em_core.History, index: int) -> tuple[str, str]:
    """Title and subtitle of a step's picture: what the step did, then where it stands.

    E.g. ``("Iteration 3 · M-step: new π, μ, Σ from the responsibilities γ",
    "step 9 of 20 · log-likelihood -1,234.56 · converged")``: step number,
    log-likelihood (or k-means J) and the flags' short phrases.
    """
    step = history[index]
    what = KIND_WHAT[step.kind]
    if step.is_kmeans:
        what = what.split(": ", 1)[1]
        sub = f"k-means objective J = {step.kmeans_objective:,.4g}"
    else:
        sub = f"log-likelihood {step.log_likelihood:,.2f}"
    flags = flag_phrases(step)
    if flags:
        sub += " · " + " · ".join(flags)
    return f"{step_position(step)} · {what}", f"step {step.index} of {len(history) - 1} · {sub}"


def responsibility_change(history: em_core.History, index: int) -> np.ndarray:
    """How far each point's responsibilities moved at step ``index``: ``0.5 * sum_k |γ_nk − γ'_nk|``.

    The total variation against the responsibilities in force one step earlier,
    shape (N,), in [0, 1] (1 for a point that switched k-means cluster). The
    first step has nothing before it: ``index`` must be at least 1.
    """
    if not 1 <= index < len(history):
        raise IndexError(f"responsibility_change needs a step after the first (1..{len(history) - 1}); got {index}.")
    return 0.5 * np.abs(history.responsibilities(index) - history.responsibilities(index - 1)).sum(axis=1)


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
            moved = responsibility_change(history, index)
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
    if index in likelihood_decreases(history):
        reg = history.options.get("reg_covar", 0.0)
        if reg > 0:
            text += (f" A regularised step: with reg_covar = {reg:g} the covariances S/Nₖ + εI are not the exact "
                     "maximiser of the bound, so the log-likelihood can fall (with reg_covar = 0 it cannot).")
        elif "component_regularised" in step.flags:
            text += (" A covariance became singular here, and the tiny jitter that keeps its numbers finite is "
                     "not an exact M-step, so the log-likelihood can fall.")
        else:
            text += (" Without regularisation EM cannot lower the log-likelihood: a fall beyond rounding would "
                     "be a bug worth reporting.")
    if "converged" in step.flags:
        text += " Converged: the improvement per point fell below the tolerance."
    return text


#: Per flag: a short phrase for a figure's subtitle, a full sentence for the page, and how the page shows it
#: (``"success"`` for good news, ``"warning"`` for something to look at). ``{which}`` becomes the 1-based
#: component numbers the flag concerns.
FLAG_TEXTS = {
    "converged": ("converged", "Converged at this step.", "success"),
    "empty_cluster_reseeded": (
        "empty cluster {which} re-seeded",
        "k-means cluster {which} was empty and was re-seeded at the point farthest from its centroid.", "warning"),
    "component_nearly_empty": (
        "component {which} nearly empty",
        "Component {which} holds less than one point's worth of responsibility (Nₖ < 1): it is nearly empty "
        "and explains almost none of the data. Try fewer components or another seed.", "warning"),
    "component_collapsing": (
        "component {which} collapsing onto points",
        "Component {which} is collapsing onto a single point or a few identical points: its variance shrinks "
        "towards 0 and its density there, so the log-likelihood, grows without bound. This is the singularity "
        "of maximum likelihood for mixtures (it needs K ≥ 2: another component covers the rest of the data). "
        "reg_covar > 0 stops it at a finite value; with reg_covar = 0 the app adds only a tiny jitter to keep "
        "the numbers finite.", "warning"),
    "components_coincide": (
        "components {which} coincide",
        "Components {which} have the same mean and covariance: they take every point in the same proportion, "
        "so each M-step puts them in the same place again and EM can never separate them; together they act "
        "as one component. Place them apart, or start from another seed.", "warning"),
    "component_regularised": (
        "covariance {which} regularised",
        "The covariance of component {which} was singular or nearly so (constant or collinear columns, "
        "duplicated points, or a component collapsing onto a point); reg_covar (at reg_covar = 0, a tiny "
        "jitter) keeps it positive definite.",
        "warning"),
}


def _flag_texts(step: em_core.Step, form: int) -> list[str]:
    texts = []
    for name, components in step.flags.items():
        which = ", ".join(str(k + 1) for k in components)
        template = FLAG_TEXTS.get(name, (name.replace("_", " "),) * 2)[form]
        texts.append(template.format(which=which))
    return texts


def flag_notices(step: em_core.Step) -> list[tuple[str, str]]:
    """``(level, sentence)`` per flag of the step, the level from :data:`FLAG_TEXTS` (unknown flags warn)."""
    return [(FLAG_TEXTS.get(name, (None, None, "warning"))[2], sentence)
            for name, sentence in zip(step.flags, flag_sentences(step))]


def flag_phrases(step: em_core.Step) -> list[str]:
    """Short phrases for the step's flags, e.g. ``"component 2 nearly empty"``."""
    return _flag_texts(step, 0)


def flag_sentences(step: em_core.Step) -> list[str]:
    """Plain sentences for the step's flags (nearly empty, regularised, re-seeded, converged)."""
    return _flag_texts(step, 1)


E_STEP_LATEX = (r"\gamma_{nk} = \frac{\pi_k\,\mathcal{N}(x_n \mid \mu_k, \Sigma_k)}"
                r"{\sum_{j=1}^{K} \pi_j\,\mathcal{N}(x_n \mid \mu_j, \Sigma_j)}")
M_STEP_COMMON_LATEX = (r"N_k = \sum_{n} \gamma_{nk},\quad \mu_k = \frac{1}{N_k}\sum_n \gamma_{nk} x_n,\quad "
                       r"\pi_k = \frac{N_k}{N}")
#: The covariance update of each covariance type, with its ``reg_covar`` term ε (the code's, to the letter:
#: tests recompute every type's covariances from these formulas).
COVARIANCE_LATEX = {
    "full": r"\Sigma_k = \frac{1}{N_k}\sum_n \gamma_{nk}(x_n-\mu_k)(x_n-\mu_k)^\top + \varepsilon I",
    "tied": r"\Sigma = \frac{1}{N}\sum_k \sum_n \gamma_{nk}(x_n-\mu_k)(x_n-\mu_k)^\top + \varepsilon I"
            r"\quad\text{(one matrix shared by every component)}",
    "diag": r"\Sigma_k = \operatorname{diag}\Big(\frac{1}{N_k}\sum_n \gamma_{nk}(x_n-\mu_k)\odot(x_n-\mu_k)\Big)"
            r" + \varepsilon I\quad\text{(the diagonal of the full update)}",
    "spherical": r"\Sigma_k = \sigma_k^2 I,\quad \sigma_k^2 = \frac{1}{d\,N_k}\sum_n \gamma_{nk}"
                 r"\lVert x_n-\mu_k\rVert^2 + \varepsilon",
}
KMEANS_ASSIGN_LATEX = (r"z_{nk} = 1 \text{ if } k = \arg\min_j \lVert x_n - \mu_j \rVert^2 \text{ else } 0,\quad "
                       r"J = \sum_n \sum_k z_{nk} \lVert x_n - \mu_k \rVert^2")
KMEANS_UPDATE_LATEX = r"\mu_k = \frac{\sum_n z_{nk} x_n}{\sum_n z_{nk}}"
LIKELIHOOD_LATEX = (r"\log p(X) = \sum_n \log \sum_k \pi_k \mathcal{N}(x_n \mid \mu_k, \Sigma_k) \;\ge\; "
                    r"\sum_n \sum_k \gamma_{nk} \log \frac{\pi_k \mathcal{N}(x_n \mid \mu_k, \Sigma_k)}{\gamma_{nk}}")
DATA_COVARIANCE_LATEX = {
    "full": r"\Sigma_k = S + \varepsilon I",
    "tied": r"\Sigma = S + \varepsilon I",
    "diag": r"\Sigma_k = \operatorname{diag}(S) + \varepsilon I",
    "spherical": r"\sigma_k^2 = \tfrac{1}{d}\operatorname{tr} S + \varepsilon",
}
_S_LATEX = r"S = \frac{1}{N}\sum_n (x_n - \bar{x})(x_n - \bar{x})^\top"
#: What the init step did, per initialisation: the responsibilities it started from, then the M-step.
INIT_RESPONSIBILITIES_LATEX = {
    "kmeans": r"\gamma_{nk} = z_{nk}\ \text{(the final k-means partition, one-hot)},\ \text{then one M-step:}",
    "kmeans++": r"\gamma_{nk} = z_{nk}\ \text{(nearest k-means++ seed, one-hot)},\ \text{then one M-step:}",
    "random_resp": (r"\gamma_{nk} = u_{nk} / \textstyle\sum_j u_{nj},\ u_{nk} \sim \mathcal{U}(0, 1)\ "
                    r"\text{(random)},\ \text{then one M-step:}"),
}


def m_step_latex(covariance_type: str) -> list[str]:
    """The M-step's formulas for this covariance type: counts, means and weights, then its covariance update."""
    return [M_STEP_COMMON_LATEX, COVARIANCE_LATEX[covariance_type]]


def init_latex(init: str, covariance_type: str) -> list[str]:
    """What the ``init`` step actually did, as LaTeX lines (not every start is an M-step)."""
    if init in INIT_RESPONSIBILITIES_LATEX:
        return [INIT_RESPONSIBILITIES_LATEX[init]] + m_step_latex(covariance_type)
    if init == "random_points":
        return [r"\mu_k = x_{n_k}\ \text{(K distinct data points drawn at random)},\quad \pi_k = \frac{1}{K}",
                DATA_COVARIANCE_LATEX[covariance_type] + r",\quad " + _S_LATEX + r"\ \text{(the data's covariance)}"]
    return [r"\mu_k\ \text{as placed (given)},\quad \pi_k = \frac{1}{K}\ \text{and}\ "
            + DATA_COVARIANCE_LATEX[covariance_type] + r"\ \text{unless given},\quad " + _S_LATEX]


def step_formulas(history: em_core.History, index: int) -> list[str]:
    """The LaTeX of what step ``index`` computed: its kind, covariance type and initialisation."""
    step = history[index]
    if step.kind == "kmeans_assign":
        return [KMEANS_ASSIGN_LATEX]
    if step.kind == "kmeans_update":
        return [KMEANS_UPDATE_LATEX]
    if step.kind == "e_step":
        return [E_STEP_LATEX]
    if step.kind == "init":
        return init_latex(history.init, history.covariance_type)
    return m_step_latex(history.covariance_type)


def likelihood_decreases(history: em_core.History) -> list[int]:
    """M-steps whose log-likelihood fell below the one before them, beyond rounding.

    Without ``reg_covar`` EM cannot lower the log-likelihood; with it, the M-step's
    ``S/N_k + εI`` is not the bound's maximiser and it can. Rounding-level changes
    (below ``1e-9`` times the log-likelihood's size) do not count.
    """
    out = []
    for index in history.indices_of("m_step"):
        before, after = history[index - 1].log_likelihood, history[index].log_likelihood
        if after - before < -1e-9 * max(1.0, abs(before), abs(after)):
            out.append(index)
    return out


def _latex_number(value: float) -> str:
    if value == 0:
        return "0"
    exponent = int(np.floor(np.log10(abs(value))))
    if -3 <= exponent <= 3:
        return f"{value:.4f}"
    mantissa = value / 10 ** exponent
    return rf"{mantissa:.3f}\times10^{{{exponent}}}"


def m_step_numbers(history: em_core.History, index: int) -> str:
    """LaTeX line with this step's effective counts and weights, e.g. ``N = (290.1, ...)``.

    For an ``init`` step that was no M-step (random points, given parameters) only
    the weights: they were set, not computed from counts.
    """
    step = history[index]
    weights = ", ".join(f"{w:.3f}" for w in step.weights)
    if step.kind == "init" and history.init not in INIT_RESPONSIBILITIES_LATEX:
        return rf"\pi_k = ({weights})"
    counts = ", ".join(f"{c:.1f}" for c in step.counts)
    # N is every fitted row: a saved fit's history holds only a sample of them, its counts are the fit's own.
    return rf"N_k = ({counts}),\quad N = {history.n_samples_total},\quad \pi_k = N_k / N = ({weights})"


def _e_step_lines(history: em_core.History, parameters: em_core.Step, row: int, symbol: str) -> list[str]:
    """``pi_k N(x | mu_k, Sigma_k)`` for each k under ``parameters``, their sum and the resulting γ."""
    x = history.X[row:row + 1]
    factors = covariance_factors(np.asarray(parameters.covariances), history.covariance_type, history.n_features)
    log_terms = log_gaussian(x, np.asarray(parameters.means), factors)[0] + np.log(parameters.weights)
    peak = log_terms.max()
    log_total = peak + np.log(np.exp(log_terms - peak).sum())
    gammas = np.exp(log_terms - log_total)
    lines = []
    for k in range(history.n_components):
        density = np.exp(log_terms[k] - np.log(parameters.weights[k]))
        lines.append(
            rf"\pi_{{{k + 1}}}\,\mathcal{{N}}(x \mid \mu_{{{k + 1}}}, \Sigma_{{{k + 1}}}) = "
            rf"{parameters.weights[k]:.3f} \times {_latex_number(density)} = {_latex_number(np.exp(log_terms[k]))}")
    lines.append(rf"\sum_j \pi_j\,\mathcal{{N}}(x \mid \mu_j, \Sigma_j) = {_latex_number(np.exp(log_total))}")
    lines.append(_gamma_line(symbol, gammas))
    return lines


def _gamma_line(symbol: str, gammas) -> str:
    return symbol + " = (" + ", ".join(f"{g:.3f}" for g in gammas) + ")"


def point_arithmetic(history: em_core.History, index: int, row: int) -> list[tuple[str, list[str]]]:
    """The responsibilities of one point at step ``index``, with the arithmetic behind them.

    The γ shown first is the one in force at this step, the one the picture's
    colours show: an E-step's own, the E-step's before an M-step (an M-step moves
    the parameters, not the colours), or the start's at ``init``. After an M-step
    or at ``init`` a second block gives what the next E-step will compute from
    the new parameters.

    Returns
    -------
    list of (heading, lines)
        Plain-text headings, each with its LaTeX lines. Densities are formed from
        log-densities only for display.
    """
    step = history[index]
    point = ", ".join(f"{v:.3g}" for v in history.X[row])
    # A saved fit's sample names a row by its number in the fitted data, not its place in the sample.
    label = row if history.row_numbers is None else int(history.row_numbers[row])
    in_force = history.responsibilities(index)[row]
    blocks = []
    if step.kind == "e_step":
        blocks.append(("This E-step's arithmetic for the point (the colours show this γ):",
                       [rf"x_{{{label}}} = ({point})"] + _e_step_lines(history, step, row, r"\gamma")))
        return blocks
    if step.kind == "m_step":
        source = history[index - 1]  # the E-step whose γ this M-step used and the colours still show
        blocks.append((f"γ in force (the colours): computed in the E-step before this M-step (step {source.index}):",
                       [rf"x_{{{label}}} = ({point})"] + _e_step_lines(history, source, row, r"\gamma")))
    elif history.init in INIT_RESPONSIBILITIES_LATEX:
        blocks.append((f"γ in force (the colours): the start's, {INIT_SENTENCES[history.init].split(',')[0]}:",
                       [rf"x_{{{label}}} = ({point})", _gamma_line(r"\gamma", in_force)]))
    else:
        blocks.append(("γ in force (the colours): none computed yet, so every point is drawn with γ = 1/K:",
                       [rf"x_{{{label}}} = ({point})", _gamma_line(r"\gamma", in_force)]))
    blocks.append(("The next E-step will give, with this step's new parameters:",
                   _e_step_lines(history, step, row, r"\gamma^{\text{next}}")))
    return blocks
