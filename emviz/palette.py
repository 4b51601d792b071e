"""Component colours and the responsibility-weighted colour mix.

The component colours are the Okabe–Ito palette (Okabe and Ito, 2008), chosen
to stay distinguishable under the common forms of colour-vision deficiency.
Its black is left out: the app runs in Streamlit's dark theme too, where a
black component would vanish.

Examples
--------
>>> from emviz.palette import component_colors, mix_colors
>>> colors = component_colors(2)
>>> mix_colors([[1.0, 0.0], [0.5, 0.5]], colors)
['rgb(0,114,178)', 'rgb(115,136,89)']
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["OKABE_ITO", "UNCERTAINTY_COLORSCALE", "NEUTRAL", "component_colors", "mix_colors", "to_rgb",
           "rgba"]

#: Okabe–Ito colours in the order components receive them (blue first: it reads
#: well on white and on dark backgrounds alike).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
)

#: Sequential, perceptually uniform and colour-blind safe; used for ``1 - max gamma``.
UNCERTAINTY_COLORSCALE = "Viridis"

#: Mid grey for rings and markers that are no component's: about equally
#: legible on Streamlit's light and dark backgrounds.
NEUTRAL = "rgb(128,128,128)"

# Each further pass through the palette is darkened so that K > 7 components
# still get distinct colours (at some cost in distinctness).
_DARKEN_PER_CYCLE = 0.6

_CHANNEL = np.array([str(i) for i in range(256)], dtype=object)
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
_RGB = re.compile(r"^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*[\d.]+\s*)?\)$")


def to_rgb(color: str) -> tuple[int, int, int]:
    """Parse ``"#rrggbb"`` or ``"rgb(r,g,b)"`` (``rgba`` ignores alpha) into integers.

    Parameters
    ----------
    color : str

    Returns
    -------
    tuple of int
        Red, green and blue in 0..255.

    Raises
    ------
    ValueError
        For any other colour syntax.
    """
    text = color.strip()
    match = _HEX.match(text)
    if match:
        value = match.group(1)
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    match = _RGB.match(text)
    if match:
        return tuple(int(round(float(c))) for c in match.groups())  # type: ignore[return-value]
    raise ValueError(f"Unrecognised colour {color!r}; use '#rrggbb' or 'rgb(r,g,b)'.")


def rgba(color: str, alpha: float) -> str:
    """The colour with an alpha channel, as ``"rgba(r,g,b,a)"``."""
    r, g, b = to_rgb(color)
    return f"rgba({r},{g},{b},{alpha:.3g})"


#: One marker shape per component (Plotly's symbol numbers: circle, square, diamond, triangle-up, cross,
#: triangle-down, hexagon, pentagon, star, x), so that a picture reads in greyscale too: a point is
#: drawn in the shape of its most responsible component, a mean in its component's shape.
COMPONENT_SYMBOLS = (0, 1, 2, 5, 3, 6, 14, 13, 17, 4)


def component_symbols(n_components: int) -> list[int]:
    """One marker symbol per component (the list repeats beyond ten components)."""
    return [COMPONENT_SYMBOLS[k % len(COMPONENT_SYMBOLS)] for k in range(n_components)]


def component_colors(n_components: int) -> list[str]:
    """One colour per component, as ``"rgb(r,g,b)"`` strings.

    They are in the same syntax as :func:`mix_colors` returns, so a point wholly
    owned by component ``k`` compares equal to ``component_colors(K)[k]``.

    Parameters
    ----------
    n_components : int
        K >= 1. Beyond seven the palette repeats, darker each time.

    Returns
    -------
    list of str
    """
    if n_components < 1:
        raise ValueError(f"n_components must be at least 1; got {n_components}.")
    out = []
    for k in range(n_components):
        cycle, slot = divmod(k, len(OKABE_ITO))
        scale = _DARKEN_PER_CYCLE ** cycle
        r, g, b = (int(round(c * scale)) for c in to_rgb(OKABE_ITO[slot]))
        out.append(f"rgb({r},{g},{b})")
    return out


def mix_colors(resp, colors) -> list[str]:
    """Responsibility-weighted mix of the component colours, one ``"rgb(r,g,b)"`` per row.

    The mix is linear in RGB: ``round(sum_k gamma_nk * rgb_k)``. Uncertain points
    therefore look muddy, which is the intended reading.

    Parameters
    ----------
    resp : array_like of shape (N, K)
        Responsibilities (rows summing to 1; one-hot rows give the component colours exactly).
    colors : sequence of str
        K colours, ``"#rrggbb"`` or ``"rgb(r,g,b)"``.

    Returns
    -------
    list of str
    """
    resp = np.asarray(resp, dtype=float)
    if resp.ndim != 2:
        raise ValueError(f"resp must be a 2-D (N, K) array; got shape {resp.shape}.")
    table = np.array([to_rgb(c) for c in colors], dtype=float)
    if table.shape[0] != resp.shape[1]:
        raise ValueError(f"Got {table.shape[0]} colours for {resp.shape[1]} components.")
    mixed = np.clip(np.rint(resp @ table), 0, 255).astype(np.intp)
    # Channel strings come from a lookup table and are joined by numpy's
    # object-array loop: no Python-level loop per point (N may be 10^5).
    out = "rgb(" + _CHANNEL[mixed[:, 0]] + "," + _CHANNEL[mixed[:, 1]] + "," + _CHANNEL[mixed[:, 2]] + ")"
    return out.tolist()
