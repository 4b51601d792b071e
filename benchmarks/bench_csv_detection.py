"""Benchmark: the loader's hand-written detection against clevercsv and charset-normalizer.

The CSV loader guesses two things a library could guess instead: the
delimiter and, once UTF-8 has failed, the encoding. The delimiter now comes
from ``clevercsv`` (``emviz.csv_dialect.sniff_delimiter``); the hand-written
sniffer it replaced is loaded from git (``--old-rev``) and swapped back in.
The encoding stays hand-written (``emviz.csv_decode.decode``: Windows-1252,
then Latin-1); ``charset_normalizer.from_bytes(...).best()`` is swapped in for
that fall-back. Each is scored on two corpora:

* **tests**: ``tests/test_csv_loader.py`` is run in this process once per
  detection; a test that fails with the library swapped in is a file the
  loader reads right today and the library would read wrong (or name
  differently). Every ``load_csv`` input the tests make is recorded; the
  table also shows on how many of them the library's guess agrees with the
  hand-written one.
* **hostile**: files written here for each guess, each with its truth (the
  delimiter, or the text the bytes encode). A guess is right if it is the
  true delimiter, or decodes the bytes to the true text.

Then the speed of the whole loader on a generated 200,000-row, ~50 MB file:
the loader of ``--old-rev`` (from git) against the working tree's.

Usage::

    python benchmarks/bench_csv_detection.py
    python benchmarks/bench_csv_detection.py --no-speed
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import importlib.util
import io
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import charset_normalizer  # noqa: E402

from emviz import csv_decode, csv_dialect  # noqa: E402
import emviz.csv_loader as csv_loader  # noqa: E402

# ---------------------------------------------------------------------------
# The library guesses, shaped like the hand-written ones
# ---------------------------------------------------------------------------


OLD = None  # the loader before the split, set by main()


def hand_delimiter(text: str) -> str:
    """The hand-written sniffer on the lines it used to see (200 lines of the first 1 MB)."""
    return OLD._sniff_delimiter(_head_lines(text))


def _head_lines(text: str) -> list[str]:
    return io.StringIO(text[:1_000_000], newline="").readlines()[:200]


def _codec_name(name: str) -> str:
    """Python's canonical codec name, spelled as LoadReport.encoding spells it."""
    canonical = codecs.lookup(name).name
    return {"iso8859-1": "latin-1", "utf-8": "utf-8"}.get(canonical, canonical)


_hand_decode = csv_decode.decode


def charset_normalizer_decode(data: bytes, filename: str = "upload.csv") -> csv_decode.Decoded:
    """The hand-written decode, with charset-normalizer's guess once UTF-8 fails."""
    decoded = _hand_decode(data, filename)
    if decoded.encoding not in ("cp1252", "latin-1"):
        return decoded  # BOM, UTF-8, UTF-16: not a guess
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        return decoded
    codec = _codec_name(best.encoding)
    return csv_decode.Decoded(data.decode(codec, errors="replace"), codec, decoded.notes)


@contextlib.contextmanager
def swapped(module, name: str, replacement: Callable | None) -> Iterator[None]:
    if replacement is None:
        yield
        return
    original = getattr(module, name)
    setattr(module, name, replacement)
    try:
        yield
    finally:
        setattr(module, name, original)


# ---------------------------------------------------------------------------
# Corpus 1: the loader's tests
# ---------------------------------------------------------------------------


class _Recorder:
    """A pytest plugin that records load_csv's inputs and the tests' outcomes."""

    def __init__(self) -> None:
        self.inputs: list[bytes | str] = []
        self.failed: list[str] = []
        self.passed = 0

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call":
            if report.passed:
                self.passed += 1
            elif report.failed:
                self.failed.append(report.nodeid.split("::", 1)[1])


def run_tests(module, name: str, replacement: Callable | None) -> _Recorder:
    import pytest

    recorder = _Recorder()
    original = csv_loader.load_csv

    def recording(data, *args, **kwargs):
        recorder.inputs.append(data if isinstance(data, str) else bytes(data))
        return original(data, *args, **kwargs)

    csv_loader.load_csv = recording
    try:
        with swapped(module, name, replacement), contextlib.redirect_stdout(io.StringIO()):
            pytest.main([str(ROOT / "tests" / "test_csv_loader.py"), "-qq", "-p", "no:cacheprovider"],
                        plugins=[recorder])
    finally:
        csv_loader.load_csv = original
    return recorder


def _sniff_text(data: bytes | str) -> str | None:
    """The text the sniffer sees for an input, or None if it never gets that far."""
    try:
        text = csv_decode.to_text(data).text
    except csv_loader.CsvError:
        return None
    return None if csv_dialect.detect(text).line_offset else text  # a "sep=" line decides


def agreement(inputs: list[bytes | str]) -> dict[str, tuple[int, int, float, float]]:
    """Per guess: (inputs where library and hand agree, inputs guessed, hand s, library s)."""
    out = {}
    samples = [s for s in (_sniff_text(d) for d in inputs) if s is not None]
    t0 = time.perf_counter()
    hand = [hand_delimiter(s) for s in samples]
    t1 = time.perf_counter()
    lib = [csv_dialect.sniff_delimiter(s) for s in samples]
    t2 = time.perf_counter()
    out["delimiter"] = (sum(a == b for a, b in zip(hand, lib)), len(samples), t1 - t0, t2 - t1)
    raws = [d for d in inputs if isinstance(d, bytes)]
    guessed = []
    for raw in raws:
        with contextlib.suppress(csv_loader.CsvError):
            if _hand_decode(raw).encoding in ("cp1252", "latin-1"):
                guessed.append(raw)
    t0 = time.perf_counter()
    hand_text = [_hand_decode(r).text for r in guessed]
    t1 = time.perf_counter()
    lib_text = [charset_normalizer_decode(r).text for r in guessed]
    t2 = time.perf_counter()
    out["encoding"] = (sum(a == b for a, b in zip(hand_text, lib_text)), len(guessed), t1 - t0, t2 - t1)
    return out


# ---------------------------------------------------------------------------
# Corpus 2: hostile files with a known truth
# ---------------------------------------------------------------------------


def _rows(n: int, row: Callable[[int], str]) -> str:
    return "".join(row(i) + "\n" for i in range(n))


# (name, text, true delimiter)
HOSTILE_DELIMITERS: list[tuple[str, str, str]] = [
    ("comma, ';' in every unquoted note", "x,y,note\n" + _rows(30, lambda i: f"{i},{i * 2},a;b"), ","),
    ("comma, decimal commas quoted", "x,y\n" + _rows(30, lambda i: f'"{i},5","{i},25"'), ","),
    ("semicolon, decimal commas", "x;y\n" + _rows(30, lambda i: f"{i},5;{i},25"), ";"),
    ("semicolon, two columns, integers", "a;b\n" + _rows(5, lambda i: f"{i};{i + 1}"), ";"),
    ("tab, commas in text", "x\ty\tnote\n" + _rows(30, lambda i: f"{i}\t{i}\tred, big"), "\t"),
    ("pipe, decimal commas", "x|y\n" + _rows(30, lambda i: f"{i},5|{i}"), "|"),
    ("comma, ragged rows", "x,y,z\n" + _rows(30, lambda i: ",".join(str(j) for j in range(1 + i % 4))), ","),
    ("comma, header has one field more", "id,x,y,\n" + _rows(30, lambda i: f"{i},{i},{i}"), ","),
    ("comma, free text with ';' and '|'", "x,y,text\n" + _rows(
        30, lambda i: f"{i},{i},{'a;b|c' if i % 3 else 'plain'}"), ","),
    ("semicolon, thousands with dots", "v;w\n" + _rows(30, lambda i: f"{i}.{i:03d},5;{i}"), ";"),
    ("comma, one column of text then numbers", "name,v\n" + _rows(30, lambda i: f"n;{i},{i}"), ","),
    ("tab, only two lines", "a\tb\n1\t2\n", "\t"),
    ("comma, very few lines, times with ':'", "t,v\n12:30,1\n13:45,2\n", ","),
    ("semicolon, quoted cells with commas", "a;b\n" + _rows(20, lambda i: f'"x, {i}";{i},5'), ";"),
]

# (name, bytes, true text)
HOSTILE_ENCODINGS: list[tuple[str, bytes, str]] = []


def _encoded(name: str, text: str, codec: str) -> None:
    HOSTILE_ENCODINGS.append((name, text.encode(codec), text))


_encoded("Windows-1252, short header", "na\u00efve \u20ac,y\n1,2\n3,4\n", "cp1252")
_encoded("Windows-1252, German names", "Gr\u00f6\u00dfe,H\u00f6he,Stra\u00dfe\n" + _rows(20, lambda i: f"{i},{i},M\u00fcller"), "cp1252")
_encoded("Latin-1, French names", "\u00e9t\u00e9,hiver\n" + _rows(20, lambda i: f"{i},{i}"), "latin-1")
_encoded("Windows-1252, quotes and dashes", "\u201cx\u201d,y \u2013 z\n" + _rows(10, lambda i: f"{i},{i}"), "cp1252")
_encoded("Windows-1251, Russian", "\u0434\u043b\u0438\u043d\u0430,\u0448\u0438\u0440\u0438\u043d\u0430,"
         "\u0432\u0438\u0434\n" + _rows(30, lambda i: f"{i},{i},\u0441\u0435\u0442\u043e\u0437\u0430"), "cp1251")
_encoded("Windows-1250, Polish", "Wysoko\u015b\u0107,Szeroko\u015b\u0107,Miasto\n" + _rows(
    30, lambda i: f"{i},{i},\u0141\u00f3d\u017a"), "cp1250")
_encoded("Shift-JIS, Japanese", "\u9577\u3055,\u5e45,\u7a2e\u985e\n" + _rows(
    30, lambda i: f"{i},{i},\u82b1"), "shift_jis")
_encoded("GB2312, Chinese", "\u957f\u5ea6,\u5bbd\u5ea6,\u79cd\u7c7b\n" + _rows(30, lambda i: f"{i},{i},\u82b1"), "gb2312")
_encoded("ISO-8859-7, Greek", "\u03bc\u03ae\u03ba\u03bf\u03c2,\u03c0\u03bb\u03ac\u03c4\u03bf\u03c2\n" + _rows(
    30, lambda i: f"{i},{i}"), "iso8859-7")
_encoded("Windows-1252, one accent in a long file", "caf\u00e9,y\n" + _rows(2000, lambda i: f"{i},{i / 3:.4f}"), "cp1252")


def _score(cases, hand: Callable, lib: Callable, right: Callable, show: Callable):
    """(hand right, library right, cases hand gets wrong, cases library gets wrong, hand s, library s)."""
    counts, wrong, seconds = [0, 0], ([], []), [0.0, 0.0]
    for name, data, truth in cases:
        for k, guess in enumerate((hand, lib)):
            t0 = time.perf_counter()
            found = guess(data)
            seconds[k] += time.perf_counter() - t0
            if right(found, truth):
                counts[k] += 1
            else:
                wrong[k].append(f"{name} ({show(found)})")
    return (*counts, *wrong, *seconds)


def score_hostile() -> dict[str, tuple[int, int, list[str], list[str], float, float]]:
    """Per guess: (hand right, library right, cases hand gets wrong, cases library gets wrong, times)."""
    return {
        "delimiter": _score(HOSTILE_DELIMITERS, hand_delimiter, csv_dialect.sniff_delimiter,
                            lambda found, truth: found == truth, repr),
        "encoding": _score(HOSTILE_ENCODINGS, _hand_decode, charset_normalizer_decode,
                           lambda found, truth: found.text == truth, lambda found: found.encoding),
    }


# ---------------------------------------------------------------------------
# Speed of the whole loader, old against new
# ---------------------------------------------------------------------------


def big_file(n_rows: int = 200_000, n_cols: int = 25) -> bytes:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(n_rows, n_cols)) * 1000
    header = ",".join(f"c{j}" for j in range(n_cols))
    body = "\n".join(",".join(f"{v:.4f}" for v in row) for row in values)
    return (header + "\n" + body + "\n").encode()


def old_loader(rev: str):
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:emviz/csv_loader.py"],
                            check=True, capture_output=True, text=True).stdout
    path = Path("/tmp") / f"emviz_csv_loader_{rev}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"old_csv_loader_{rev}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def best_of(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


# ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old-rev", default="4eb8564", help="git revision of the loader before the split")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    global OLD
    OLD = old_loader(args.old_rev)

    print("Corpus 1: tests/test_csv_loader.py, run once per detection")
    print(f"{'detection':<40} {'tests passed':>12} {'failed':>6}")
    base = run_tests(csv_dialect, "sniff_delimiter", hand_delimiter)
    print(f"{'hand-written (before the split)':<40} {base.passed:>12} {len(base.failed):>6}")
    runs = {
        "delimiter: clevercsv (now)": run_tests(csv_dialect, "sniff_delimiter", None),
        "encoding: charset-normalizer": run_tests(csv_decode, "decode", charset_normalizer_decode),
    }
    for label, run in runs.items():
        print(f"{label:<40} {run.passed:>12} {len(run.failed):>6}")
        for nodeid in run.failed:
            print(f"    fails: {nodeid}")

    print(f"\nSame {len(base.inputs)} load_csv inputs (hypothesis cases included): library agrees with hand-written")
    print(f"{'guess':<10} {'agree':>6} {'of':>6} {'hand s':>8} {'library s':>10}")
    for guess, (agree, total, t_hand, t_lib) in agreement(base.inputs).items():
        print(f"{guess:<10} {agree:>6} {total:>6} {t_hand:>8.3f} {t_lib:>10.3f}")

    print("\nCorpus 2: hostile files with a known truth")
    print(f"{'guess':<10} {'cases':>6} {'hand right':>11} {'library right':>14} {'hand s':>8} {'library s':>10}")
    for guess, (hand, lib, hand_wrong, lib_wrong, t_hand, t_lib) in score_hostile().items():
        total = len(HOSTILE_DELIMITERS if guess == "delimiter" else HOSTILE_ENCODINGS)
        print(f"{guess:<10} {total:>6} {hand:>11} {lib:>14} {t_hand:>8.3f} {t_lib:>10.3f}")
        for case in hand_wrong:
            print(f"    hand wrong:    {case}")
        for case in lib_wrong:
            print(f"    library wrong: {case}")

    if args.no_speed:
        return
    data = big_file()
    text = data.decode()
    print(f"\nSpeed on a generated file: 200,000 rows x 25 columns, {len(data) / 1e6:.1f} MB "
          f"(best of {args.repeats}, old and new alternating)")
    old_times, new_times = [], []
    for _ in range(args.repeats):
        old_times.append(best_of(lambda: OLD.load_csv(data), 1))
        new_times.append(best_of(lambda: csv_loader.load_csv(data), 1))
    timings = {
        f"load_csv before the split ({args.old_rev})": min(old_times),
        "load_csv now": min(new_times),
        "  delimiter, hand-written (200 lines)": best_of(lambda: hand_delimiter(text), args.repeats),
        "  delimiter, clevercsv (first 16 KB)": best_of(lambda: csv_dialect.sniff_delimiter(text), args.repeats),
    }
    for label, seconds in timings.items():
        print(f"{label:<46} {seconds:>8.3f} s")


if __name__ == "__main__":
    main()
