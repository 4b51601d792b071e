"""Thirty students opening the lecturer's link in the same second, at the protocol level.

Starts ``streamlit run app.py`` and the bare one-chart page of ``bench_app.py`` (from a
temporary file), each on a free 127.0.0.1 port, and opens ``--sessions`` websocket sessions
to each server at once, as that many browser tabs would, but without the browsers (thirty
Chromiums on two cores would measure the browsers, not the server)::

    python benchmarks/bench_burst.py                  # 30 sessions, 3 bursts per server
    python benchmarks/bench_burst.py --sessions 10 --bursts 5 --query "dataset=iris&k=3"

Each session speaks Streamlit's own protocol on ``/_stcore/stream``: it sends one ``BackMsg``
with ``rerun_script`` (the page's query string), then reads ``ForwardMsg``s until
``script_finished``. Measured from the moment the burst starts:

* **all finished**: until the last of the sessions has its first run finished;
* **median session**: the median of the sessions' own times;
* **errors**: sessions that failed to connect, timed out, or whose run finished with an
  exception element or a compile error;
* **bytes/session**: what each session received (websocket payloads), median and largest.

Two kinds of burst per server: **warm** — one unmeasured session first, so the server's
caches and imports are warm (the lecturer opened the link before the class did) — and
**cold** — a new server per burst, the thirty are its first visitors. Target (issue 13): warm
burst ≤ 2× the bare page's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from websockets.typing import Subprotocol

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from anywhere: emviz is importable
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_app import BARE_PAGE, progress  # noqa: E402
from emviz.devserver import start_streamlit, stop_process_group  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

TARGET_RATIO = 2.0
SESSION_TIMEOUT = 180.0  # seconds one session may take before it counts as an error
MAX_MESSAGES = 100_000   # a bound on the messages read per session


@dataclass
class Session:
    seconds: float | None = None
    bytes: int = 0
    messages: int = 0
    error: str | None = None
    exceptions: list[str] = field(default_factory=list)


async def one_session(url: str, query: str, started: float) -> Session:
    """Connect, ask for the first run with ``query``, read until ``script_finished``."""
    ws_url = url.replace("http://", "ws://", 1) + "/_stcore/stream"
    assert ws_url.startswith("ws://127.0.0.1:"), ws_url  # localhost targets only
    result = Session()
    try:
        async with asyncio.timeout(SESSION_TIMEOUT):
            async with websockets.connect(ws_url, subprotocols=[Subprotocol("streamlit")], max_size=None,
                                          compression=None, open_timeout=SESSION_TIMEOUT) as ws:
                back = BackMsg()
                back.rerun_script.query_string = query
                back.rerun_script.page_script_hash = ""
                await ws.send(back.SerializeToString())
                for _ in range(MAX_MESSAGES):
                    data = await ws.recv()
                    result.bytes += len(data)
                    result.messages += 1
                    msg = ForwardMsg()
                    msg.ParseFromString(data)
                    kind = msg.WhichOneof("type")
                    if kind == "delta" and msg.delta.WhichOneof("type") == "new_element" \
                            and msg.delta.new_element.WhichOneof("type") == "exception":
                        exc = msg.delta.new_element.exception
                        result.exceptions.append(f"{exc.type}: {exc.message}"[:200])
                    elif kind == "script_finished":
                        status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                        if status == "FINISHED_EARLY_FOR_RERUN":
                            continue  # the page asked for a rerun itself: its next run is the one shown
                        result.seconds = time.perf_counter() - started
                        if status != "FINISHED_SUCCESSFULLY":
                            result.error = status
                        break
                else:
                    result.error = f"no script_finished in {MAX_MESSAGES} messages"
    except TimeoutError:
        result.error = f"timeout after {SESSION_TIMEOUT:.0f} s"
    except (OSError, websockets.WebSocketException) as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:200]
    if result.exceptions and not result.error:
        result.error = "exception shown: " + result.exceptions[0]
    return result


async def burst(url: str, query: str, sessions: int) -> tuple[float | None, list[Session]]:
    """``sessions`` sessions at once; the time until the last first run finished (None on any error)."""
    started = time.perf_counter()
    results = await asyncio.gather(*(one_session(url, query, started) for _ in range(sessions)))
    done = [r.seconds for r in results if r.seconds is not None and not r.error]
    total = max(done) if len(done) == sessions else None
    return total, list(results)


@dataclass
class Row:
    name: str
    totals: list[float] = field(default_factory=list)
    session_times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)

    def add(self, total: float | None, results: list[Session]) -> None:
        if total is not None:
            self.totals.append(total)
        self.session_times += [r.seconds for r in results if r.seconds is not None]
        self.errors += [r.error for r in results if r.error]
        self.bytes += [r.bytes for r in results]

    @property
    def median_total(self) -> float | None:
        return statistics.median(self.totals) if self.totals else None


def measure(script: Path, query: str, sessions: int, bursts: int, work: Path, name: str) -> tuple[Row, Row]:
    """Warm bursts on one server (after an unmeasured session), then cold bursts on a new server each."""
    warm, cold = Row(f"{name}, warm"), Row(f"{name}, cold")
    slug = name.replace(" ", "-")
    proc, url = start_streamlit(script, log_path=work / f"{slug}-warm.log")
    try:
        progress(f"{name}: warm-up session")
        first = asyncio.run(burst(url, query, 1))[1][0]
        if first.error:
            warm.errors.append(f"warm-up: {first.error}")
        for i in range(bursts):
            progress(f"{name}: warm burst {i + 1}/{bursts}")
            warm.add(*asyncio.run(burst(url, query, sessions)))
    finally:
        stop_process_group(proc)
    for i in range(bursts):
        progress(f"{name}: cold burst {i + 1}/{bursts} (new server)")
        proc, url = start_streamlit(script, log_path=work / f"{slug}-cold-{i}.log")
        try:
            cold.add(*asyncio.run(burst(url, query, sessions)))
        finally:
            stop_process_group(proc)
    return warm, cold


def fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def fmt_kb(value: float) -> str:
    return f"{value / 1024:.0f} KB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="sessions opened at once (1–200)")
    parser.add_argument("--bursts", type=int, default=3, help="measured bursts per kind and server (1–20)")
    parser.add_argument("--query", default="", help="the app page's query string (the shared link), e.g. k=3")
    parser.add_argument("--bare-n", type=int, default=490, help="points on the bare page's chart")
    args = parser.parse_args(argv)
    if not (1 <= args.sessions <= 200 and 1 <= args.bursts <= 20):
        parser.error("--sessions must be 1–200 and --bursts 1–20")

    work = Path(tempfile.mkdtemp(prefix="emviz-burst-"))
    bare_script = work / "bare_page.py"
    bare_script.write_text(BARE_PAGE)
    app_warm, app_cold = measure(REPO / "app.py", args.query, args.sessions, args.bursts, work, "app")
    bare_warm, bare_cold = measure(bare_script, f"n={args.bare_n}", args.sessions, args.bursts, work, "bare page")

    print(f"\n{args.sessions} sessions at once, {args.bursts} bursts each, medians (logs in {work})\n")
    print("| burst | app: all finished | bare page: all finished | ratio | app median session "
          "| bare median session | errors (app / bare) | bytes/session app (max) | bytes/session bare (max) |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratios = {}
    for kind, app, bare in (("warm", app_warm, bare_warm), ("cold", app_cold, bare_cold)):
        a, b = app.median_total, bare.median_total
        ratio = a / b if a is not None and b else None
        ratios[kind] = ratio
        print(f"| {kind} | {fmt_s(a)} | {fmt_s(b)} | {'—' if ratio is None else f'{ratio:.2f}'} "
              f"| {fmt_s(statistics.median(app.session_times) if app.session_times else None)} "
              f"| {fmt_s(statistics.median(bare.session_times) if bare.session_times else None)} "
              f"| {len(app.errors)} / {len(bare.errors)} "
              f"| {fmt_kb(statistics.median(app.bytes))} ({fmt_kb(max(app.bytes))}) "
              f"| {fmt_kb(statistics.median(bare.bytes))} ({fmt_kb(max(bare.bytes))}) |")
    for row in (app_warm, app_cold, bare_warm, bare_cold):
        for error in sorted(set(row.errors))[:5]:
            print(f"error ({row.name}, {row.errors.count(error)}×): {error}")
    warm = ratios.get("warm")
    if warm is not None:
        verdict = "met" if warm <= TARGET_RATIO else "not met"
        print(f"\nTarget: warm burst ≤ {TARGET_RATIO:.1f}× the bare page's — {warm:.2f}×, {verdict}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
