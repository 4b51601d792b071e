"""emviz · the step-through explorer: scrub every k-means and EM step of a Gaussian mixture fit.

The start page of ``app.py``'s navigation. This page is thin: widgets, the cached fit
and layout. The numbers come from ``em_core``, the pictures from
``emviz.figures`` and the words from ``emviz.explain``.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import NamedTuple

import streamlit as st

import em_core
from emviz import explain, export, figures, fitting, hand_edits, pagekit, placed_means, saved_fit, stepper, ui
from emviz.ellipse_levels import DEFAULT_LEVEL_KIND, ELLIPSE_LEVELS
from emviz.fitting import FitOptions
from emviz.settings import setting_for_key

lecture, selection, options = pagekit.preamble(saved_fits=True)
saved = selection.source == saved_fit.SAVED
if not saved:
    # Means moved by hand at a step (this session's, or the link's) make the run on screen an edited one.
    options = hand_edits.edited_options(options, selection.X, selection.feature_names)
STEPPER_KEY = "stepper"

OVERLAY_HELP = {
    "density": "Contours of the mixture's log-density at this step (for a projection: the exact density on the "
               "plotted plane).",
    "posterior": "Colour the plane by the responsibilities a point there would get: the regions each component "
                 "claims, blended where they share. During k-means: each centroid's Voronoi cell.",
    "beliefs": "A seeded sample of as many points as are drawn, from this step's mixture: what the model believes "
               "the data looks like. Early steps believe blobby nonsense; late steps resemble the data.",
}
st.sidebar.header("View")
d = selection.X.shape[1]
# One column is drawn as a histogram with density curves: there are no ellipses to choose levels for.
level_kind = DEFAULT_LEVEL_KIND if d == 1 else st.sidebar.radio(
                              "Ellipse levels", list(ELLIPSE_LEVELS), horizontal=True, key="level_kind",
                              format_func=lambda key: ELLIPSE_LEVELS[key].label,
                              help="Each ellipse encloses this share of its component's probability mass: "
                                   + "; ".join(f"{s.label} at Mahalanobis radii {s.radii_text}"
                                               for s in ELLIPSE_LEVELS.values())
                                   + ". 68.3 · 95.4 · 99.7 % are the shares within 1, 2 and 3 standard "
                                     "deviations in 1-D (a radius-1 ellipse holds only 39.3 %).")
color_mode = st.sidebar.radio("Colour points by", ["mix", "uncertainty"], horizontal=True, key="color_mode",
                              format_func={"mix": "responsibilities", "uncertainty": "uncertainty 1 − max γ"}.get,
                              help="Responsibility-weighted mix of component colours, or how unsure each point is.")
# Layers over the picture (2-D views only: a histogram already draws the density).
overlays = tuple(key for key, label in figures.OVERLAYS.items()
                 if d > 1 and st.sidebar.toggle(label.capitalize(), key=f"overlay_{key}", help=OVERLAY_HELP[key]))
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

# The header and (below) the hand-edit banner are one block each, whatever they hold: Streamlit names
# the explorer's fragment by its position on the page, and a fragment that moves is a new one (its chart
# mounted afresh, a report for the old one dropped as "does not exist anymore").
with st.container():
    if not lecture:
        # A compact header: at 1280x720 the chart must start on the first screen, so the data set's
        # teaching note folds under the one line that says what is fitted.
        st.title("EM for Gaussian mixtures, step by step")
        n_rows = selection.X.shape[0]
        sampled = (f" (fit on a {n_rows:,}-row sample of {selection.n_rows_in_file:,})"
                   if selection.n_rows_in_file else "")
        st.caption(f"**{selection.title}** · {n_rows:,} points{sampled} · {d} column{'s' if d > 1 else ''} · "
                   f"K = {options.n_components} · {options.covariance_type} covariances · seed {options.seed}")
        with st.expander("About this data set"):
            st.markdown(selection.note)
    ui.show_messages(selection)


def _chart_and_side():
    """Where the stepper and the side panel go: side by side, or (lecture mode) the panel below."""
    return (st.container(), st.container()) if lecture else st.columns([3, 2])


class Run(NamedTuple):
    """The fit on screen: its options, its history and the view that draws it."""

    options: FitOptions
    history: em_core.History
    view: figures.View
    fit_key: str


def _open(run_options: FitOptions, history) -> Run:
    """The fit as the page shows it; a new fit opens mid-way through EM (or at a step the page asked for)."""
    # Every shape of data has a view (1-D: histograms); the stepper, the animation and the exports dispatch on it.
    view = figures.make_view(history, mode=view_mode, columns=view_columns, column_names=selection.feature_names)
    fit_key = fitting.fit_key(selection.X, run_options)
    if st.session_state.get("fit_key") != fit_key:
        # A new fit starts mid-way through EM so the first screen shows colours and ellipses.
        st.session_state["fit_key"] = fit_key
        pending = st.session_state.pop("pending_step", None)
        st.session_state["step"] = pending if pending is not None and 0 <= pending < len(history) \
            else stepper.default_step(history)
        st.session_state["step_seq"] = st.session_state.get("step_seq", 0) + 1
    st.session_state["step"] = min(max(int(st.session_state.get("step", 0)), 0), len(history) - 1)
    return Run(run_options, history, view, fit_key)


# Fewer than K means placed: the chart is for placing them; EM runs once all K are there.
placing = options.init == "placed" and options.means_init is None and not saved
with st.spinner("Fitting the mixture…"):
    history = None if placing else pagekit.history_of(selection, options)


def _placement() -> None:
    """The stepper where it will stand once the fit is drawn: the same columns, the side one saying what to do."""
    ui.write_url(options, selection.source)
    chart_col, side_col = _chart_and_side()
    with chart_col:
        placed_means.placement_screen(selection, options.n_components, view_mode=view_mode,
                                      view_columns=view_columns, lecture=lecture, key=STEPPER_KEY,
                                      config=pagekit.PLOT_CONFIG)
    side_col.info(f"**Place the starting means.** {placed_means.START_SENTENCE} Or type exact numbers in the "
                  "sidebar's table of starting means.")


@st.fragment
def explorer() -> None:
    """The stepping component and what goes with it: reruns alone when the browser reports a step.

    Placing the means and stepping through the fit share this one fragment. When the K-th mean
    is placed, this fragment's rerun fits and draws the run's first step at once, in the chart the
    browser already has (a ``Plotly.react`` of the placement picture: a component moving out of or
    into a fragment is mounted anew); the rest of the page (the sidebar's table, the panels, the
    exports) follows in a full rerun that the browser asks for once the chart shows the step.
    """
    if st.session_state.pop("rerun_app", False):
        st.rerun(scope="app")
    if run is not None:
        _step_view(run)
        return
    means = placed_means.all_placed(options.n_components)
    if means is None:
        _placement()
        return
    placed = replace(options, means_init=means)  # as the sidebar's table will give them, on the full rerun
    _step_view(_open(placed, pagekit.fit_or_stop(selection.X, placed)), chart_only=True)
    st.session_state["rerun_app"] = True


banner = st.container()  # one block, edited run or not (see the header's)
if options.edits and not placing:
    before = pagekit.fit_or_stop(selection.X, replace(options, edits=options.edits[:-1]))
    banner.info(hand_edits.describe(before, options.edits[-1], selection.feature_names))
    back = banner.columns(2 if len(options.edits) > 1 else 1)
    if back[0].button("Back to the original run", key="edits_back", icon="↩️",
                      help="The run before any mean was moved by hand, at its default step."):
        hand_edits.go_back(0)
        st.session_state.pop("fit_key", None)
        st.rerun()
    if len(options.edits) > 1 and back[1].button("Back to the run before this edit", key="edits_undo",
                                                 help="Undo the last hand edit only."):
        hand_edits.go_back(len(options.edits) - 1)
        st.session_state.pop("fit_key", None)
        st.rerun()

run = None if placing else _open(options, history)
display_rows = figures.subsample_rows(selection.X.shape[0])  # None below figures.DISPLAY_CAP points


def _bound_panel(run: Run, index: int):
    """The bound along this step's iteration; its curves cost a pass per point, so they are cached per fit."""
    history = run.history
    m_index = figures.bound_path_iteration(history, index)
    if saved and m_index is not None:
        # The path's values are sums over every fitted row; a saved fit holds only a sample of them.
        return figures.bound_path_figure(history, index, lecture=lecture,
                                         unavailable="A saved fit holds a sample of its rows: the bound along θ "
                                                     "is a sum over every row.")
    try:
        curves = None if m_index is None else fitting.bound_curves(selection.X, run.options, history, m_index)
    except ValueError as singular:  # a collapsed component: the likelihood is unbounded, no path to draw
        return figures.bound_path_figure(history, index, lecture=lecture, unavailable=str(singular))
    return figures.bound_path_figure(history, index, lecture=lecture, curves=curves)


def _history_panel(figure_of):
    """A panel drawn from the history alone."""
    return lambda run, index: figure_of(run.history, index)


# Each chart panel: (run, step index) -> figure; the parameters are a table, not a chart.
PANELS = {"Log-likelihood": _history_panel(figures.loglik_figure), "Bound along θ": _bound_panel,
          "Mixing weights": _history_panel(figures.weights_figure),
          "k-means J": _history_panel(figures.kmeans_objective_figure), "Parameters": None}
st.session_state.setdefault("panel", "Log-likelihood")
st.session_state.setdefault("step_seq", 0)


def _browser_moved_step(run: Run) -> None:
    nav = stepper.reported(STEPPER_KEY, "nav")
    step = nav.get("step")
    # A report about what the browser showed before the options changed is stale.
    if nav.get("id") == st.session_state.get("frames_id") and isinstance(step, int) and 0 <= step < len(run.history):
        st.session_state["step"] = step


def _browser_edited(run: Run) -> None:
    report = stepper.reported(STEPPER_KEY, "edited")
    # Heard, taken or not: the browser sends an edit again until the page says so (see stepper_hands.js).
    st.session_state["edit_heard"] = stepper.heard(report)
    if report.get("id") != st.session_state.get("frames_id"):
        return  # made on a picture of other options: not this run's steps
    refused = hand_edits.take_report(report, run.history, run.view, run.options, selection.X)
    if refused:
        st.session_state["edit_refused"] = f"The edit was not used: {refused}."
        return
    # The edited run opens at its start, and the whole page follows it (the options changed).
    st.session_state["pending_step"] = 0
    st.session_state.pop("fit_key", None)
    st.session_state["rerun_app"] = True


def _browser_picked_point(run: Run) -> None:
    picked = stepper.reported(STEPPER_KEY, "picked")
    row = picked.get("row")
    if isinstance(row, int) and 0 <= row < run.history.n_samples:
        st.session_state["explain_row"] = row
        st.session_state["row_picked"] = True


# A fit whose component collapses onto points (the likelihood's singularity) can be shown beside the
# same start with the default reg_covar, which stops the runaway at a finite value.
REGULARISED = setting_for_key("reg_covar").default


def _collapses(run: Run) -> bool:
    return (not saved and run.options.reg_covar < REGULARISED
            and any("component_collapsing" in s.flags for s in run.history))


def _regularised_beside(run: Run, index: int) -> None:
    regularised = pagekit.fit_or_stop(selection.X, replace(run.options, reg_covar=REGULARISED))
    shown = min(index, len(regularised) - 1)
    left, right = st.columns(2)
    left.metric(f"Final log-likelihood, reg_covar = {run.options.reg_covar:g}",
                f"{run.history.final.log_likelihood:,.1f}")
    right.metric(f"Final log-likelihood, reg_covar = {REGULARISED:g}", f"{regularised.final.log_likelihood:,.1f}",
                 help="reg_covar adds ε to every variance, so no density can grow past 1/sqrt(2πε) per axis.")
    st.caption(f"The same start with reg_covar = {REGULARISED:g}, at step {shown} "
               f"({explain.step_title(regularised, shown)}): its collapsing component's variance stops at ε, "
               "so the log-likelihood stays finite.")
    pagekit.draw_step(regularised, shown, run.view, key="regularised_beside", lecture=lecture, height=460,
                      color_mode=color_mode)


def _step_view(run: Run, *, chart_only: bool = False) -> None:
    """Stepping component, panels and maths of the fitted run.

    The step slider is the component's own: a Streamlit slider beside it would be a second
    source of truth, and a fast click could race its stale value back to the server.
    ``chart_only``: the stepper alone, and the browser asks for a full rerun once it shows the
    step (the first step of a run started by placing the K-th mean, see :func:`explorer`).
    """
    if "edit_refused" in st.session_state:
        st.warning(st.session_state.pop("edit_refused"))
    history, view, run_options = run.history, run.view, run.options
    index = st.session_state["step"]
    ui.write_url(run_options, selection.source, index)
    hand_edits.write_link(run_options)
    # On a 1280x720 projector the picture must be on screen at once: in lecture mode the stepper
    # puts its words beside the chart, and the panels go below it.
    chart_col, side_col = _chart_and_side()

    step = history[index]
    row = int(st.session_state.get("explain_row", 0))
    selected_row = row if st.session_state.get("row_picked") else None
    frames_id = stepper.frames_key(run.fit_key, view_mode, view_columns, level_kind, color_mode, lecture,
                                   selected_row, figures.DISPLAY_CAP, tuple(selection.feature_names), overlays)
    build = functools.partial(stepper.step_content, history=history, view=view, level_kind=level_kind,
                              color_mode=color_mode, display_rows=display_rows, selected_row=selected_row,
                              lecture=lecture, column_names=selection.feature_names, overlays=overlays,
                              overlay_seed=run_options.seed)
    store = stepper.frame_store(frames_id, build, len(history))
    st.session_state["frames_id"] = frames_id
    with chart_col:
        stepper.stepper(store, frames_id, step=index, seq=st.session_state["step_seq"], key=STEPPER_KEY,
                        config=pagekit.PLOT_CONFIG, lecture=lecture,
                        on_step=functools.partial(_browser_moved_step, run),
                        on_pick=functools.partial(_browser_picked_point, run), dims=1 if view.is_1d else 2,
                        on_edited=None if saved else functools.partial(_browser_edited, run),
                        edit_heard=st.session_state.get("edit_heard"),
                        resizable=run_options.covariance_type == "full" and not view.is_1d, follow=chart_only)
    if chart_only:
        side_col.caption("EM ran from the placed means; the panels follow.")
        return
    with side_col:
        # One panel at a time: tabs would redraw every hidden chart on every step.
        panel = st.radio("Panel", list(PANELS), key="panel", horizontal=True, label_visibility="collapsed",
                         help="What to show beside the picture, synchronised with the step.")
        if panel == "Parameters":
            st.dataframe(figures.parameters_table(history, index, column_names=selection.feature_names),
                         hide_index=True)
        else:
            st.plotly_chart(PANELS[panel or "Log-likelihood"](run, index), key="panel_chart")

    if _collapses(run) and st.toggle(f"Beside it: the same start with reg_covar = {REGULARISED:g}",
                                     key="show_regularised",
                                     help="A component of this fit collapses onto points and its likelihood runs "
                                          "away. The same data, start and seed with the default reg_covar, at the "
                                          "same step."):
        _regularised_beside(run, index)

    with st.expander("The maths of this step, with its numbers", expanded=not lecture):
        for formula in explain.step_formulas(history, index):
            st.latex(formula)
        if step.kind in ("m_step", "init"):
            st.latex(explain.m_step_numbers(history, index))
        if not step.is_kmeans:
            st.number_input("Point to explain (row)", 0, history.n_samples - 1, key="explain_row",
                            on_change=lambda: st.session_state.__setitem__("row_picked", True),
                            help="Or click a point in the chart.")
            for heading, lines in explain.point_arithmetic(history, index, int(st.session_state["explain_row"])):
                st.caption(heading)
                for line in lines:
                    st.latex(line)

    # Downloads never rerun the page: a rerun raced the browser's request for the deferred file
    # and could leave the button spinning (about 1 in 40 downloads).
    st.download_button("Responsibilities of this step (CSV)",
                       data=lambda: export.responsibilities_csv(history, index, selection.row_numbers),
                       file_name=f"responsibilities_step{index}.csv", mime="text/csv",
                       help="γ of every point at this step, one row per point.", on_click="ignore")


def _replay_and_export(run: Run) -> None:
    """The animation and the downloads of the run on screen."""
    history, view, run_options = run.history, run.view, run.options
    st.divider()
    st.subheader("Replay and export")
    if st.toggle("Show the client-side animation", key="show_animation",
                 help="Every step sent once to your browser; its own slider and Play button run without the "
                      "server."):
        with st.spinner("Building one frame per step…"):
            animated = fitting.animation(selection.X, run_options, history, view, level_kind=level_kind,
                                         lecture=lecture)
        st.plotly_chart(animated, key="animation_chart")
    cols = st.columns(4)
    cols[3].download_button("Download history (.emviz)",
                            data=lambda: saved_fit.emviz_bytes(history, selection.feature_names),
                            file_name="emviz_fit.emviz", mime="application/zip",
                            help="The whole history and a display sample in one file: upload it later (here, in "
                                 "the sidebar) to scrub this fit again. See docs/saved_fit_format.md.",
                            on_click="ignore")
    cols[0].download_button("Download HTML animation",
                            data=lambda: fitting.animation_html(selection.X, run_options, history, view),
                            file_name="emviz_animation.html", mime="text/html",
                            help="One self-contained file that replays every step offline.", on_click="ignore")
    cols[1].download_button("Download history (CSV)",
                            data=lambda: export.history_csv(history, selection.feature_names),
                            file_name="emviz_history.csv", mime="text/csv",
                            help="Every step's weights, means, covariances and log-likelihood.",
                            on_click="ignore")
    cols[2].download_button("Download history (JSON)",
                            data=lambda: export.history_json(history, selection.feature_names),
                            file_name="emviz_history.json", mime="application/json",
                            help="Every step's parameters in scikit-learn's array shapes, with the fit's options.",
                            on_click="ignore")


explorer()
# While placing, the page ends here, normally: st.stop() would also drop a click reported meanwhile
# (a fragment rerun queued behind this run), and the K-th mean's click would then never start EM.
if run is not None:
    _replay_and_export(run)
