"""Choose K: BIC and AIC over the number of components and the covariance type."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from emviz import compare, pagekit, ui
from emviz.fitting import COVARIANCE_LABELS

lecture, selection, options = pagekit.preamble()
n_samples = selection.X.shape[0]

st.title("How many components?")
st.markdown("The best log-likelihood a mixture can reach never falls as K grows (a K-component mixture can copy "
            "any fit with fewer components by splitting one component into two identical halves), so the "
            "log-likelihood alone cannot choose K. EM from one start need not reach that best fit: a cell whose "
            "log-likelihood is below that of a smaller K of the same covariance type is marked ✕ in the chart and "
            f"noted in the table ({compare.WORSE_OPTIMUM}). Information "
            "criteria charge for every free parameter *p*: the Bayesian criterion "
            "BIC = −2 log L + p log N and Akaike's AIC = −2 log L + 2p. Lower is better; BIC's heavier charge "
            "usually picks fewer components. Every cell of the grid is a full EM fit with the sidebar's "
            "initialisation, seed and stopping settings (its K and covariance type are replaced by the grid's).")
ui.show_messages(selection)

largest = int(min(10, n_samples))
st.session_state.setdefault("choosek_kmax", min(6, largest))
st.session_state["choosek_kmax"] = min(int(st.session_state["choosek_kmax"]), largest)
st.session_state.setdefault("choosek_types", list(COVARIANCE_LABELS))
st.session_state.setdefault("choosek_criterion", "BIC")
controls = st.columns([1, 2, 1])
k_max = controls[0].number_input("Largest K", 1, largest, step=1, key="choosek_kmax",
                                 help="Fit every K from 1 up to this number (at most the number of points).")
types = controls[1].multiselect("Covariance types", list(COVARIANCE_LABELS), key="choosek_types",
                                format_func=COVARIANCE_LABELS.get,
                                help="One line per covariance type: how freely each component's ellipse may "
                                     "be shaped. Freer shapes cost more parameters.")
criterion = controls[2].radio("Choose by", compare.CRITERIA, key="choosek_criterion", horizontal=True,
                              help="Which criterion picks the model drawn below.")
if not types:
    st.warning("Choose at least one covariance type.")
    st.stop()

cells = [(cov, k) for cov in types for k in range(1, int(k_max) + 1)]
fitted = pagekit.fit_many(
    selection.X, {f"K = {k}, {cov}": replace(options, n_components=k, covariance_type=cov) for cov, k in cells},
    noun="models")
histories = {(cov, k): fitted[f"K = {k}, {cov}"] for cov, k in cells if f"K = {k}, {cov}" in fitted}

grid = compare.criteria_grid(histories)
best = compare.best_model(grid, criterion)
other = compare.best_model(grid, "AIC" if criterion == "BIC" else "BIC")
st.success(f"Lowest {criterion}: **K = {best['K']}, {best['covariance_type']} covariances** "
           f"({criterion} {best[criterion]:,.1f}). The other criterion prefers K = {other['K']}, "
           f"{other['covariance_type']}.")
st.plotly_chart(compare.criteria_figure(grid, lecture=lecture), key="choosek_chart", config=pagekit.PLOT_CONFIG)

picture_col, table_col = (st.container(), st.container()) if lecture else st.columns([3, 2])
with picture_col:
    st.header(f"The chosen model: K = {best['K']}, {best['covariance_type']}")
    chosen = histories[(best["covariance_type"], int(best["K"]))]
    pagekit.draw_step(chosen, -1, pagekit.make_view(chosen, selection), key="choosek_picture", lecture=lecture)
    if st.button("Open in explorer", key="choosek_open",
                 help="Step through the chosen model in the explorer (sets the sidebar's K and covariance type)."):
        pagekit.open_explorer(n_components=int(best["K"]), covariance_type=str(best["covariance_type"]))
with table_col:
    st.header("Every fit")
    st.dataframe(grid.rename(columns={"covariance_type": "covariance", "log_likelihood": "log-likelihood",
                                      "n_parameters": "parameters p"}),
                 hide_index=True, key="choosek_table",
                 column_order=["covariance", "K", "BIC", "AIC", "log-likelihood", "parameters p", "iterations",
                               "converged", "note"],
                 column_config={c: st.column_config.NumberColumn(format="%.1f")
                                for c in ("log-likelihood", "BIC", "AIC")})
    if grid["worse_than_fewer"].any():
        st.caption("Marked fits ended below a fit with fewer components of the same covariance type, which the best "
                   "fit with more components never does: EM stopped in a worse local optimum there. More k-means "
                   "restarts (sidebar) or another seed may find a better one; the Several initialisations page "
                   "compares many starts.")
    if not grid["converged"].all():
        st.caption("Some fits stopped at the iteration limit before converging; their criteria are slightly "
                   "pessimistic. Raise *Max EM iterations* in the sidebar if the choice looks borderline.")
