"""``python -m em_core fit``: fit a file too big for memory on Dask, save the history for the app.

The rows are read with ``dask.dataframe`` (CSV or Parquet: a file, a glob or a
directory of them) and fitted by ``fit_history`` on a Dask array, on a
``LocalCluster`` started here or on an existing cluster. One line per EM
iteration (log-likelihood, its change, seconds), a summary, then the fit is
saved with a 10,000-row display sample (``em_core.saved``).

Bad input (a missing file, no numeric column, an unknown column, fewer rows
than K, an unreachable scheduler...) ends with one sentence on stderr and exit
status 2; nothing else here prints a traceback.
"""

from __future__ import annotations

import argparse
import glob
import math
import os
import sys
import time

from ._validation import COVARIANCE_TYPES, INIT_METHODS

EXIT_BAD_INPUT = 2
CONNECT_TIMEOUT_S = 5
_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class BadInput(Exception):
    """A problem with what the user asked for: its message is the one sentence printed."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own: usage text and a message; ours: one sentence
        raise BadInput(f"{message[0].upper()}{message[1:]} (see python -m em_core fit --help).")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m em_core", description="emviz's numerical core on the command line.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    fit = commands.add_parser(
        "fit", help="fit a Gaussian mixture to a CSV or Parquet file on Dask and save its history",
        description="Fit a Gaussian mixture by EM to every row of a CSV or Parquet file (or a glob or a "
                    "directory of them) on Dask, print one line per iteration, and save the whole history "
                    "with a 10,000-row display sample for the emviz app.")
    fit.add_argument("path", metavar="PATH", help="a .csv/.parquet file, a glob (quote it) or a directory")
    fit.add_argument("--k", type=int, required=True, help="number of components K")
    fit.add_argument("--cov", default="full", choices=COVARIANCE_TYPES, help="covariance type (default: full)")
    fit.add_argument("--init", default="kmeans", choices=INIT_METHODS[:-1],
                     help="initialisation (default: kmeans)")
    fit.add_argument("--seed", type=int, default=0, help="seed of every random choice (default: 0)")
    fit.add_argument("--max-iter", type=int, default=100, help="maximum EM iterations (default: 100)")
    fit.add_argument("--tol", type=float, default=1e-3,
                     help="stop when the mean log-likelihood per row changes less (default: 1e-3)")
    fit.add_argument("--reg-covar", type=float, default=1e-6, help="added to covariance diagonals (default: 1e-6)")
    fit.add_argument("--kmeans-max-iter", type=int, default=300, help="maximum Lloyd rounds (default: 300)")
    fit.add_argument("--columns", help="comma-separated columns to fit (default: every numeric column)")
    fit.add_argument("--scheduler", metavar="ADDRESS",
                     help="an existing Dask scheduler, e.g. tcp://host:8786 (default: start a LocalCluster "
                          "on this machine, one worker process per core); 'synchronous' runs everything in "
                          "this process with no cluster at all (fast start: tests, small files)")
    fit.add_argument("--out", required=True, help="the saved fit to write, e.g. fit.emviz")
    return parser


# Reading ------------------------------------------------------------------------------------------

def _files(path: str) -> tuple[str, list[str]]:
    """The kind ('csv' or 'parquet') and the files that PATH names."""
    if os.path.isdir(path):
        files = sorted(f for f in glob.glob(os.path.join(path, "*")) if os.path.splitext(f)[1].lower() in _SUFFIXES)
        where = f"the directory {path}"
    elif glob.has_magic(path):
        files = sorted(f for f in glob.glob(path) if os.path.isfile(f))
        where = f"the pattern {path}"
    elif os.path.isfile(path):
        files, where = [path], path
    else:
        raise BadInput(f"There is no file or directory {path}.")
    if not files:
        raise BadInput(f"{where} holds no .csv or .parquet file.")
    kinds = {_SUFFIXES.get(os.path.splitext(f)[1].lower()) for f in files}
    if None in kinds:
        odd = next(f for f in files if os.path.splitext(f)[1].lower() not in _SUFFIXES)
        raise BadInput(f"{odd} is neither a .csv nor a .parquet file.")
    if len(kinds) > 1:
        raise BadInput(f"{where} mixes CSV and Parquet files; give one kind at a time.")
    return kinds.pop(), files


def read_columns(path: str, columns: str | None):
    """The chosen numeric columns of PATH as a lazy dataframe, and their names."""
    import dask.dataframe as dd
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    kind, files = _files(path)
    try:
        frame = dd.read_parquet(files) if kind == "parquet" else dd.read_csv(files, assume_missing=True)
    except Exception as err:  # noqa: BLE001 -- any reader failure is the file's, said in one sentence
        raise BadInput(f"Could not read {path} as {kind.upper()}: {_first_line(err)}.") from None
    names = [str(c) for c in frame.columns]
    numeric = [str(c) for c in frame.columns
               if is_numeric_dtype(frame.dtypes[c]) and not is_bool_dtype(frame.dtypes[c])]
    if columns is None:
        if not numeric:
            raise BadInput(f"{path} has no numeric column (its columns: {', '.join(names) or 'none'}).")
        chosen = numeric
    else:
        chosen = [c.strip() for c in columns.split(",") if c.strip()]
        unknown = [c for c in chosen if c not in names]
        if unknown:
            raise BadInput(f"Unknown column(s) {', '.join(unknown)}; {path} has {', '.join(names)}.")
        text = [c for c in chosen if c not in numeric]
        if text:
            raise BadInput(f"Column(s) {', '.join(text)} of {path} are not numeric; choose numeric columns.")
    return frame[chosen], chosen


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__).rstrip(".")


# Running --------------------------------------------------------------------------------------------

class _Progress:
    """One line per M-step (and one for the k-means start), with the seconds since the last line."""

    def __init__(self, n_rows: int, stream):
        self.n_rows, self.stream = n_rows, stream
        self.last_time = time.perf_counter()
        self.last_likelihood = None
        self.kmeans_rounds = 0
        self.em_seconds = 0.0  # E-step + M-step passes of the iterations, without the start

    def __call__(self, step) -> None:
        now = time.perf_counter()
        if step.is_kmeans:
            self.kmeans_rounds += step.kind == "kmeans_assign"
            return
        if step.kind == "init":
            start = f"after {self.kmeans_rounds} k-means round(s), " if self.kmeans_rounds else ""
            line = f"init: {start}log-likelihood {step.log_likelihood:.6f}"
        elif step.kind == "m_step":
            self.em_seconds += now - self.last_time
            change = (step.log_likelihood - self.last_likelihood) / self.n_rows
            line = (f"iteration {step.iteration:4d}: log-likelihood {step.log_likelihood:.6f}  "
                    f"change per row {change:+.3e}")
        else:
            return
        print(f"{line}  ({now - self.last_time:.2f} s)", file=self.stream, flush=True)
        self.last_time, self.last_likelihood = now, step.log_likelihood


def _connect(scheduler: str | None, stack):
    """Start or join the Dask scheduler (entered on ``stack``); returns a description of it."""
    import dask

    if scheduler == "synchronous":
        stack.enter_context(dask.config.set(scheduler="synchronous"))
        return "the synchronous scheduler (this process)"
    from distributed import Client, LocalCluster

    if scheduler is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        cluster = stack.enter_context(LocalCluster(n_workers=cores, threads_per_worker=1, processes=True,
                                                   dashboard_address=None))
        client = stack.enter_context(Client(cluster))
        return f"a LocalCluster of {cores} worker process(es)"
    try:
        client = stack.enter_context(Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s"))
    except (OSError, TimeoutError, ValueError) as err:
        raise BadInput(f"Could not reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT_S} s "
                       f"({_first_line(err)}).") from None
    return f"the scheduler at {client.scheduler.address}"


def run_fit(args, out=None) -> int:
    from contextlib import ExitStack

    import em_core

    out = sys.stdout if out is None else out
    frame, names = read_columns(args.path, args.columns)
    with ExitStack() as stack:
        where = _connect(args.scheduler, stack)
        started = time.perf_counter()
        try:
            X = frame.to_dask_array(lengths=True)
        except Exception as err:  # noqa: BLE001 -- a cell the reader could not parse, for instance
            raise BadInput(f"Could not read the rows of {args.path}: {_first_line(err)}.") from None
        n_rows = int(X.shape[0])
        print(f"Fitting K={args.k} ({args.cov}, init {args.init}) to {n_rows:,} rows x {len(names)} columns "
              f"({', '.join(names)}) on {where}.", file=out, flush=True)
        progress = _Progress(max(n_rows, 1), out)
        try:
            history = em_core.fit_history(
                X, args.k, covariance_type=args.cov, init=args.init, seed=args.seed, max_iter=args.max_iter,
                tol=args.tol, reg_covar=args.reg_covar, kmeans_max_iter=args.kmeans_max_iter,
                on_step=progress)
        except ValueError as err:
            raise BadInput(f"Cannot fit {args.path}: {err}") from None
        seconds = time.perf_counter() - started
        history.save(args.out, column_names=names, seed=args.seed)
    final = history.final
    state = "converged" if history.converged else f"stopped at --max-iter {args.max_iter}"
    per_iteration = progress.em_seconds / max(history.n_iter, 1)
    print(f"Done: {history.n_iter} EM iteration(s), {state}; log-likelihood {final.log_likelihood:.6f} "
          f"({final.log_likelihood / n_rows:.6f} per row); {len(history)} steps in {seconds:.1f} s "
          f"({per_iteration:.2f} s per EM iteration); saved to {args.out} with a "
          f"{min(n_rows, 10_000):,}-row display sample.", file=out, flush=True)
    return 0


def main(argv=None) -> int:
    """Entry point of ``python -m em_core``; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        if args.k < 1 or not math.isfinite(args.tol) or args.max_iter < 1:
            raise BadInput("--k and --max-iter must be at least 1 and --tol a finite number.")
        return run_fit(args)
    except BadInput as err:
        print(f"em_core fit: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("em_core fit: interrupted.", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 -- a bug of ours, still said in one line
        if os.environ.get("EM_CORE_TRACEBACK"):
            raise
        print(f"em_core fit: unexpected error ({type(err).__name__}: {_first_line(err)}); "
              "set EM_CORE_TRACEBACK=1 to see where.", file=sys.stderr)
        return 1
