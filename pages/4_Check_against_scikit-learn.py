"""Check against scikit-learn: the same EM, from the same start, in sklearn.mixture.GaussianMixture."""

from __future__ import annotations

import streamlit as st

from emviz import pagekit, sklearn_check, ui

lecture, selection, options = pagekit.preamble()

st.title("Check against scikit-learn")
st.markdown("emviz's EM is written by hand in `em_core` (numpy and scipy only). Here the same data is fitted again "
            "with `sklearn.mixture.GaussianMixture`, started from **our initial parameters** (weights, means and "
            "precisions, the inverse covariances) and run for **exactly as many iterations** as ours "
            "(`max_iter` = our iterations, `tol = 0`). Two correct implementations must then agree to rounding "
            "error. Components are paired by the distance between their means.")
ui.show_messages(selection)

history = pagekit.fit_or_stop(selection.X, options)
try:
    model = sklearn_check.fit_sklearn_like(history)
    result = sklearn_check.compare_with_sklearn(history, model, selection.feature_names)
except ValueError as err:
    st.error(f"scikit-learn could not fit this start: {err}")
    st.stop()

worst = float(result.summary["max_rel_diff"].max())
verdict = (st.success if worst < 1e-6 else st.warning)
verdict(f"Largest relative difference over all parameters and the log-likelihood: **{worst:.1e}** "
        + ("(agreement to rounding error)." if worst < 1e-6 else
           "(larger than rounding error: see the tables below; a component frozen with no points, or a "
           "covariance at the reg_covar floor, can make the two implementations part ways)."))
# Two to a row: a log-likelihood to six decimals (the point of this page) is too wide for a quarter row,
# where st.metric cut it to "-1,412.090…".
metrics = [*st.columns(2), *st.columns(2)]
metrics[0].metric("Log-likelihood, ours", f"{result.log_likelihood_ours:,.6f}",
                  help="Total log-likelihood of the data under our final parameters.")
metrics[1].metric("Log-likelihood, scikit-learn", f"{result.log_likelihood_sklearn:,.6f}",
                  help="score(X) × N of scikit-learn's final model.")
metrics[2].metric("ARI between the labelings", f"{result.ari:.4f}",
                  help="Adjusted Rand index of the two final hard labelings (1 = the same partition).")
metrics[3].metric("EM iterations", f"{result.iterations_ours} / {result.iterations_sklearn}",
                  help="Ours / scikit-learn's n_iter_. They must be equal: sklearn runs max_iter = ours with tol = 0.")

st.header("Differences")
st.dataframe(result.summary.rename(columns={"max_abs_diff": "max |ours − sklearn|",
                                            "max_rel_diff": "relative (÷ max |ours|)"}),
             hide_index=True, key="sk_summary",
             column_config={c: st.column_config.NumberColumn(format="%.2e")
                            for c in ("max |ours − sklearn|", "relative (÷ max |ours|)")})
st.caption(f"{options.covariance_type} covariances, K = {history.n_components}, reg_covar = {options.reg_covar:g}, "
           f"started from our '{history.init}' initialisation (seed {options.seed}).")

st.header("Side by side")
tabs = st.tabs(["Weights", "Means", "Covariances"])
number = st.column_config.NumberColumn(format="%.6g")
difference = st.column_config.NumberColumn(format="%.2e")
for tab, name, frame in zip(tabs, ("weights", "means", "covariances"),
                            (result.weights, result.means, result.covariances)):
    tab.dataframe(frame, key=f"sk_{name}",
                  column_config={"ours": number, "scikit-learn": number, "difference": difference})
