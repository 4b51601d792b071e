"""How every figure looks: sizes for screen and projector, theme, shared layout pieces, the assembler.

Nothing here knows about a step: these are the pieces the scene modules
(:mod:`.scatter`, :mod:`.histogram`), :mod:`.animation` and :mod:`.panels`
share, so a font size or a margin is set in one place.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

#: Above this many displayed points the scatter is drawn with WebGL (``go.Scattergl``);
#: SVG makes one DOM element per point and stalls the browser beyond a few thousand.
GL_THRESHOLD = 2000

#: Whether plotly.py validates every property when a figure is built. Validation
#: re-checks each of N colour strings with a regular expression and deep-copies
#: the template: about 20 ms at N = 490 and 200 ms at N = 10,000, for figures
#: that are always built the same way. The test suite turns it on and
#: re-validates every kind of figure, so a typo in a property still fails there.
#: (Animation frames are validated regardless: plotly.py has no switch for them.)
VALIDATE = False

TRANSPARENT = "rgba(0,0,0,0)"
GRID = "rgba(128,128,128,0.22)"


def figure(data, layout: dict, frames=None) -> go.Figure:
    """Assemble a Figure from trace and layout dicts (unvalidated unless ``VALIDATE``).

    A step scene's layout (from :func:`base_layout`) is fitted to its content here, where the
    traces are known: room for the title and the legend, the notes under the plot, the height.
    """
    layout = dict(layout, template=pio.templates["plotly_white"])
    fit = layout.pop(_FIT_KEY, None)
    if fit is not None:
        _fit_scene_layout(layout, data, fit)
    if not VALIDATE:
        try:
            # ``_validate`` is plotly.py's own switch (its templates are loaded with it off).
            return go.Figure(data=data, layout=layout, frames=frames, _validate=False)
        except TypeError:  # a plotly.py without the switch: fall back to validating
            pass
    return go.Figure(data=data, layout=layout, frames=frames)


# --------------------------------------------------------------------------- sizes
@dataclass(frozen=True)
class Style:
    """Type, marker and line sizes, and the figure's size, for one audience."""

    font: int
    title: int
    point: float
    mean: float
    line: float
    arrow: float
    width: int | None
    height: int
    panel_height: int
    #: The narrowest figure (px) that this style's titles, legends and notes must fit: Plotly
    #: never wraps text, so :func:`wrap` breaks lines for this width.
    narrow: int = 340
    #: The plot area's width (px) that the height of an equal-aspect view is computed for.
    typical_plot_width: int = 420


# Text must fit a chart on a phone (390 px window) and in a half-width column at 1280x720.
NORMAL = Style(font=13, title=17, point=7, mean=15, line=2.0, arrow=13, width=None, height=600,
               panel_height=300, narrow=340, typical_plot_width=420)
# Sized for a 1280 x 720 projector: everything readable from the back row.
LECTURE = Style(font=20, title=26, point=11, mean=24, line=3.4, arrow=20, width=1280, height=720,
                panel_height=420, narrow=800, typical_plot_width=1000)


def style_for(lecture: bool) -> Style:
    return LECTURE if lecture else NORMAL


def weight_factor(weight: float, K: int) -> float:
    """Line-width factor of a component relative to an equal share 1/K."""
    return float(np.clip(math.sqrt(max(weight, 0.0) * K), 0.45, 1.6))


def weight_opacity(weight: float, K: int) -> float:
    return float(np.clip(0.35 + 0.65 * weight * K, 0.35, 1.0))


# --------------------------------------------------------------------------- text that fits
#: Average glyph width as a share of the font size, with room to spare: Plotly's fonts measure
#: about 0.41 em per character in a 17 px title and 0.47 em in an 11 px note (small type is
#: hinted wider).
EM_PER_CHAR = 0.5


def char_width(size: float) -> float:
    """Pixels per character of Plotly text at font ``size``, rounded up."""
    return size * (EM_PER_CHAR if size < 14 else 0.45)

#: Line height of Plotly text, as a multiple of the font size.
LINE = 1.3
_TAG = re.compile(r"<[^>]+>")


def wrap(text: str, size: float, width: float) -> str:
    """``text`` with ``<br>`` between words so that no line is wider than about ``width`` px.

    Plotly cuts a title, a subtitle or an annotation that is wider than the chart; it never
    wraps. Existing ``<br>`` breaks are kept; markup tags count as no width.
    """
    limit = max(16, int(width / char_width(size)))
    lines = []
    for line in text.split("<br>"):
        current, length = [], 0
        for word in line.split(" "):
            visible = len(_TAG.sub("", word))
            if current and length + 1 + visible > limit:
                lines.append(" ".join(current))
                current, length = [], 0
            length += visible + (1 if current else 0)
            current.append(word)
        lines.append(" ".join(current))
    return "<br>".join(lines)


def n_lines(text: str | None) -> int:
    return 0 if not text else text.count("<br>") + 1


# --------------------------------------------------------------------------- layout pieces
#: Left and right margins of a step scene: the y tick labels and the axis title.
MARGIN_L, MARGIN_R = 70, 30
_TITLE_PAD = 12
_FIT_KEY = "_emviz_fit"  # a scene layout's note to :func:`figure`, removed before Plotly sees it


def _sub_size(style: Style) -> int:
    return max(style.font - 1, 10)


def _note_size(style: Style) -> int:
    return max(style.font - 2, 10)


def title(head_and_sub: tuple[str, str], style: Style) -> dict:
    """Title and subtitle, wrapped to the style's narrowest chart (the title starts 1 % in)."""
    head, sub = head_and_sub
    width = style.narrow - 16
    if wrap(head, style.title, width) != head:
        # Too long for one line: the step, then what it does ("Iteration 8 · M-step:" / "new π, μ, Σ
        # from the responsibilities γ"; "k-means round 8 ·" / "assign every point to ...").
        colon, dot = head.find(": "), head.rfind(" · ")
        cut = colon + 1 if colon >= 0 else dot + 2 if dot >= 0 else None
        if cut is not None:
            head = head[:cut] + "<br>" + head[cut + 1:]
    text = wrap(head, style.title, width)
    # Plotly anchors a title of several lines at the middle of its first lines, not its top: pushed
    # down by as much, it starts _TITLE_PAD px under the figure's top edge like a one-line title.
    return dict(text=text, pad=dict(t=int(_TITLE_PAD + 0.9 * style.title * (n_lines(text) - 1))),
                subtitle=dict(text=wrap(sub, _sub_size(style), width), font=dict(size=_sub_size(style))))


def title_height(style: Style, text: str | None, subtitle: str | None) -> int:
    """Pixels from the top of the figure to the bottom of the subtitle."""
    if not text:
        return 0
    return int(_TITLE_PAD + LINE * style.title * n_lines(text) + 14 + LINE * _sub_size(style) * n_lines(subtitle))


def legend_rows(names: list[str], style: Style) -> int:
    """Rows a horizontal legend of these entries takes across the style's narrowest plot area."""
    room = style.narrow - MARGIN_L - MARGIN_R
    rows, used = (1 if names else 0), 0.0
    for name in names:
        item = 40 + char_width(style.font) * len(name)  # symbol and gaps, then the text
        if used and used + item > room:
            rows, used = rows + 1, 0.0
        used += item
    return rows


def base_layout(style: Style, head_and_sub: tuple[str, str], annotations: list[dict], *, top: int = 100,
                bottom: int = 70) -> dict:
    """The layout every step scene starts from: title, legend, margins, size, transparent background.

    ``top`` and ``bottom`` are the least margins; :func:`figure` makes them as large as the
    wrapped title, the legend and the notes need (:func:`_fit_scene_layout`).
    """
    top = int(top * (1.35 if style is LECTURE else 1.0))
    return dict(
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        font=dict(size=style.font),
        title=title(head_and_sub, style) | dict(x=0.01, xanchor="left", y=1.0, yref="container", yanchor="top",
                                                font=dict(size=style.title)),
        legend=dict(orientation="h", x=0.0, xanchor="left", y=1.0, yanchor="bottom", bgcolor=TRANSPARENT,
                    font=dict(size=style.font), itemsizing="constant"),
        margin=dict(l=MARGIN_L, r=MARGIN_R, t=top, b=bottom),
        height=style.height,
        width=style.width,
        hovermode="closest",
        # Keep the user's zoom while the step changes under it.
        uirevision="emviz",
        annotations=annotations,
        **{_FIT_KEY: style},
    )


def note(text: str, name: str, style: Style, *, x=0.0, y=0.0, xanchor="left") -> dict:
    """A small-print annotation; at ``y=0`` it sits under the plot, below the axis title.

    Under the plot it starts at the figure's left edge (not the plot's) and is wrapped to the
    style's narrowest figure, so no line is cut.
    """
    under = y == 0.0
    # Shifted in pixels, not paper units: it must clear the tick labels and the axis
    # title whatever the height of the plot area.
    return dict(text=wrap(text, _note_size(style), style.narrow - 16) if under else text, name=name, xref="paper",
                yref="paper", x=x, y=y, xanchor=xanchor, yanchor="top", yshift=-_note_offset(style) if under else 0,
                xshift=-(MARGIN_L - 8) if under and xanchor == "left" else 0, showarrow=False, align="left",
                font=dict(size=_note_size(style)))


def _note_offset(style: Style) -> int:
    """Pixels from the bottom of the plot area to the first note: tick labels and the axis title."""
    return int(3.9 * style.font)


def _note_line(style: Style) -> float:
    return LINE * _note_size(style)


def note_margin(style: Style) -> int:
    """Bottom margin for tick labels, axis title and a note of four lines (a step's note, wrapped).

    The same at every step, so that the plot does not move while stepping.
    """
    return int(_note_offset(style) + 4 * _note_line(style) + 12)


def subsample_note(shown: int, total: int, style: Style) -> dict:
    """How many of the fitted points the picture shows; under the plot, below the step's note.

    Only the points of the fit are counted here: when an uploaded file was itself sampled
    (its row cap), the page says so beside the data set's name.
    """
    return note(f"showing {shown:,} of {total:,} points (the fit uses all {total:,})", "subsample note", style)


def _fit_scene_layout(layout: dict, data, style: Style) -> None:
    """Margins and height of a step scene for its wrapped title, its legend and its notes.

    - Top: the title block, then the legend, which Plotly puts just above the plot and lets
      grow upwards as it wraps: room for as many rows as it takes on the narrowest chart, so
      it never runs into the subtitle. Entries that only some steps show (rings on changed
      points, the ghost mixture, k-means centroids) count always, so the plot stays put while
      stepping.
    - Bottom: the notes stacked under the axis title, each below the one before.
    - Height: an equal-aspect view gets the plot height that its ranges need at the style's
      typical plot width (within bounds), instead of a square box mostly empty.
    """
    names = [str(t.get("name", "")) for t in data
             if t.get("showlegend") or (t.get("meta") or {}).get("role") in ("changed points", "ghost mixture", "mean")]
    names = [name.replace("mean", "centroid") if name.startswith("mean") else name for name in names]
    head = layout.get("title") or {}
    rows = legend_rows(names, style)
    legend_row = LINE * style.font + 13  # measured: 30 px a row at 13 px
    margin = layout["margin"]
    margin["t"] = max(margin["t"], int(title_height(style, head.get("text"), (head.get("subtitle") or {}).get("text"))
                                       + rows * legend_row + 10))

    below = [a for a in layout.get("annotations") or () if a.get("yshift", 0) < 0 and a.get("y") == 0.0]
    shift = _note_offset(style)
    for annotation in below:
        annotation["yshift"] = -shift
        shift += int(n_lines(annotation.get("text")) * _note_line(style)) + 4
    if below:
        margin["b"] = max(margin["b"], shift + 10)

    yaxis, xaxis = layout.get("yaxis") or {}, layout.get("xaxis") or {}
    if yaxis.get("scaleanchor") == "x" and layout.get("height") and xaxis.get("range") and yaxis.get("range"):
        (x0, x1), (y0, y1) = xaxis["range"], yaxis["range"]
        plot = layout["height"] - margin["t"] - margin["b"]
        wanted = min(plot, max(160, int(style.typical_plot_width * (y1 - y0) / (x1 - x0))))
        layout["height"] -= plot - wanted


# --------------------------------------------------------------------------- a step's scene
@dataclass(frozen=True)
class Scene:
    """One step drawn by a scene module, before it becomes a figure.

    Attributes
    ----------
    traces : list of dict
        In the scene's fixed order (the same count at every step).
    title : tuple of str
        Title and subtitle (:func:`emviz.explain.figure_title`).
    note : str
        What the picture shows at this step, in Plotly markup (lines joined by
        ``<br>``): drawn under the plot, or shown beside it by the stepper.
    extra : list of dict
        Other annotations (the subsample note).
    """

    traces: list
    title: tuple
    note: str
    extra: list

    def annotations(self, style: Style, *, with_note: bool = True) -> list[dict]:
        return ([note(self.note, "step note", style)] if with_note else []) + self.extra
