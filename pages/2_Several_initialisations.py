"""Several initialisations: the same model from many starts, and the local optima EM can end in."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from emviz import compare, pagekit, ui
from emviz.fitting import INIT_LABELS

lecture, selection, options = pagekit.preamble()

st.title("Several initialisations, several answers")
st.markdown("Without regularisation (`reg_covar` = 0) no EM iteration can lower the log-likelihood; with "
            "`reg_covar` > 0 the M-step's Σ = S/Nₖ + εI is not the maximiser of the lower bound, and the "
            "likelihood can fall. From each start EM ends at a stationary point of the likelihood (a local maximum "
            "or, rarely, a saddle) of the basin it starts in, not necessarily the highest one. Fitting the same "
            "model from several starts and keeping the best run is the standard remedy. Each run below uses the "
            "sidebar's model and stopping settings with its own seed and initialisation method.")
ui.show_messages(selection)

# Defaults chosen so that the bad_init data set shows more than one optimum out of the box.
st.session_state.setdefault("restarts_n", 10)
st.session_state.setdefault("restarts_methods", ["kmeans", "random_points"])
st.session_state.setdefault("restarts_first_seed", 0)
controls = st.columns([1, 2, 1])
n_runs = controls[0].number_input("Runs M", 2, 30, step=1, key="restarts_n",
                                  help="How many fits to run; run i uses seed first seed + i − 1.")
chosen_methods = controls[1].multiselect(
    "Initialisation methods", [m for m in INIT_LABELS if m != "placed"], key="restarts_methods",
    format_func=INIT_LABELS.get,
    help="The runs take these methods in turn. Random data points as means fall into poor optima more often "
         "than k-means starts; the sidebar's k-means restarts also apply to k-means runs.")
first_seed = controls[2].number_input("First seed", 0, 2**31 - 100, step=1, key="restarts_first_seed",
                                      help="Seeds of the runs are this number, this number + 1, ...")
if not chosen_methods:
    st.warning("Choose at least one initialisation method.")
    st.stop()

plan = compare.restart_plan(int(n_runs), chosen_methods, int(first_seed))
jobs = {}
for i, (seed, init) in enumerate(plan):
    run_options = replace(options, seed=seed, init=init)
    if init not in ("kmeans", "kmeans++"):
        run_options = replace(run_options, n_init=1)  # restarts only mean something for k-means starts
    jobs[f"run {i + 1} ({init}, seed {seed})"] = run_options
histories = pagekit.fit_many(selection.X, jobs, noun="runs")
runs = [(seed, init, histories[label]) for label, (seed, init) in zip(jobs, plan) if label in histories]

table = compare.restarts_table(runs)
best = table[table["best"]].iloc[0]
n_optima = table["optimum"].nunique()
summary = (f"{len(runs)} runs ended in **{n_optima} different partition(s)**. The best run is run {best['run']} "
           f"({INIT_LABELS[best['init']]}, seed {best['seed']}) with log-likelihood {best['log_likelihood']:,.2f}.")
(st.warning if n_optima > 1 else st.success)(summary)

chart_col, table_col = (st.container(), st.container()) if lecture else st.columns([3, 2])
with chart_col:
    st.plotly_chart(compare.restarts_figure(table, lecture=lecture), key="restarts_chart",
                    config=pagekit.PLOT_CONFIG)
with table_col:
    shown = table.rename(columns={"log_likelihood": "log-likelihood", "per_point": "per point"})
    st.dataframe(shown, hide_index=True, key="restarts_table",
                 column_order=["run", "best", "optimum", "log-likelihood", "iterations", "init", "seed",
                               "converged", "per point"],
                 column_config={"log-likelihood": st.column_config.NumberColumn(format="%.2f"),
                                "per point": st.column_config.NumberColumn(format="%.4f"),
                                "best": st.column_config.CheckboxColumn(help="Highest final log-likelihood")})
    st.caption("Runs with the same *optimum* letter end in the same partition (ARI ≥ 0.95); A is the best. "
               "Runs stopped by the tolerance can differ slightly in log-likelihood within one optimum.")

st.header("Look at one run")
pick_col, picture_col = st.columns([1, 2])
with pick_col:
    run_number = st.selectbox(
        "Run", table["run"].tolist(), index=int(best["run"]) - 1,
        key=f"restarts_pick_{hash(tuple(table['log_likelihood'].round(6))) & 0xFFFFFF}",
        format_func=lambda r: (f"run {r} · {table.loc[r - 1, 'init']}, seed {table.loc[r - 1, 'seed']} · "
                               f"optimum {table.loc[r - 1, 'optimum']}" + (" (best)" if table.loc[r - 1, 'best']
                                                                           else "")),
        help="The run whose final fit is drawn on the right and opened in the explorer.")
    row = table.loc[run_number - 1]
    st.metric("Final log-likelihood", f"{row['log_likelihood']:,.2f}",
              delta=f"{row['log_likelihood'] - best['log_likelihood']:,.2f} vs best", delta_color="normal",
              help="Total log-likelihood of the data under this run's final parameters.")
    if st.button("Open in explorer", key="restarts_open", type="primary",
                 help="Show this run step by step in the explorer (sets the sidebar's seed and initialisation)."):
        pagekit.open_explorer(seed=int(row["seed"]), init=str(row["init"]))
with picture_col:
    history = runs[run_number - 1][2]
    pagekit.draw_step(history, -1, pagekit.make_view(history, selection), key="restarts_picture",
                      lecture=lecture)
