"""The theory page's text, formulas and the few numbers it shows from a fit.

Pure: no Streamlit. Each :class:`Section` says what to write, which formulas to
typeset and which step of a history illustrates it; the page draws that step
with ``emviz.figures`` and offers a jump to the same step in the explorer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import em_core

__all__ = ["SECTIONS", "Section", "bound_table", "illustrating_steps", "monotonicity"]


@dataclass(frozen=True)
class Section:
    """One section of the theory page.

    Attributes
    ----------
    key : str
        Stable identifier (widget keys, tests).
    title : str
    intro : str
        Markdown before the formulas.
    formulas : tuple of str
        LaTeX, one ``st.latex`` each.
    outro : str
        Markdown after the formulas.
    steps : tuple of str
        Which steps illustrate it (names understood by :func:`illustrating_steps`).
    needs_kmeans : bool
        The illustration needs a history with recorded k-means steps.
    page : str or None
        Another page of the app that shows the idea at length.
    """

    key: str
    title: str
    intro: str
    formulas: tuple[str, ...]
    outro: str = ""
    steps: tuple[str, ...] = ()
    needs_kmeans: bool = False
    page: str | None = None


SECTIONS: tuple[Section, ...] = (
    Section(
        key="kmeans",
        title="1 · k-means: one objective, two steps",
        intro=("k-means looks for K centres $\\mu_k$ and a hard assignment $r_{nk} \\in \\{0, 1\\}$ "
               "(each point in exactly one cluster) that make the total squared distance small:"),
        formulas=(
            r"J = \sum_{n=1}^{N} \sum_{k=1}^{K} r_{nk}\, \lVert x_n - \mu_k \rVert^2",
            r"\text{assign:}\quad r_{nk} = \begin{cases} 1 & k = \arg\min_j \lVert x_n - \mu_j \rVert^2 \\ "
            r"0 & \text{otherwise} \end{cases}",
            r"\text{update:}\quad \mu_k = \frac{\sum_n r_{nk}\, x_n}{\sum_n r_{nk}}"
            r"\qquad \Big(\tfrac{\partial J}{\partial \mu_k} = -2 \textstyle\sum_n r_{nk} (x_n - \mu_k) = 0\Big)",
        ),
        outro=("Lloyd's algorithm alternates the two steps. Neither can increase $J$: the assignment minimises "
               "every term over $r$ with the centres fixed, the update minimises it over the centres with the "
               "assignment fixed. $J$ can only take finitely many values, so the algorithm stops, but at a "
               "local minimum that depends on the starting centres (here k-means++ seeds)."),
        steps=("kmeans_assign", "kmeans_update"),
        needs_kmeans=True,
    ),
    Section(
        key="special_case",
        title="2 · k-means is a special Gaussian mixture",
        intro=("Take a mixture with equal weights $\\pi_k = 1/K$ and one shared round covariance "
               "$\\Sigma_k = \\sigma^2 I$. The responsibilities of the next sections become"),
        formulas=(
            r"\gamma_{nk} = \frac{\exp\!\big(-\lVert x_n - \mu_k \rVert^2 / 2\sigma^2\big)}"
            r"{\sum_j \exp\!\big(-\lVert x_n - \mu_j \rVert^2 / 2\sigma^2\big)}"
            r"\;\xrightarrow{\;\sigma \to 0\;}\; r_{nk}",
            r"\sum_n \sum_k \gamma_{nk} \log \mathcal{N}(x_n \mid \mu_k, \sigma^2 I) "
            r"= -\frac{1}{2\sigma^2} \sum_n \sum_k \gamma_{nk} \lVert x_n - \mu_k \rVert^2 + \text{const}",
        ),
        outro=("As $\\sigma \\to 0$ the soft assignment becomes the hard nearest-centre rule and maximising the "
               "expected log-likelihood becomes minimising $J$: k-means is EM for equal, round, vanishingly small "
               "clusters with hard assignments. A GMM drops all three restrictions: its own weight, its own "
               "covariance and soft responsibilities for every component. That is why k-means cuts the mouse's "
               "head and EM does not."),
        needs_kmeans=True,
        page="pages/1_k-means_vs_GMM.py",
    ),
    Section(
        key="mixture",
        title="3 · The mixture density",
        intro="A Gaussian mixture models the density of one point as a weighted sum of K Gaussians:",
        formulas=(
            r"p(x \mid \theta) = \sum_{k=1}^{K} \pi_k\, \mathcal{N}(x \mid \mu_k, \Sigma_k),"
            r"\qquad \pi_k \ge 0,\; \sum_k \pi_k = 1",
            r"\mathcal{N}(x \mid \mu, \Sigma) = (2\pi)^{-d/2} \lvert \Sigma \rvert^{-1/2} "
            r"\exp\!\big(-\tfrac12 (x - \mu)^\top \Sigma^{-1} (x - \mu)\big)",
            r"\log p(X \mid \theta) = \sum_{n=1}^{N} \log \sum_{k=1}^{K} \pi_k\, \mathcal{N}(x_n \mid \mu_k, \Sigma_k)",
        ),
        outro=("The log of a sum does not split into one problem per component, so unlike a single Gaussian there "
               "is no closed-form maximum-likelihood estimate. EM gets around this by asking which component "
               "each point came from. The picture shows the final fit: one ellipse family per component, "
               "enclosing 1σ, 2σ and 3σ of its mass."),
        steps=("final",),
    ),
    Section(
        key="latent",
        title="4 · Latent variables and responsibilities",
        intro=("Imagine each point was made in two stages: first a hidden label $z_n$ is drawn with "
               "$p(z_n = k) = \\pi_k$, then $x_n \\sim \\mathcal{N}(\\mu_k, \\Sigma_k)$. Summing the hidden "
               "label out gives back the mixture. Bayes' rule tells how likely each label is once $x_n$ is seen:"),
        formulas=(
            r"p(x_n) = \sum_k p(z_n = k)\, p(x_n \mid z_n = k) = \sum_k \pi_k\, \mathcal{N}(x_n \mid \mu_k, \Sigma_k)",
            r"\gamma_{nk} = p(z_n = k \mid x_n, \theta) = "
            r"\frac{\pi_k\, \mathcal{N}(x_n \mid \mu_k, \Sigma_k)}{\sum_j \pi_j\, \mathcal{N}(x_n \mid \mu_j, \Sigma_j)}",
        ),
        outro=("These posteriors are the responsibilities: the E-step computes them. Were the labels known, each "
               "component would be fitted to its own points in closed form; EM uses every point in every "
               "component, weighted by $\\gamma_{nk}$. The picture shows the first E-step, points coloured by "
               "their uncertainty $1 - \\max_k \\gamma_{nk}$: the unsure ones sit between the components."),
        steps=("first_e",),
    ),
    Section(
        key="jensen",
        title="5 · The Jensen lower bound, made tight by the E-step",
        intro=("For any distribution $q_{n}$ over the components of each point, multiply and divide by it inside "
               "the log; since the log is concave, Jensen's inequality moves it inside the sum:"),
        formulas=(
            r"\log p(x_n \mid \theta) = \log \sum_k q_{nk} \frac{\pi_k \mathcal{N}(x_n \mid \mu_k, \Sigma_k)}{q_{nk}}"
            r"\;\ge\; \sum_k q_{nk} \log \frac{\pi_k \mathcal{N}(x_n \mid \mu_k, \Sigma_k)}{q_{nk}}",
            r"\log p(X \mid \theta) \;\ge\; \mathcal{L}(q, \theta) = \sum_n \sum_k q_{nk} "
            r"\big[\log \pi_k + \log \mathcal{N}(x_n \mid \mu_k, \Sigma_k)\big] - \sum_n \sum_k q_{nk} \log q_{nk}",
            r"\log p(X \mid \theta) - \mathcal{L}(q, \theta) = "
            r"\sum_n \mathrm{KL}\big(q_n \,\Vert\, p(z_n \mid x_n, \theta)\big) \;\ge\; 0",
        ),
        outro=("The gap is a Kullback–Leibler divergence, zero exactly when $q_{nk}$ is the posterior. The E-step "
               "sets $q_{nk} = \\gamma_{nk}$, so right after it the bound touches the log-likelihood. The table "
               "shows it in this fit: the gap is 0 after every E-step and opens again after each M-step, "
               "because the new parameters have new posteriors."),
        steps=("first_e",),
    ),
    Section(
        key="m_step",
        title="6 · The M-step: weighted maximum likelihood",
        intro=("With $\\gamma$ fixed, only the first sum of $\\mathcal{L}$ depends on $\\theta$. Setting its "
               "derivatives to zero (a Lagrange multiplier $\\lambda$ keeps $\\sum_k \\pi_k = 1$) gives closed forms:"),
        formulas=(
            r"N_k = \sum_n \gamma_{nk}, \qquad \mu_k = \frac{1}{N_k} \sum_n \gamma_{nk}\, x_n"
            r"\qquad \Big(\sum_n \gamma_{nk} \Sigma_k^{-1} (x_n - \mu_k) = 0\Big)",
            r"\Sigma_k = \frac{1}{N_k} \sum_n \gamma_{nk} (x_n - \mu_k)(x_n - \mu_k)^\top"
            r"\qquad \Big(\tfrac12 \sum_n \gamma_{nk} \big[\Sigma_k - (x_n - \mu_k)(x_n - \mu_k)^\top\big] = 0"
            r"\text{ in } \Sigma_k^{-1}\Big)",
            r"\pi_k = \frac{N_k}{N} \qquad \Big(\frac{N_k}{\pi_k} + \lambda = 0,\; \sum_k \pi_k = 1 "
            r"\Rightarrow \lambda = -N\Big)",
        ),
        outro=("These are the single-Gaussian estimates with point $n$ counted $\\gamma_{nk}$ times in component "
               "$k$. The app adds a small `reg_covar` to every variance so that no covariance becomes singular. "
               "The picture shows the first M-step: dashed ellipses before, solid after, arrows for the means."),
        steps=("first_m",),
    ),
    Section(
        key="monotone",
        title="7 · Why the log-likelihood never decreases",
        intro="One EM iteration goes from $\\theta^{\\text{old}}$ to $\\theta^{\\text{new}}$ with $\\gamma$ the old "
              "posteriors. Three facts chain together:",
        formulas=(
            r"\log p(X \mid \theta^{\text{new}}) \;\overset{\text{Jensen}}{\ge}\; "
            r"\mathcal{L}(\gamma, \theta^{\text{new}}) \;\overset{\text{M-step}}{\ge}\; "
            r"\mathcal{L}(\gamma, \theta^{\text{old}}) \;\overset{\text{E-step}}{=}\; \log p(X \mid \theta^{\text{old}})",
        ),
        outro=("The bound holds for any $q$; the M-step maximises $\\mathcal{L}$ over $\\theta$, so it can only "
               "go up; and the E-step made the bound tight at the old parameters. So every iteration raises the "
               "log-likelihood or leaves it unchanged, which is also a useful bug check: a decrease means a "
               "mistake in the code (or rounding at convergence)."),
        steps=("final",),
    ),
    Section(
        key="local_optima",
        title="8 · Local optima",
        intro=("EM climbs, but it climbs the nearest hill. The log-likelihood of a mixture has many local maxima "
               "(and saddle points, for instance when two components are identical), and which one EM reaches "
               "depends entirely on where it starts. It is even unbounded above:"),
        formulas=(
            r"\mu_k = x_n,\; \Sigma_k = \varepsilon I,\; \varepsilon \to 0 \;\Rightarrow\; "
            r"\pi_k\, \mathcal{N}(x_n \mid \mu_k, \Sigma_k) \to \infty",
        ),
        outro=("so a component that collapses onto a single point 'wins' without describing anything; "
               "`reg_covar` keeps every variance away from zero. In practice one fits from several starts "
               "(k-means++ seeds, random points) and keeps the run with the highest log-likelihood; the "
               "*Bad initialisation trap* data set shows two clearly different optima."),
        page="pages/2_Several_initialisations.py",
    ),
)


def illustrating_steps(history: em_core.History, names) -> list[int]:
    """Step indices for the names used in :attr:`Section.steps`.

    ``"kmeans_assign"``: the second assignment if there is one (centroids have
    moved once), else the first; ``"kmeans_update"``: the update right after it;
    ``"first_e"``, ``"first_m"``: the first E- and M-step; ``"final"``: the last step.
    Names whose step is absent from this history (no k-means steps) are skipped.
    """
    out = []
    assigns = history.indices_of("kmeans_assign")
    for name in names:
        if name == "kmeans_assign" and assigns:
            out.append(assigns[1] if len(assigns) > 1 else assigns[0])
        elif name == "kmeans_update" and assigns:
            start = assigns[1] if len(assigns) > 1 else assigns[0]
            following = [i for i in history.indices_of("kmeans_update") if i > start]
            if following:
                out.append(following[0])
        elif name == "first_e":
            out.append(history.indices_of("e_step")[0])
        elif name == "first_m":
            out.append(history.indices_of("m_step")[0])
        elif name == "final":
            out.append(len(history) - 1)
    return out


def bound_table(history: em_core.History, max_rows: int = 9) -> pd.DataFrame:
    """Log-likelihood, Jensen lower bound and their gap for the first EM steps.

    Returns
    -------
    pandas.DataFrame
        Columns ``step``, ``what``, ``log-likelihood``, ``lower bound``, ``gap``,
        one row per step from the ``init`` step on (at most ``max_rows``).
    """
    rows = []
    for index in range(history.first_em_index, min(len(history), history.first_em_index + max_rows)):
        step = history[index]
        what = "start" if step.kind == "init" else f"iteration {step.iteration} · " + (
            "E-step" if step.kind == "e_step" else "M-step")
        rows.append((index, what, step.log_likelihood, step.lower_bound, step.log_likelihood - step.lower_bound))
    return pd.DataFrame(rows, columns=["step", "what", "log-likelihood", "lower bound", "gap"])


def monotonicity(history: em_core.History) -> tuple[float, int]:
    """Smallest log-likelihood change over the EM iterations and how many were decreases.

    Compares the log-likelihood after each M-step with the one before it (rounding-level
    decreases, below ``1e-9`` times the log-likelihood's size, do not count).

    Returns
    -------
    smallest_change : float
        ``nan`` when EM ran no iteration.
    n_decreases : int
    """
    values = history.log_likelihoods()[[history.first_em_index] + history.indices_of("m_step")]
    changes = np.diff(values)
    if changes.size == 0:
        return float("nan"), 0
    slack = 1e-9 * max(1.0, float(np.abs(values).max()))
    return float(changes.min()), int((changes < -slack).sum())
