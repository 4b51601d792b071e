"""How every figure looks: sizes for screen and projector, theme, shared layout pieces, the assembler.

Nothing here knows about a step: these are the pieces the scene modules
(:mod:`.scatter`, :mod:`.histogram`), :mod:`.animation` and :mod:`.panels`
share, so a font size or a margin is set in one place.
"""

from __future__ import annotations

import math
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
    """Assemble a Figure from trace and layout dicts (unvalidated unless ``VALIDATE``)."""
    layout = dict(layout, template=pio.templates["plotly_white"])
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


NORMAL = Style(font=13, title=17, point=7, mean=15, line=2.0, arrow=13, width=None, height=600,
               panel_height=300)
# Sized for a 1280 x 720 projector: everything readable from the back row.
LECTURE = Style(font=20, title=26, point=11, mean=24, line=3.4, arrow=20, width=1280, height=720,
                panel_height=420)


def style_for(lecture: bool) -> Style:
    return LECTURE if lecture else NORMAL


def weight_factor(weight: float, K: int) -> float:
    """Line-width factor of a component relative to an equal share 1/K."""
    return float(np.clip(math.sqrt(max(weight, 0.0) * K), 0.45, 1.6))


def weight_opacity(weight: float, K: int) -> float:
    return float(np.clip(0.35 + 0.65 * weight * K, 0.35, 1.0))


# --------------------------------------------------------------------------- layout pieces
def title(head_and_sub: tuple[str, str], style: Style) -> dict:
    head, sub = head_and_sub
    return dict(text=head, subtitle=dict(text=sub, font=dict(size=max(style.font - 1, 10))))


def base_layout(style: Style, head_and_sub: tuple[str, str], annotations: list[dict], *, top: int = 100,
                bottom: int = 70) -> dict:
    """The layout every step scene starts from: title, legend, margins, size, transparent background."""
    top = int(top * (1.35 if style is LECTURE else 1.0))
    return dict(
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        font=dict(size=style.font),
        title=title(head_and_sub, style) | dict(x=0.01, xanchor="left", y=1.0, yref="container", yanchor="top",
                                                pad=dict(t=12), font=dict(size=style.title)),
        legend=dict(orientation="h", x=0.0, xanchor="left", y=1.0, yanchor="bottom", bgcolor=TRANSPARENT,
                    font=dict(size=style.font), itemsizing="constant"),
        margin=dict(l=70, r=30, t=top, b=bottom),
        height=style.height,
        width=style.width,
        hovermode="closest",
        # Keep the user's zoom while the step changes under it.
        uirevision="emviz",
        annotations=annotations,
    )


def note(text: str, name: str, style: Style, *, x=0.0, y=0.0, xanchor="left") -> dict:
    """A small-print annotation; at ``y=0`` it sits under the plot, below the axis title."""
    # Shifted in pixels, not paper units: it must clear the tick labels and the axis
    # title whatever the height of the plot area.
    return dict(text=text, name=name, xref="paper", yref="paper", x=x, y=y, xanchor=xanchor, yanchor="top",
                yshift=-int(3.9 * style.font) if y == 0.0 else 0, showarrow=False, align="left",
                font=dict(size=max(style.font - 2, 10)))


def note_margin(style: Style) -> int:
    """Bottom margin for tick labels, axis title and a two-line note."""
    return int(3.9 * style.font + 2.6 * max(style.font - 2, 10) + 12)


def subsample_note(shown: int, total: int, style: Style) -> dict:
    return note(f"showing {shown:,} of {total:,} points (the fit uses all)", "subsample note", style, x=1.0,
                y=1.0, xanchor="right") | dict(yanchor="bottom", yshift=4)


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
