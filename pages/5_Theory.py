"""Theory: k-means, the Gaussian mixture and EM, taught with the app's own pictures of your data."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from emviz import explain, figures, fitting, pagekit, theory, ui

lecture, selection, options = pagekit.preamble()

st.title("The theory behind the pictures")
st.markdown(f"Every picture on this page is a step of the fit the explorer shows for **{selection.title}** "
            f"(K = {options.n_components}, {options.covariance_type} covariances, seed {options.seed}); change "
            "the data or the model in the sidebar and the pictures follow. Each section has a button that opens "
            "the explorer at the step it talks about.")
st.markdown(theory.NOTATION)
ui.show_messages(selection)

history = pagekit.fit_or_stop(selection.X, options)
kmeans_options = options if options.init == "kmeans" else replace(options, init="kmeans")
kmeans_history = pagekit.fit_or_stop(selection.X, kmeans_options)
views = {id(history): pagekit.make_view(history, selection)}
if kmeans_history is not history:
    views[id(kmeans_history)] = pagekit.make_view(kmeans_history, selection)
picture_height = 560 if lecture else 460

for section in theory.SECTIONS:
    st.header(section.title, anchor=section.key)
    st.markdown(section.intro)
    for formula in section.formulas:
        st.latex(formula)
    st.markdown(section.outro)
    if section.key == "m_step":
        st.markdown(f"With **{options.covariance_type}** covariances (the sidebar's choice), including "
                    "`reg_covar` $\\varepsilon$, the covariance update the app computes is:")
        st.latex(explain.COVARIANCE_LATEX[options.covariance_type])

    source = kmeans_history if section.needs_kmeans else history
    indices = theory.illustrating_steps(source, section.steps)
    actions = None  # where the explorer button and the page link go
    if section.key == "jensen":
        st.dataframe(theory.bound_table(history), hide_index=True, key="theory_bound_table",
                     column_config={c: st.column_config.NumberColumn(format="%.4f")
                                    for c in ("log-likelihood", "lower bound", "gap")})
    elif section.key == "monotone":
        smallest, decreases = theory.monotonicity(history)
        chart_col, actions = st.columns([3, 2])
        chart_col.plotly_chart(figures.loglik_figure(history, len(history) - 1, lecture=lecture),
                               key="theory_loglik", config=pagekit.PLOT_CONFIG)
        if history.indices_of("m_step"):
            # The chain of inequalities drawn on this fit: the first iteration's bound along a path θ(t).
            first_m = history.indices_of("m_step")[0]
            try:
                bound_figure = figures.bound_path_figure(
                    history, first_m, lecture=lecture, curves=fitting.bound_curves(selection.X, options, history, first_m))
            except ValueError as singular:  # a collapsed component: nothing to draw, say why
                bound_figure = figures.bound_path_figure(history, first_m, lecture=lecture, unavailable=str(singular))
            chart_col.plotly_chart(bound_figure, key="theory_bound_path", config=pagekit.PLOT_CONFIG)
            chart_col.caption("The first iteration of this fit. The bound (dashed) touches the log-likelihood at "
                              "t = 0, where the E-step made q the posterior; the M-step moves θ to the bound's "
                              "highest point, t = 1; the log-likelihood there lies above the bound by "
                              "KL(q ‖ posterior), so it rose at least as much as the bound did.")
        if history.n_iter == 0 or smallest != smallest:
            actions.info("EM ran no iteration in this fit.")
        elif decreases == 0:
            actions.success(f"In this fit the log-likelihood never went down over {history.n_iter} iteration(s); "
                            f"the smallest change was {smallest:+.3g}.")
        elif options.reg_covar > 0:
            actions.info(f"{decreases} iteration(s) lowered the log-likelihood (smallest change {smallest:+.3g}): "
                         f"regularised M-steps. With reg_covar = {options.reg_covar:g} the M-step is not the "
                         "bound's exact maximiser, so the guarantee above does not hold.")
        else:
            actions.warning(f"{decreases} iteration(s) lowered the log-likelihood (smallest change "
                            f"{smallest:+.3g}) without regularisation: beyond rounding, that would be a bug "
                            "worth reporting.")
        demo = theory.REGULARISED_DECREASE_DEMO
        if actions.button("Show a regularised decrease", key="theory_regularised_demo",
                          help="Opens the explorer on the mouse, K = 3, tied covariances, seed 0, reg_covar = 0.1, "
                               "at the first M-step: every iteration of that fit lowers the log-likelihood."):
            demo_options = replace(options, **{k: v for k, v in demo.items() if k != "dataset"})
            demo_history = pagekit.fit_or_stop(ui.dataset_matrix(demo["dataset"]), demo_options)
            pagekit.open_explorer(step=demo_history.indices_of("m_step")[0], **demo)
    elif indices:
        color_mode = "uncertainty" if section.key == "latent" else "mix"
        if len(indices) == 1 and not lecture:
            picture_cols = st.columns([3, 2])
            actions = picture_cols[1]
        else:
            picture_cols = st.columns(len(indices))
        for column, index in zip(picture_cols, indices):
            with column:
                pagekit.draw_step(source, index, views[id(source)], key=f"theory_{section.key}_{index}",
                                  lecture=lecture, height=picture_height, color_mode=color_mode)
    if actions is None:
        actions = st.container()

    if indices or section.key == "monotone":
        target = indices[0] if indices else len(history) - 1
        overrides = {"init": "kmeans"} if section.needs_kmeans and options.init != "kmeans" else {}
        if actions.button("Open the explorer at this step", key=f"theory_open_{section.key}",
                          help=f"Switch to the explorer at step {target} of this fit"
                               + (" (with the k-means initialisation)" if overrides else "") + "."):
            pagekit.open_explorer(step=target, **overrides)
    if section.key in theory.SECTION_DEMOS:
        label, demo = theory.SECTION_DEMOS[section.key]
        if actions.button(label, key=f"theory_demo_{section.key}", help="Opens the explorer set up to show this."):
            step = None
            if "dataset" in demo:
                demo_options = replace(options, **{k: v for k, v in demo.items() if k != "dataset"})
                step = theory.demo_step(pagekit.fit_or_stop(ui.dataset_matrix(demo["dataset"]), demo_options))
            pagekit.open_explorer(step=step, **demo)
    if section.key == "local_optima":
        actions.caption(theory.BAD_START_SENTENCE)
        if actions.button("Start from two means in one ear", key="theory_bad_start",
                          help="Opens the explorer with the means placed by hand (init 'place the means yourself') "
                               "at the start; Play shows where EM ends."):
            pagekit.open_explorer(step=0, **theory.BAD_START_DEMO)
    if section.page is not None:
        actions.page_link(section.page, label="See it on its own page", icon="➡️",
                          help="A whole page on this idea, on the same data.")
    st.divider()
