"""Small Streamlit helpers shared by the comparison and theory pages.

The pages stay thin: they call these for the repetitive parts (no data, a fit
that fails, drawing one step, jumping to the explorer) and keep only their own
layout. Numbers and figures come from ``emviz.compare`` and ``emviz.figures``.
"""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

import em_core

from . import drawing, figures, fitting, saved_fit, ui
from .fitting import FitOptions
from .layout import lecture_toggle
from .ui import DataSelection

EXPLORER = "pages/explorer.py"
PLOT_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


class PageStart(NamedTuple):
    """What every page starts from: lecture mode, the data and the fit options chosen in the sidebar.

    A named tuple, so a page unpacks it in one line: ``lecture, selection, options = preamble()``.
    """

    lecture: bool
    selection: DataSelection
    options: FitOptions


def preamble(*, saved_fits: bool = False) -> PageStart:
    """The start every page shares: the lecture toggle, then the data and model sidebars.

    Stops the page with an explanation when no usable data is loaded, or when a
    saved fit is loaded and the page refits the data (``saved_fits=False``): a
    saved fit carries its steps and a display sample, not the data.

    With "Draw your own" as the data source, the canvas comes first, at the top of the
    main area; the page goes on with the drawn points once there are at least K + 1 of
    them (fewer: a message says so and the page stops, the drawing is kept).
    """
    lecture = lecture_toggle()
    selection = require_selection(ui.data_sidebar())
    options = ui.options_sidebar(selection)
    if selection.source == ui.DRAWN and not drawing.canvas(options.n_components, lecture=lecture):
        ui.show_messages(selection)  # a link's refused values: the page stops before it would show them
        ui.write_url(options, selection.source)  # a drawing too small to fit still travels in the link
        stop_page()
    if selection.source == saved_fit.SAVED and not saved_fits:
        st.info("A saved fit is loaded: it holds every step of its fit and a display sample, not the data this "
                "page fits again. Step through it in the **Explorer**, or pick a data set or a CSV in the sidebar.")
        st.page_link(EXPLORER, label="Open the explorer", icon="➡️")
        st.stop()
    return PageStart(lecture, selection, options)


def stop_page() -> None:
    """``st.stop()``, after forgetting the fragments of the run before this one.

    Streamlit drops the fragments a run did not register only when the script ends
    normally, not when it stops. The explorer's stepper (a fragment) keeps asking for steps
    while it is on screen; such a request, racing a rerun that replaces the explorer with
    a page that stops early (a drawing still too small to fit), would then run the old
    fragment into containers this page no longer has, and the browser fails with "Bad
    delta path index". About one switch in four did, here.
    """
    ctx = get_script_run_ctx()
    if ctx is not None and not ctx.fragment_ids_this_run:  # a full run: its own fragments are the new ones
        ctx.fragment_storage.clear(new_fragment_ids=frozenset(ctx.shared.new_fragment_ids.snapshot()))
    st.stop()


def history_of(selection: DataSelection, options: FitOptions) -> em_core.History:
    """The history to show: a saved fit's own, else the (cached) fit of the selection's data."""
    if selection.source == saved_fit.SAVED:
        return saved_fit.load(st.session_state["upload_bytes"])
    return fit_or_stop(selection.X, options)


def require_selection(selection: DataSelection | None) -> DataSelection:
    """The selection, or an explanation and a stop when nothing usable is loaded."""
    if selection is None:
        st.info("Pick a built-in data set in the sidebar, or upload a CSV with at least one numeric column.")
        st.stop()
    return selection


def fit_or_stop(X, options: FitOptions) -> em_core.History:
    """``fitting.fit`` (cached), or a plain error message and a stop instead of a traceback."""
    try:
        return fitting.fit(X, options)
    except ValueError as err:
        st.error(f"The fit could not run: {err}")
        st.stop()


def make_view(history: em_core.History, selection: DataSelection) -> figures.View:
    """The explorer's default view: the two columns, the first two principal axes beyond 2-D, a histogram in 1-D."""
    mode = "pca" if selection.X.shape[1] > 2 else "columns"
    return figures.make_view(history, mode=mode, columns=(0, min(1, selection.X.shape[1] - 1)),
                             column_names=selection.feature_names)


def draw_step(history: em_core.History, index: int, view: figures.View, *,
              key: str, lecture: bool = False, height: int | None = None, color_mode: str = "mix") -> None:
    """One step's picture (``figures.step_figure``; a histogram for one-column data)."""
    fig = figures.step_figure(history, index, view, color_mode=color_mode, lecture=lecture)
    if height is not None:
        fig.update_layout(height=height)
    st.plotly_chart(fig, key=key, config=PLOT_CONFIG)


def open_explorer(*, step: int | None = None, **settings) -> None:
    """Switch to the explorer with these settings (session keys: ``emviz.settings.SETTINGS``' and widget keys).

    The explorer's sidebar mirrors the plain session keys (``seed``, ``init``,
    ``n_components``, ...) into its widgets, so storing them here is enough. A
    requested ``step`` goes where the explorer looks for a step from a link
    (``pending_step``); forgetting the explorer's ``fit_key`` makes it apply it
    even when the fit itself is unchanged.
    """
    for key, value in settings.items():
        st.session_state[key] = value
    if step is not None:
        st.session_state["pending_step"] = int(step)
        st.session_state.pop("fit_key", None)
    st.switch_page(EXPLORER)


def fit_many(X, jobs: dict, *, noun: str) -> dict:
    """Fit every ``label -> FitOptions`` job with a progress bar; failed fits are listed, not raised.

    Parameters
    ----------
    X : numpy.ndarray
    jobs : dict
        Label (any hashable) to the options of that fit, in the order to run them.
    noun : str
        What the jobs are, for the progress text ("runs", "models").

    Returns
    -------
    dict
        Label to ``History`` for the fits that ran; stops the page if none did.
    """
    progress = st.progress(0.0, text=f"Fitting the {noun}…")
    histories, failures = {}, []
    for i, (label, options) in enumerate(jobs.items()):
        try:
            # fitting.fit caches every fit, so revisiting the page or widening a grid refits nothing old.
            histories[label] = fitting.fit(X, options)
        except ValueError as err:
            failures.append(f"{label}: {err}")
        progress.progress((i + 1) / len(jobs), text=f"Fitted {i + 1} of {len(jobs)} {noun}")
    progress.empty()
    for failure in failures:
        st.error(f"A fit could not run: {failure}")
    if not histories:
        st.stop()
    return histories

