"""Drawn data (emviz.drawn_data): the link encoding round-trips exactly, bad links and reports are refused, the CSV."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emviz import drawn_data
from emviz.drawn_data import GRID, MAX_LINK_POINTS, MAX_POINTS, Drawing

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def axes(draw):
    x0, y0 = draw(finite), draw(finite)
    x_span = draw(st.floats(1e-3, 1e5)) * max(1.0, abs(x0))
    y_span = draw(st.floats(1e-3, 1e5)) * max(1.0, abs(y0))
    return (x0, x0 + x_span, y0, y0 + y_span)


@st.composite
def drawings(draw, max_points=MAX_LINK_POINTS):
    n = draw(st.integers(0, max_points))
    grid = draw(st.lists(st.tuples(st.integers(0, GRID), st.integers(0, GRID)), min_size=n, max_size=n))
    classes = draw(st.lists(st.integers(0, len(drawn_data.CLASSES) - 1), min_size=n, max_size=n))
    return drawn_data._drawing(draw(axes()), np.array(grid).reshape(-1, 2), np.array(classes))


@settings(max_examples=200, deadline=None)
@given(drawings())
def test_a_link_gives_back_exactly_the_drawing_and_the_text(drawing):
    text = drawn_data.encode_link(drawing)
    assert text is not None
    back = drawn_data.decode_link(text)
    assert back == drawing
    assert np.array_equal(drawn_data.coordinates(back), drawn_data.coordinates(drawing))
    assert drawn_data.encode_link(back) == text  # encode(decode(s)) == s


@settings(max_examples=200, deadline=None)
@given(axes(), st.data())
def test_points_snapped_to_the_grid_stay_exactly_where_they_are(box, data):
    """decode(encode(points)) == points once quantised: snapping the grid's own numbers changes nothing."""
    x0, x1, y0, y1 = box
    n = data.draw(st.integers(1, 50))
    xy = np.column_stack([data.draw(st.lists(st.floats(x0, x1), min_size=n, max_size=n)),
                          data.draw(st.lists(st.floats(y0, y1), min_size=n, max_size=n))])
    drawing = drawn_data.drawing_from_points(xy, axes=box)
    snapped = drawn_data.coordinates(drawing)
    # Within half a grid step of where the points were, and snapping again is the identity.
    assert np.all(np.abs(snapped - xy) <= np.array([x1 - x0, y1 - y0]) / GRID / 2 * (1 + 1e-9))
    again = drawn_data.drawing_from_points(snapped, axes=box)
    assert again == drawing
    assert np.array_equal(drawn_data.coordinates(again), snapped)
    assert np.array_equal(drawn_data.coordinates(drawn_data.decode_link(drawn_data.encode_link(drawing))), snapped)


def test_the_link_is_compact_and_bigger_drawings_are_not_linked():
    rng = np.random.default_rng(1)
    full = drawn_data._drawing(drawn_data.BLANK_AXES, rng.integers(0, GRID + 1, (MAX_LINK_POINTS, 2)),
                               rng.integers(0, 6, MAX_LINK_POINTS))
    text = drawn_data.encode_link(full)
    assert len(text) <= (34 + 5 * MAX_LINK_POINTS) * 4 / 3 + 3, len(text)  # 5 bytes a point, base64
    unclassed = drawn_data._drawing(drawn_data.BLANK_AXES, full.grid, np.zeros(MAX_LINK_POINTS))
    assert len(drawn_data.encode_link(unclassed)) < len(text), "no class bytes when no point has a class"
    bigger = drawn_data._drawing(drawn_data.BLANK_AXES, np.vstack([full.grid, [[5, 5]]]), np.zeros(MAX_LINK_POINTS + 1))
    assert drawn_data.encode_link(bigger) is None
    with pytest.raises(ValueError, match="at most 300"):
        drawn_data.decode_link(drawn_data.pack(bigger))


def _good_text():
    return drawn_data.encode_link(drawn_data.drawing_from_points([[1, 2], [3, 4]], ["a", "b"],
                                                                 axes=drawn_data.BLANK_AXES))


def _flip(text: str, byte: int, value: int) -> str:
    import base64
    body = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    body[byte] = value
    return base64.urlsafe_b64encode(bytes(body)).rstrip(b"=").decode()


@pytest.mark.parametrize(("make", "why"), [
    (lambda t: "", "cut short"),
    (lambda t: "not base64!", "encoding"),
    (lambda t: t + "=", "encoding"),
    (lambda t: t[:-3], "cut short|encoding"),
    (lambda t: t[:-1] + ("B" if t[-1] != "B" else "C"), "own encoding|cut short"),  # stray bits in the last char
    (lambda t: _flip(t, 0, 2), "unknown format"),
    (lambda t: _flip(t, 1, 7), "unknown format"),
    (lambda t: _flip(t, 35, 0xFF), "outside the canvas"),  # a grid value of 65,xxx
    (lambda t: _flip(t, len(_good_text()) * 3 // 4 - 1, 9), "unknown class"),
    (lambda t: _flip(t, 9, 0x7F), "axes|span"),  # x0 becomes huge or NaN
    (lambda t: "A" * 5000, "far too many"),
])
def test_a_malformed_link_is_refused_with_a_reason(make, why):
    with pytest.raises(ValueError, match=why):
        drawn_data.decode_link(make(_good_text()))


def test_classes_all_none_is_not_the_canonical_encoding():
    """Class bytes that say "no class" for every point: the link decodes only in the app's own form."""
    unclassed = drawn_data.encode_link(drawn_data.drawing_from_points([[1, 2]], axes=drawn_data.BLANK_AXES))
    import base64
    body = base64.urlsafe_b64decode(unclassed + "=" * (-len(unclassed) % 4))
    # flags: class bytes follow, and one zero class byte
    padded = base64.urlsafe_b64encode(bytes([1, 1]) + body[2:] + b"\x00").rstrip(b"=").decode()
    with pytest.raises(ValueError, match="own encoding"):
        drawn_data.decode_link(padded)


def _report(**changes):
    report = {"origin": "o", "rev": 1, "axes": [0, 10, 0, 10], "x": [1.0, 2.5], "y": [3.0, 9.99], "cls": [0, 2]}
    report.update(changes)
    return report


def test_a_good_report_is_snapped_to_the_grid():
    parsed = drawn_data.parse_report(_report())
    assert (parsed.origin, parsed.rev) == ("o", 1)
    assert parsed.drawing.grid.tolist() == [[100, 300], [250, 999]]
    assert parsed.drawing.classes.tolist() == [0, 2]
    assert drawn_data.class_labels(parsed.drawing).tolist() == ["no class", "B"]
    assert drawn_data.class_labels(drawn_data.parse_report(_report(cls=[0, 0])).drawing) is None


@pytest.mark.parametrize(("report", "why"), [
    ("points", "not a drawing"),
    (None, "not a drawing"),
    (_report(x="1,2"), "not lists"),
    (_report(x=[1.0]), "different lengths"),
    (_report(x=[1.0, float("nan")]), "finite"),
    (_report(y=[1.0, float("inf")]), "finite"),
    (_report(x=[1.0, None]), "not all numbers"),
    (_report(x=[1.0, True]), "not all numbers"),
    (_report(cls=[0, 9]), "unknown"),
    (_report(cls=[0, 1.5]), "unknown"),
    (_report(x=[1.0, 11.0]), "outside the canvas"),
    (_report(axes=[10, 0, 0, 10]), "span"),
    (_report(axes=[0, 10, 0]), "axes"),
    (_report(axes="0,10,0,10"), "axes"),
    (_report(rev=-1), "which drawing"),
    (_report(origin=None), "which drawing"),
    (_report(x=[1.0] * (MAX_POINTS + 1), y=[1.0] * (MAX_POINTS + 1), cls=[0] * (MAX_POINTS + 1)), "more than the 20,000"),
])
def test_a_malformed_report_is_refused_with_a_reason(report, why):
    with pytest.raises(ValueError, match=why):
        drawn_data.parse_report(report)


def test_a_report_at_the_limit_is_taken():
    n = MAX_POINTS
    parsed = drawn_data.parse_report(_report(x=[5.0] * n, y=[5.0] * n, cls=[1] * n))
    assert len(parsed.drawing) == n


def test_csv_has_x_y_and_class_only_when_any_point_has_one():
    classed = drawn_data.drawing_from_points([[1, 2], [3.3, 4]], ["dog", "cat"], axes=drawn_data.BLANK_AXES)
    rows = list(csv.reader(io.StringIO(drawn_data.csv_text(classed))))
    assert rows == [["x", "y", "class"], ["1.0", "2.0", "B"], ["3.3", "4.0", "A"]]  # sorted labels: cat = A
    plain = drawn_data.drawing_from_points([[1, 2]], axes=drawn_data.BLANK_AXES)
    assert drawn_data.csv_text(plain) == "x,y\n1.0,2.0\n"
    mixed = drawn_data._drawing(drawn_data.BLANK_AXES, [[0, 0], [GRID, GRID]], [0, 5])
    assert drawn_data.csv_text(mixed) == "x,y,class\n0.0,0.0,no class\n10.0,10.0,E\n"
    # The file holds exactly the numbers the app fits.
    odd = drawn_data.drawing_from_points([[0.123456, 9.87654]], axes=(-1.1, 3.7, 0.0, 13.0))
    values = [float(v) for v in drawn_data.csv_text(odd).splitlines()[1].split(",")]
    assert values == drawn_data.coordinates(odd)[0].tolist()


def test_starting_from_points_fits_axes_around_them_and_maps_labels_to_classes():
    xy = np.array([[-3.2, 0.5], [4.1, 2.0], [0.0, 7.7]])
    drawing = drawn_data.drawing_from_points(xy, ["ear", "head", "ear"])
    x0, x1, y0, y1 = drawing.axes
    assert x0 < -3.2 and x1 > 4.1 and y0 < 0.5 and y1 > 7.7
    assert (x1 - x0) < 2 * 7.3 and (y1 - y0) < 2 * 7.2, "padded, not blown up"
    assert np.allclose(drawn_data.coordinates(drawing), xy, atol=max(x1 - x0, y1 - y0) / GRID)
    assert drawn_data.class_labels(drawing).tolist() == ["A", "B", "A"]
    many = drawn_data.drawing_from_points(np.zeros((7, 2)) + np.arange(7)[:, None], list("abcdefg"))
    assert drawn_data.class_labels(many).tolist() == ["A", "B", "C", "D", "E", "no class", "no class"]


def test_blank_and_equality():
    assert len(drawn_data.blank()) == 0
    assert drawn_data.blank() == drawn_data.blank()
    assert drawn_data.blank() != drawn_data.blank((0, 1, 0, 1))
    assert isinstance(drawn_data.blank(), Drawing)
    with pytest.raises(ValueError):
        drawn_data.blank((0, 0, 0, 1))
