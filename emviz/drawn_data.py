"""Drawn data ("Draw your own"): the points, their link encoding, the browser's reports, the CSV.

Pure numpy, no Streamlit: :mod:`emviz.drawing` is the page glue and
``emviz/drawing.js`` the canvas.

Every drawn point lies on a grid of ``GRID`` steps along each axis (1/1000 of the
axis span): the canvas snaps what it draws, and the server snaps every report again.
So a drawing is held exactly by its axes, two small integers per point and a class
code, which is what a link carries (:func:`encode_link`), and a link opens the very
data (and so the very fit) that was shared. A point's coordinate is
``x0 + g * (x1 - x0) / GRID``, computed the same way everywhere.

Examples
--------
>>> import numpy as np
>>> d = drawing_from_points(np.array([[1.0, 2.0], [3.0, 4.0]]), axes=BLANK_AXES)
>>> coordinates(d).tolist()
[[1.0, 2.0], [3.0, 4.0]]
>>> decode_link(encode_link(d)) == d
True
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .palette import NEUTRAL

__all__ = ["BLANK_AXES", "CLASSES", "Drawing", "GRID", "MAX_LINK_POINTS", "MAX_POINTS", "NO_CLASS", "VOCABULARY",
           "blank", "class_labels", "coordinates", "csv_text", "decode_link", "drawing_from_points", "encode_link",
           "pack", "parse_report", "unpack"]

#: Grid steps along each axis: every drawn coordinate is x0 + g * span / GRID for an integer g.
GRID = 1000
#: A blank canvas: fixed axes, the same for everybody.
BLANK_AXES = (0.0, 10.0, 0.0, 10.0)
#: Drawings up to this many points travel in a link (about 2 kB of URL); bigger ones are shared as CSV.
MAX_LINK_POINTS = 300
#: What the canvas lets one draw, and what a report from the browser may hold.
MAX_POINTS = 20_000


class DrawClass(NamedTuple):
    """One entry of the class picker.

    Attributes
    ----------
    code : int
        Stored per point (one byte in a link); 0 is "no class".
    name : str
        The label the comparison pages and the CSV use.
    colour : str
        Its colour on the canvas (Okabe–Ito, as the components', so colour-blind readers can tell them apart).
    shape : str
        Its marker on the canvas, so that classes differ by more than colour.
    """

    code: int
    name: str
    colour: str
    shape: str


#: The class picker: "no class" and five classes, enough for every built-in set's labels (bad_init has five).
CLASSES: tuple[DrawClass, ...] = (
    DrawClass(0, "no class", NEUTRAL, "circle"),
    DrawClass(1, "A", "#0072B2", "circle"),
    DrawClass(2, "B", "#E69F00", "square"),
    DrawClass(3, "C", "#009E73", "triangle"),
    DrawClass(4, "D", "#D55E00", "diamond"),
    DrawClass(5, "E", "#CC79A7", "cross"),
)
NO_CLASS = 0

#: The one table of the canvas's choices (sent to the browser as it is): points per click, the brush's
#: spread (standard deviation of the scatter as a share of each axis's span), the classes, and the limits.
VOCABULARY = {
    "brush_sizes": [1, 5, 20],
    "default_brush": 5,
    "spreads": [0.01, 0.03, 0.06, 0.12],
    "default_spread": 0.03,
    "classes": [c._asdict() for c in CLASSES],
    "grid": GRID,
    "max_points": MAX_POINTS,
}


@dataclass(frozen=True, eq=False)
class Drawing:
    """A drawn data set: fixed axes and grid points with a class each.

    Attributes
    ----------
    axes : tuple of 4 floats
        ``(x0, x1, y0, y1)``, the canvas's ranges (x0 < x1, y0 < y1).
    grid : numpy.ndarray of shape (N, 2), dtype uint16
        Each point's grid position, 0..GRID along each axis.
    classes : numpy.ndarray of shape (N,), dtype uint8
        Each point's class code (:data:`CLASSES`).
    """

    axes: tuple
    grid: np.ndarray
    classes: np.ndarray

    def __len__(self) -> int:
        return int(self.grid.shape[0])

    def __eq__(self, other) -> bool:
        return (isinstance(other, Drawing) and self.axes == other.axes
                and np.array_equal(self.grid, other.grid) and np.array_equal(self.classes, other.classes))

    __hash__ = None


def check_axes(axes) -> tuple:
    """``axes`` as four floats, or a ``ValueError`` saying why a canvas cannot have them."""
    try:
        values = tuple(float(v) for v in axes)
    except (TypeError, ValueError):
        raise ValueError("the axes are not four numbers") from None
    if len(values) != 4 or not all(math.isfinite(v) and abs(v) <= 1e12 for v in values):
        raise ValueError("the axes are not four finite numbers")
    x0, x1, y0, y1 = values
    # A span must leave room for GRID distinct steps, else two grid points would be the same number.
    if not (x1 - x0 > 1e-9 * max(1.0, abs(x0), abs(x1)) and y1 - y0 > 1e-9 * max(1.0, abs(y0), abs(y1))):
        raise ValueError("the axes do not span a range (each needs its smaller end first)")
    return values


def _drawing(axes, grid, classes) -> Drawing:
    grid = np.ascontiguousarray(grid, dtype=np.uint16).reshape(-1, 2)
    classes = np.ascontiguousarray(classes, dtype=np.uint8).reshape(-1)
    grid.setflags(write=False)
    classes.setflags(write=False)
    return Drawing(tuple(float(v) for v in axes), grid, classes)


def blank(axes=BLANK_AXES) -> Drawing:
    """An empty canvas with these axes."""
    return _drawing(check_axes(axes), np.zeros((0, 2)), np.zeros(0))


def coordinates(drawing: Drawing) -> np.ndarray:
    """The points in data units, shape (N, 2): ``x0 + g * span / GRID`` (float64)."""
    x0, x1, y0, y1 = drawing.axes
    g = drawing.grid.astype(np.float64)
    return np.column_stack([x0 + g[:, 0] * (x1 - x0) / GRID, y0 + g[:, 1] * (y1 - y0) / GRID])


def to_grid(xy: np.ndarray, axes) -> np.ndarray:
    """The nearest grid positions of points in data units (clipped to the canvas), shape (N, 2)."""
    x0, x1, y0, y1 = axes
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    g = np.column_stack([(xy[:, 0] - x0) * GRID / (x1 - x0), (xy[:, 1] - y0) * GRID / (y1 - y0)])
    return np.clip(np.rint(g), 0, GRID).astype(np.uint16)


def _nice_step(span: float) -> float:
    """A 1, 2 or 5 times a power of ten near a tenth of ``span`` (tick spacing, and where axes end)."""
    raw = span / 10
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * 0.999)


def fitting_axes(xy: np.ndarray) -> tuple:
    """Axes around these points: their range padded by 5 % each side, ends rounded out to tick steps."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if xy.shape[0] == 0:
        return BLANK_AXES
    axes = []
    for j in range(2):
        low, high = float(xy[:, j].min()), float(xy[:, j].max())
        span = max(high - low, 1e-6 * max(1.0, abs(low)), 1e-9)
        low, high = low - 0.05 * span, high + 0.05 * span
        step = _nice_step(high - low)
        axes += [math.floor(low / step) * step, math.ceil(high / step) * step]
    return check_axes(axes)


def drawing_from_points(xy, labels=None, *, axes=None) -> Drawing:
    """A drawing of these points, snapped to the grid of ``axes`` (default: :func:`fitting_axes`).

    Parameters
    ----------
    xy : array_like of shape (N, 2)
    labels : array_like of shape (N,), optional
        Known classes. The distinct labels, in sorted order, become classes A, B, …; labels
        beyond the picker's classes become "no class".
    axes : tuple of 4 floats, optional
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    axes = fitting_axes(xy) if axes is None else check_axes(axes)
    codes = np.zeros(xy.shape[0], dtype=np.uint8)
    if labels is not None:
        labels = np.asarray(labels).astype(str)
        for code, label in enumerate(sorted(set(labels.tolist()))[:len(CLASSES) - 1], start=1):
            codes[labels == label] = code
    return _drawing(axes, to_grid(xy, axes), codes)


def class_labels(drawing: Drawing) -> np.ndarray | None:
    """Each point's class name (``"A"``, …, ``"no class"``), or None when no point has a class."""
    if not drawing.classes.any():
        return None
    names = np.array([c.name for c in CLASSES], dtype=object)
    return names[drawing.classes].astype(str)


def csv_text(drawing: Drawing) -> str:
    """The drawing as CSV: columns ``x,y`` and ``class`` when any point has one.

    Numbers are written in Python's shortest round-trip form, so the file holds exactly
    the numbers the app fits.
    """
    labels = class_labels(drawing)
    lines = ["x,y" if labels is None else "x,y,class"]
    for i, (x, y) in enumerate(coordinates(drawing).tolist()):
        lines.append(f"{x!r},{y!r}" if labels is None else f"{x!r},{y!r},{labels[i]}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- packing (link and browser)
_VERSION = 1
_HAS_CLASSES = 1
_HEADER = struct.Struct("<BB4d")  # version, flags, x0, x1, y0, y1
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def pack(drawing: Drawing) -> str:
    """The drawing as base64url text (no padding).

    Layout (little-endian): a version byte (1); a flags byte (1 when class bytes follow);
    the axes as four float64; then ``uint16`` pairs, the grid position of each point;
    then, when any point has a class, one class byte per point. About 5 bytes per point.
    """
    flags = _HAS_CLASSES if drawing.classes.any() else 0
    body = _HEADER.pack(_VERSION, flags, *drawing.axes) + drawing.grid.astype("<u2").tobytes()
    if flags:
        body += drawing.classes.tobytes()
    return base64.urlsafe_b64encode(body).rstrip(b"=").decode("ascii")


def unpack(text: str, *, max_points: int = MAX_POINTS) -> Drawing:
    """The drawing packed in ``text`` (:func:`pack`), or a ``ValueError`` saying what is wrong with it.

    Only the exact text :func:`pack` writes is accepted (no padding, no stray bits, no class
    bytes that are all "no class"), so ``pack(unpack(s)) == s`` for every accepted ``s``.
    """
    text = str(text)
    if len(text) > (_HEADER.size + 5 * max_points) * 4 // 3 + 4 or not _BASE64URL.match(text):
        raise ValueError("the points are not in the app's encoding (or are far too many)")
    try:
        body = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("the points are not in the app's encoding") from None
    if len(body) < _HEADER.size:
        raise ValueError("the points are cut short")
    version, flags, *axes = _HEADER.unpack_from(body)
    if version != _VERSION or flags not in (0, _HAS_CLASSES):
        raise ValueError("the points are in an unknown format")
    rest = len(body) - _HEADER.size
    per_point = 5 if flags else 4
    if rest % per_point:
        raise ValueError("the points are cut short")
    n = rest // per_point
    if n > max_points:
        raise ValueError(f"the link holds {n:,} points (at most {max_points:,})")
    grid = np.frombuffer(body, dtype="<u2", count=2 * n, offset=_HEADER.size).reshape(n, 2)
    classes = (np.frombuffer(body, dtype=np.uint8, offset=_HEADER.size + 4 * n) if flags
               else np.zeros(n, dtype=np.uint8))
    if n and (grid.max() > GRID or classes.max() >= len(CLASSES)):
        raise ValueError("some points lie outside the canvas or have an unknown class")
    drawing = _drawing(check_axes(axes), grid, classes)
    if pack(drawing) != text:
        raise ValueError("the points are not in the app's own encoding")
    return drawing


def encode_link(drawing: Drawing) -> str | None:
    """Link text for the drawing (:func:`pack`), or None when it has more than :data:`MAX_LINK_POINTS` points."""
    return pack(drawing) if len(drawing) <= MAX_LINK_POINTS else None


def decode_link(text: str) -> Drawing:
    """The drawing in a link's text, or a ``ValueError`` whose message says what is wrong with it."""
    return unpack(text, max_points=MAX_LINK_POINTS)


# --------------------------------------------------------------------------- the browser's reports
@dataclass(frozen=True)
class Report:
    """A drawing the canvas reported: the drawing, the server drawing it descends from, its revision."""

    drawing: Drawing
    origin: str
    rev: int


def _numbers(values, what: str) -> np.ndarray:
    if not all(type(v) in (int, float) for v in values):
        raise ValueError(f"its {what} are not all numbers")
    array = np.array(values, dtype=np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"its {what} are not all finite numbers")
    return array


def parse_report(report) -> Report:
    """The drawing in a report from the canvas, or a ``ValueError`` saying why it is refused.

    Parameters
    ----------
    report : object
        Expected: ``{"origin": str, "rev": int, "axes": [x0, x1, y0, y1], "x": [...], "y": [...],
        "cls": [...]}`` with x, y in data units inside the axes and class codes of :data:`CLASSES`.
        The points are snapped to the grid (they already are, when the canvas drew them).
    """
    if not isinstance(report, dict):
        raise ValueError("it is not a drawing")
    xs, ys, cls = report.get("x"), report.get("y"), report.get("cls")
    if not all(isinstance(v, list) for v in (xs, ys, cls)):
        raise ValueError("its points are not lists")
    if not len(xs) == len(ys) == len(cls):
        raise ValueError(f"its lists have different lengths (x {len(xs):,}, y {len(ys):,}, class {len(cls):,})")
    if len(xs) > MAX_POINTS:
        raise ValueError(f"it has {len(xs):,} points, more than the {MAX_POINTS:,} a drawing may hold")
    origin, rev = report.get("origin"), report.get("rev")
    if not isinstance(origin, str) or type(rev) is not int or rev < 0:
        raise ValueError("it does not say which drawing it edits")
    axes = check_axes(report.get("axes") if isinstance(report.get("axes"), list) else ())
    x, y = _numbers(xs, "x values"), _numbers(ys, "y values")
    codes = _numbers(cls, "classes")
    if len(codes) and (codes.min() < 0 or codes.max() >= len(CLASSES) or not np.all(codes == np.round(codes))):
        raise ValueError("some classes are unknown")
    x0, x1, y0, y1 = axes
    # Half a grid step of slack: a snapped point on the edge may round just outside it.
    sx, sy = (x1 - x0) / GRID / 2, (y1 - y0) / GRID / 2
    if len(x) and (x.min() < x0 - sx or x.max() > x1 + sx or y.min() < y0 - sy or y.max() > y1 + sy):
        raise ValueError("some points lie outside the canvas")
    drawing = _drawing(axes, to_grid(np.column_stack([x, y]), axes), codes.astype(np.uint8))
    return Report(drawing, origin, rev)
