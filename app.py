"""emviz · the step-through explorer: scrub every k-means and EM step of a Gaussian mixture fit.

Run with ``streamlit run app.py``. This page is thin: widgets, the cached fit
and layout. The numbers come from ``em_core``, the pictures from
``emviz.figures`` and the words from ``emviz.explain``.
"""

from __future__ import annotations

import time

import numpy as np

import streamlit as st

from emviz import explain, export, figures, fitting, pagekit, ui
from emviz.layout import lecture_toggle

st.set_page_config(page_title="emviz · EM step by step", page_icon="◎", layout="wide")

selection = ui.data_sidebar()
lecture = lecture_toggle()
selection = pagekit.require_selection(selection)
options = ui.options_sidebar(selection)

st.sidebar.header("View")
level_kind = st.sidebar.radio("Ellipse levels", ["sigma", "mass"], horizontal=True, key="level_kind",
                              format_func={"sigma": "1σ · 2σ · 3σ", "mass": "50% · 90% · 95%"}.get,
                              help="Each ellipse encloses this much of its component's probability mass.")
color_mode = st.sidebar.radio("Colour points by", ["mix", "uncertainty"], horizontal=True, key="color_mode",
                              format_func={"mix": "responsibilities", "uncertainty": "uncertainty 1 − max γ"}.get,
                              help="Responsibility-weighted mix of component colours, or how unsure each point is.")
d = selection.X.shape[1]
view_mode, view_columns = "columns", (0, min(1, d - 1))
if d > 2:
    view_mode = st.sidebar.radio("Project onto", ["pca", "columns"], horizontal=True, key="view_mode",
                                 format_func={"pca": "first two principal axes", "columns": "two columns"}.get,
                                 help="The fit uses every chosen column; this only changes the picture.")
    if view_mode == "columns":
        first = st.sidebar.selectbox("Horizontal axis", range(d), format_func=lambda j: selection.feature_names[j],
                                     key="view_x", help="Column drawn left to right.")
        second = st.sidebar.selectbox("Vertical axis", range(d), index=1,
                                      format_func=lambda j: selection.feature_names[j], key="view_y",
                                      help="Column drawn bottom to top.")
        view_columns = (first, second) if first != second else (first, (first + 1) % d)

if not lecture:
    st.title("EM for Gaussian mixtures, step by step")
    st.caption(f"**{selection.title}** · {selection.X.shape[0]:,} points · {d} column(s) · K = "
               f"{options.n_components} · {options.covariance_type} covariances · seed {options.seed} — "
               f"{selection.note}")
ui.show_messages(selection)

with st.spinner("Fitting the mixture…"):
    history = pagekit.fit_or_stop(selection.X, options)

view = figures.make_view(history, mode=view_mode, columns=view_columns, column_names=selection.feature_names) \
    if d > 1 else None
fit_key = (fitting.data_digest(selection.X), options)
if st.session_state.get("fit_key") != fit_key:
    # A new fit starts mid-way through EM so the first screen shows colours and ellipses.
    st.session_state["fit_key"] = fit_key
    m_steps = history.indices_of("m_step")
    default = m_steps[min(len(m_steps) - 1, max(0, history.n_iter // 2 - 1))] if m_steps else len(history) - 1
    pending = st.session_state.pop("pending_step", None)
    st.session_state["step"] = pending if pending is not None and 0 <= pending < len(history) else default
    st.session_state["playing"] = False
last = len(history) - 1
# The fit uses every row; the picture shows a fixed, seeded sample above this many points so that
# stepping stays instant (the figure says how many it shows).
DISPLAY_CAP = 10_000
display_rows = None
if selection.X.shape[0] > DISPLAY_CAP:
    display_rows = np.sort(np.random.default_rng(0).choice(selection.X.shape[0], DISPLAY_CAP, replace=False))
st.session_state["step"] = min(max(int(st.session_state.get("step", 0)), 0), last)


PANELS = {"Log-likelihood": figures.loglik_figure, "Mixing weights": figures.weights_figure,
          "k-means J": figures.kmeans_objective_figure, "Parameters": None}
st.session_state.setdefault("panel", "Log-likelihood")


def _go(target: int) -> None:
    st.session_state["step"] = min(max(target, 0), last)


def _toggle_play() -> None:
    st.session_state["playing"] = not st.session_state.get("playing", False)
    if st.session_state["playing"] and st.session_state["step"] >= last:
        st.session_state["step"] = 0
    st.session_state["last_tick"] = time.monotonic()


st.session_state.setdefault("speed", 0.8)
speed = st.session_state["speed"]
run_every = speed if st.session_state.get("playing") else None


@st.fragment(run_every=run_every)
def explorer() -> None:
    """Navigation, caption, picture and panels: reruns alone when stepping."""
    if st.session_state.get("playing"):
        now = time.monotonic()
        if now - st.session_state.get("last_tick", 0.0) >= 0.9 * speed:
            st.session_state["last_tick"] = now
            if st.session_state["step"] >= last:
                st.session_state["playing"] = False
            else:
                st.session_state["step"] += 1
    wanted_timer = st.session_state["speed"] if st.session_state.get("playing") else None
    if wanted_timer != run_every:
        # Play, Pause, the last step or a new speed: the fragment's timer is fixed when the whole
        # script defines it, so only a full rerun can start, stop or retime it.
        st.rerun(scope="app")
    index = st.session_state["step"]

    nav = st.columns([1, 1, 1, 1, 1.2, 1.4])
    nav[0].button("First", on_click=_go, args=(0,), shortcut="Home", width="stretch",
                  help="Back to the first recorded step (Home key).")
    nav[1].button("Previous", on_click=_go, args=(index - 1,), shortcut="Left", width="stretch",
                  disabled=index == 0, help="One step back (← key).")
    nav[2].button("Next", on_click=_go, args=(index + 1,), shortcut="Right", width="stretch",
                  disabled=index == last, help="One step forward (→ key).")
    nav[3].button("Last", on_click=_go, args=(last,), shortcut="End", width="stretch",
                  help="Jump to the final fit (End key).")
    nav[4].button("Pause" if st.session_state.get("playing") else "Play", on_click=_toggle_play,
                  width="stretch", help="Advance through the steps by itself.")
    nav[5].select_slider("Speed", options=[2.0, 1.2, 0.8, 0.5, 0.3], key="speed", label_visibility="collapsed",
                         format_func=lambda s: f"{s:g} s per step", help="Time per step while playing.")
    st.slider("Step", 0, last, key="step", label_visibility="collapsed" if lecture else "visible", help="Every recorded step: k-means rounds, the initial parameters, "
                                                "then each E-step and M-step.")
    ui.write_url(options, selection.source, index)

    step = history[index]
    # On a 1280x720 projector the picture must be on screen at once: in lecture mode the words
    # move beside it instead of above it.
    text_area = st.container()
    chart_col, side_col = st.columns([3, 2])
    with side_col if lecture else text_area:
        st.subheader(explain.step_title(history, index))
        st.markdown(explain.step_caption(history, index))
        for sentence in explain.flag_sentences(step):
            (st.success if sentence.startswith("Converged") else st.warning)(sentence)
    row = st.session_state.get("explain_row", 0)
    with chart_col:
        if view is None:
            fig = figures.histogram_figure(history, index, lecture=lecture, display_rows=display_rows)
        else:
            fig = figures.step_figure(history, index, view, level_kind=level_kind, color_mode=color_mode,
                                      display_rows=display_rows,
                                      selected_row=row if st.session_state.get("row_picked") else None,
                                      lecture=lecture, column_names=selection.feature_names)
        if lecture:
            # The step's title stands beside the chart; its room goes to the picture.
            fig.update_layout(title=None, height=560, margin={"t": 40})
        event = st.plotly_chart(fig, key="main_chart", on_select="rerun", selection_mode="points",
                                config=pagekit.PLOT_CONFIG)
        picked = figures.selected_row_from_event(event)
        if picked is not None and picked != row:
            st.session_state["explain_row"] = picked
            st.session_state["row_picked"] = True
            st.rerun(scope="fragment")
    with side_col:
        # One panel at a time: tabs would redraw every hidden chart on every step.
        panel = st.radio("Panel", list(PANELS), key="panel", horizontal=True, label_visibility="collapsed",
                         help="What to show beside the picture, synchronised with the step.")
        if panel == "Parameters":
            st.dataframe(figures.parameters_table(history, index, column_names=selection.feature_names),
                         hide_index=True)
        else:
            st.plotly_chart(PANELS[panel or "Log-likelihood"](history, index), key="panel_chart")

    with st.expander("The maths of this step, with its numbers", expanded=not lecture):
        st.latex(explain.step_formula(step.kind))
        if step.kind in ("m_step", "init"):
            st.latex(explain.m_step_numbers(history, index))
        if not step.is_kmeans:
            st.number_input("Point to explain (row)", 0, history.n_samples - 1, key="explain_row",
                            on_change=lambda: st.session_state.__setitem__("row_picked", True),
                            help="Or click a point in the chart.")
            st.caption("E-step arithmetic for this point with this step's parameters:")
            for line in explain.point_arithmetic(history, index, int(st.session_state["explain_row"])):
                st.latex(line)

    dl = st.columns(3)
    dl[0].download_button("Responsibilities of this step (CSV)",
                          data=lambda: export.responsibilities_csv(history, index, selection.row_numbers),
                          file_name=f"responsibilities_step{index}.csv", mime="text/csv",
                          help="γ of every point at this step, one row per point.")


explorer()

st.divider()
st.subheader("Replay and export")
if view is not None and st.toggle("Show the client-side animation", key="show_animation",
                                  help="Every step sent once to your browser; its own slider and Play button "
                                       "run without the server."):
    with st.spinner("Building one frame per step…"):
        animated = fitting.animation(selection.X, options, history, view, level_kind=level_kind, lecture=lecture)
    st.plotly_chart(animated, key="animation_chart")
cols = st.columns(3)
if view is not None:
    cols[0].download_button("Download HTML animation",
                            data=lambda: fitting.animation_html(selection.X, options, history, view),
                            file_name="emviz_animation.html", mime="text/html",
                            help="One self-contained file that replays every step offline.")
cols[1].download_button("Download history (CSV)", data=lambda: export.history_csv(history, selection.feature_names),
                        file_name="emviz_history.csv", mime="text/csv",
                        help="Every step's weights, means, covariances and log-likelihood.")
cols[2].download_button("Download history (JSON)",
                        data=lambda: export.history_json(history, selection.feature_names),
                        file_name="emviz_history.json", mime="application/json",
                        help="Every step's parameters in scikit-learn's array shapes, with the fit's options.")
