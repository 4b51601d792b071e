"""Unit tests of the CSV loader's parts: messages, decoding, dialect, records, cells, table.

The whole loader is tested end to end on a corpus of awkward files in
test_csv_loader.py; these tests pin each part's own contract.
"""

from __future__ import annotations

import ast
import csv
import string
from pathlib import Path

import numpy as np
import pytest

from emviz import csv_cells, csv_decode, csv_dialect, csv_records, csv_table
from emviz.csv_messages import MESSAGES, CsvError, Note, error, render, say

_PARTS = sorted(Path(csv_cells.__file__).parent.glob("csv_*.py"))


# ---------------------------------------------------------------------------
# The messages table
# ---------------------------------------------------------------------------

def _codes_in_source() -> tuple[set[str], set[str]]:
    """(codes named where a message is made, every string constant) in the parts."""
    named, constants = set(), set()
    for path in _PARTS:
        if path.name == "csv_messages.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"Note", "error", "say"} and node.args:
                named |= {c.value for c in ast.walk(node.args[0])
                          if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return named, constants


def test_every_code_used_has_a_template_and_every_template_is_used():
    named, constants = _codes_in_source()
    assert named, "the scan found no message codes"
    assert named <= MESSAGES.keys(), f"codes without a template: {sorted(named - MESSAGES.keys())}"
    # Codes reach Note/error through tables too (file signatures, ragged kinds).
    unused = MESSAGES.keys() - constants
    assert not unused, f"templates never used: {sorted(unused)}"


def _sample_value(spec: str, n: int):
    if spec.startswith("#") or "|" in spec:
        return n
    if spec == "lines":
        return [3, 5, 9, 12][:n + 1]
    if spec == "names":
        return ["a", "b"][:n]
    if spec.startswith("q"):
        return "a name"
    if spec:
        return 1234.5
    return "x"


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_template_renders_for_one_and_for_many(code):
    fields = list(string.Formatter().parse(MESSAGES[code]))
    for n in (1, 2):
        values = {name: _sample_value(spec, n) for _, name, spec, _ in fields if name}
        text = say(code, **values)
        assert "{" not in text and "}" not in text and text.strip() == text


@pytest.mark.parametrize(
    ("code", "fields", "expected"),
    [
        ("blank_rows", {"n": 1, "lines": [3]}, "Skipped 1 blank row (line 3)."),
        ("blank_rows", {"n": 5, "lines": [3, 5, 8, 9, 10]}, "Skipped 5 blank rows (lines 3, 5, 8 and 2 more)."),
        ("text_cells", {"name": "v", "n": 1, "lines": [11], "example": "1,23"},
         "Column 'v' has 1 cell that is not a number (line 11, e.g. '1,23'); it counts as missing."),
        ("text_cells", {"name": "v", "n": 2, "lines": [4, 7], "example": "x" * 30},
         "Column 'v' has 2 cells that are not a number (lines 4 and 7, e.g. '" + "x" * 19 + "\u2026'); "
         "they count as missing."),
        ("constant", {"n": 2, "names": ["a", "b"]}, "Columns 'a' and 'b' are constant; they carry no information."),
        ("empty_columns", {"n": 7, "names": list("abcdefg")},
         "Columns 'a', 'b', 'c', 'd', 'e' and 2 more have no values and cannot be used."),
        ("thousands", {"n": 1234, "cell": "1.250", "value": 1250.0, "mark": "','"},
         "1,234 numbers were written with thousands separators and read that way (e.g. '1.250' as 1250; "
         "decimal mark ','). If that is wrong, re-save the file with plain numbers such as 1234.5."),
    ],
)
def test_templates_agree_in_number_and_quote_names(code, fields, expected):
    assert say(code, **fields) == expected


def test_a_note_can_fill_a_field_of_another():
    ragged = Note("ragged_short", {"n": 1, "lines": [4], "reference": Note("reference_header", {"width": 3})})
    assert render([ragged]) == (
        "1 row (line 4) has fewer fields than the header (3); the missing cells were left empty.",
    )


def test_error_is_a_csv_error_with_the_sentence():
    err = error("no_such_column", name="nope")
    assert isinstance(err, CsvError) and str(err).startswith("There is no column 'nope' in this file.")


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (b"x,y\n1,2\n", "utf-8"),
        (b"\xef\xbb\xbfx,y\n1,2\n", "utf-8-sig"),
        ("x,y\n1,2\n".encode("utf-16"), "utf-16"),
        ("x,y\n1,2\n".encode("utf-32"), "utf-32"),
        ("x,y\n1,2\n".encode("utf-16-be"), "utf-16-be"),
        ("\u00e9,y\n1,2\n".encode("cp1252"), "cp1252"),
        (b"\x81,y\n1,2\n", "latin-1"),
    ],
)
def test_decode_finds_the_encoding(raw, encoding):
    decoded = csv_decode.decode(raw)
    assert decoded.encoding == encoding
    assert decoded.text.removeprefix("\ufeff").endswith("1,2\n")
    assert bool(decoded.notes) == (encoding in ("cp1252", "latin-1"))


def test_decode_keeps_going_past_bad_bytes_after_a_bom():
    decoded = csv_decode.decode(b"\xef\xbb\xbfx,y\n\xff,2\n")
    assert decoded.text == "x,y\n\ufffd,2\n"
    assert render(decoded.notes)[0].startswith("The file starts with a UTF-8 byte-order mark")


@pytest.mark.parametrize(
    ("raw", "filename", "phrase"),
    [
        (b"PK\x03\x04xl/workbook", "a.csv", "Excel workbook"),
        (b"PK\x03\x04mimetypeapplication/vnd.oasis.opendocument.spreadsheet", "a.csv", "(.ods)"),
        (b"PK\x03\x04word/document.xml", "a.csv", "Word document"),
        (b"BZh91AY&SY", "a.csv", "compressed (bzip2)"),
        (b"SQLite format 3\x00" + b"\x00" * 100, "a.db", "SQLite database"),
        (b"x,y\n1,\x002\n", "a.csv", "looks binary"),
    ],
)
def test_decode_refuses_binary_files(raw, filename, phrase):
    with pytest.raises(CsvError, match=phrase.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        csv_decode.decode(raw, filename)


def test_to_text_accepts_str_and_strips_a_bom_character():
    decoded = csv_decode.to_text("\ufeffx,y\n1,2\n")
    assert (decoded.text, decoded.encoding, decoded.notes) == ("x,y\n1,2\n", "str", ())
    with pytest.raises(CsvError, match="Excel workbook"):
        csv_decode.to_text('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">')


# ---------------------------------------------------------------------------
# Dialect
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("lines", "delimiter"),
    [
        (["a;b\n", "1,5;2\n", "3,25;-0,5\n"], ";"),  # decimal commas do not make ',' win
        (['a,b\n', '"x;y",1\n', '"z;w",2\n'], ","),  # delimiters inside quotes do not count
        (["a|b\n", "1|2\n"], "|"),
        (["a\n", "1\n", "2\n"], ","),  # one column: the default
        (["x,y,note\n"] + [f"{i},{i},a;b\n" for i in range(20)], ","),  # ';' inside every unquoted note
        (["a\x00b,c\n", "1,2\n"], ","),  # NUL characters do not stop the detection
        ([], ","),
    ],
)
def test_sniff_delimiter(lines, delimiter):
    assert csv_dialect.sniff_delimiter("".join(lines)) == delimiter


def test_sniff_delimiter_looks_at_whole_lines_of_the_start_only():
    text = "x;y\n" + "".join(f"{i};{i}\n" for i in range(5000)) + "a,b,c,d\n" * 5000
    assert len(text) > 16384 and csv_dialect.sniff_delimiter(text) == ";"


def test_detect_reads_the_excel_sep_line_and_the_quoting():
    dialect = csv_dialect.detect("sep=|\nx|y\n1|2\n")
    assert (dialect.delimiter, dialect.line_offset, dialect.text) == ("|", 1, "x|y\n1|2\n")
    assert dialect.quoting == csv.QUOTE_NONE and dialect.notes == ()
    assert csv_dialect.detect('x,y\n"1",2\n').quoting == csv.QUOTE_MINIMAL
    odd = csv_dialect.detect('x,y\n"1,2\n')
    assert odd.quoting == csv.QUOTE_NONE and [n.code for n in odd.notes] == ["unmatched_quote"]


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------

def _body(text: str, max_rows: int = 100, seed: int = 0, header: bool = True):
    dialect = csv_dialect.detect(text)
    return csv_records.read_body(dialect, csv_records.RowCap(max_rows, seed), lambda first, sample: (header, "."))


def test_read_body_numbers_records_by_their_first_line():
    body = _body('\nx,y\n1,"a\nb"\n2,c\n')
    assert body.first == ["x", "y"] and body.header
    assert body.records == [["1", "a\nb"], ["2", "c"]] and body.lines == [3, 5]
    assert (body.n_body, body.sampled) == (2, False)


@pytest.mark.parametrize("quoted", [False, True])
def test_read_body_samples_in_file_order(quoted):
    text = ('"x"' if quoted else "x") + "\n" + "".join(f"{i}\n" for i in range(1000))
    body = _body(text, max_rows=10, seed=1)
    assert body.sampled and body.n_body == 1000 and len(body.records) == 10
    assert [int(r[0]) + 2 for r in body.records] == body.lines == sorted(body.lines)
    assert _body(text, max_rows=10, seed=1).lines == body.lines


def test_read_body_falls_back_to_plain_splitting_when_csv_gives_up():
    body = _body('x,y\n"' + "a" * 200_000 + '\n1",2\n')
    assert body.dialect.quoting == csv.QUOTE_NONE
    assert [n.code for n in body.dialect.notes] == ["unpaired_quotes"]


def test_row_cap_refuses_a_cap_below_one():
    with pytest.raises(ValueError, match="max_rows must be at least 1"):
        csv_records.RowCap(0, 0)


def test_read_body_of_blank_records_is_empty():
    with pytest.raises(CsvError, match="The file is empty"):
        _body(",,\n\n")


def test_tidy_drops_blank_records_and_notes_ragged_ones():
    rows = csv_records.tidy(_body("x,y,z\n1,2,3\n\n4,5\n6,7,8,9\n"))
    assert rows.width == 3 and rows.records == [["1", "2", "3"], ["4", "5"], ["6", "7", "8", "9"]]
    assert rows.lines.tolist() == [2, 4, 5] and rows.blank_lines == [3]
    assert [n.code for n in rows.notes] == ["ragged_long", "ragged_short", "blank_rows"]


def test_tidy_without_header_takes_the_commonest_width():
    assert csv_records.tidy(_body("1,2\n3,4\n5,6,7\n", header=False)).width == 2


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------

def test_parse_column_kinds_values_and_groups():
    parsed = csv_cells.parse_column(["1.5", "NA", "1,234.5", "x", "\u22122", "inf", '"7"'], ".")
    assert parsed.kinds.tolist() == [csv_cells.NUMBER, csv_cells.MISSING, csv_cells.NUMBER, csv_cells.TEXT,
                                     csv_cells.NUMBER, csv_cells.NUMBER, csv_cells.NUMBER]
    np.testing.assert_array_equal(parsed.values, [1.5, np.nan, 1234.5, np.nan, -2.0, np.inf, 7.0])
    assert parsed.grouped == [2] and (parsed.n_number, parsed.n_text) == (5, 1) and parsed.numeric


def test_parse_column_with_decimal_commas():
    parsed = csv_cells.parse_column(["1,5", "1.234,5", "1.234", ",5", "1,2,3"], ",")
    np.testing.assert_array_equal(parsed.values, [1.5, 1234.5, 1234.0, 0.5, np.nan])
    assert parsed.grouped == [1, 2] and parsed.kinds[-1] == csv_cells.TEXT


@pytest.mark.parametrize(
    ("cells", "delimiter", "decimal"),
    [(["1,5", "2"], ",", ","), (["1.5", "2"], ";", "."), (["1.234", "2"], ";", ","), (["1,234"], ",", ".")],
)
def test_choose_decimal(cells, delimiter, decimal):
    assert csv_cells.choose_decimal(cells, delimiter) == decimal


@pytest.mark.parametrize(
    ("first", "expected"),
    [(["x", "y"], True), (["1", "2"], False), (["1", "a"], False), (["id", "2"], True), (["", ""], False)],
)
def test_has_header(first, expected):
    body = [["3", "b"], ["4", "c"]] if first == ["1", "a"] else [["3", "5"], ["4", "6"]]
    assert csv_cells.has_header(first, body, ".") is expected


# ---------------------------------------------------------------------------
# Table
# ---------------------------------------------------------------------------

def test_unique_names():
    assert csv_table.unique_names(["x", "x", " ", "x (2)"], 5) == (
        ["x", "x (2)", "column 3", "x (2) (2)", "column 5"], [True, True, False, True, False])


def test_build_table_types_columns_and_collects_notes():
    rows = csv_records.Rows([["1", "a"], ["2", "b"], ["oops", "c"], ["4", "d"], ["5", "e"]],
                            np.array([2, 3, 4, 5, 6]), 2, [], [])
    source = csv_table.Source(",", "utf-8", 5, False, [])
    table = csv_table.build_table(rows, ["v", "name"], ".", source, [Note("one_row")])
    assert table.numeric_columns == ("v",) and table.other_columns == ("name",)
    assert table.report.messages[0] == say("one_row")
    assert "Column 'v' has 1 cell that is not a number (line 4, e.g. 'oops')" in table.report.messages[1]
    with pytest.raises(CsvError, match=r"found 1 column \('name'\), none of them numeric"):
        csv_table.build_table(csv_records.Rows([["a"]], np.array([2]), 1, [], []), ["name"], ".", source, [])
