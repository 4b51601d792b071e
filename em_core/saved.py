"""Saved fits: a whole ``History`` and a display sample in one versioned file (``.emviz``).

Format, version 1
-----------------
A ZIP archive (deflated members, fixed timestamps: the same history and
sample always give the same bytes) holding:

``manifest.json``
    UTF-8 JSON object::

        {"format": "emviz-fit", "version": 1,
         "covariance_type": "full", "init": "kmeans", "n_components": K, "n_features": d,
         "converged": true, "n_iter": 12, "kmeans_converged": true | false | null,
         "kmeans_restart_objectives": [J, ...], "options": {...fit_history's options...},
         "column_names": ["x", "y", ...], "n_samples_total": N,
         "sample": {"n_rows": S, "seed": 0 | null},
         "init_responsibilities": {"kind": "nearest" | "random" | "uniform", "key": int | null},
         "steps": [{"kind": "kmeans_assign", "iteration": 1, "flags": {"converged": []}}, ...],
         "arrays": {"weights": {"shape": [T, K], "dtype": "<f8", "sha256": "..."}, ...}}

    Floats in JSON (tol, reg_covar, the restarts' J) are written with
    Python's shortest round-trip repr, so they read back bit for bit.

One ``.npy`` member per array (``numpy.lib.format``, no pickles), T = number of steps:

``weights`` (T, K), ``means`` (T, K, d), ``covariances`` (T, *shape of the covariance type*),
``counts`` (T, K), ``scalars`` (T, 3)
    Every step's parameters; ``scalars`` holds each step's log-likelihood,
    lower bound and k-means objective, NaN where the step has none (a
    recorded value is never NaN).
``sample_rows`` (S, d) float64 and ``sample_row_numbers`` (S,) int64
    The display sample (S <= 10,000 by default): the rows and their numbers
    among the N fitted rows, ascending.
``init_centroids`` (K, d)
    Only when ``init_responsibilities.kind`` is ``"nearest"``: the k-means
    labels that start EM are the nearest of these centroids.

The manifest's ``sha256`` of each member's bytes detects a corrupted member;
ZIP's own checks detect a truncated file. Readers refuse any other
``format`` or ``version``: a later version that changes the layout raises
the version number.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np

from ._rows import NumpyRows, is_dask_array, seeded_rows
from ._validation import covariance_shape
from .history import History, make_step

FORMAT = "emviz-fit"
VERSION = 1
#: The display sample's default (and the app's) size.
SAMPLE_ROWS = 10_000
_STEP_ARRAYS = ("weights", "means", "covariances", "counts")
_SCALARS = ("log_likelihood", "lower_bound", "kmeans_objective")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # ZIP's earliest date: no clock in the file


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def _sample_rows(history: History, sample, seed):
    """(positions in ``history.X``, rows, their numbers among the fitted rows) of the display sample."""
    n = history.n_samples
    if np.ndim(sample) == 0:
        if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < 0:
            raise ValueError(f"sample must be a number of rows >= 0 or an array of row numbers; got {sample!r}.")
        positions = seeded_rows(n, int(sample), np.random.default_rng(seed))
    else:
        positions = np.unique(np.asarray(sample, dtype=np.int64))
        if positions.size and (positions[0] < 0 or positions[-1] >= n):
            raise ValueError(f"sample row numbers must lie in 0..{n - 1}.")
    if is_dask_array(history.X):
        from ._dask import DaskRows

        rows = DaskRows(history.X, None).take(positions)
    else:
        rows = NumpyRows(np.asarray(history.X, dtype=float)).take(positions)
    numbers = positions if history.row_numbers is None else np.asarray(history.row_numbers)[positions]
    return rows, np.asarray(numbers, dtype=np.int64)


def save_history(history: History, file, *, sample=SAMPLE_ROWS, column_names=None, seed=0) -> None:
    """Write ``history`` and a display sample to ``file`` (see the module docstring); ``History.save``."""
    rows, numbers = _sample_rows(history, sample, seed)
    d = history.n_features
    names = column_names if column_names is not None else history.column_names
    names = [f"x{j + 1}" for j in range(d)] if names is None else [str(c) for c in names]
    if len(names) != d:
        raise ValueError(f"column_names has {len(names)} name(s) but the data has {d} column(s).")
    kind, payload = history._init_responsibilities
    arrays = {name: np.stack([np.asarray(getattr(s, name), dtype=np.float64) for s in history])
              for name in _STEP_ARRAYS}
    arrays["scalars"] = np.array([[np.nan if getattr(s, f) is None else getattr(s, f) for f in _SCALARS]
                                  for s in history], dtype=np.float64)
    arrays["sample_rows"] = np.asarray(rows, dtype=np.float64).reshape(-1, d)
    arrays["sample_row_numbers"] = numbers
    if kind == "nearest":
        arrays["init_centroids"] = np.asarray(payload, dtype=np.float64)
    members = {f"{name}.npy": _npy_bytes(array) for name, array in arrays.items()}
    manifest = {
        "format": FORMAT, "version": VERSION,
        "covariance_type": history.covariance_type, "init": history.init,
        "n_components": int(history.n_components), "n_features": int(d),
        "converged": bool(history.converged), "n_iter": int(history.n_iter),
        "kmeans_converged": None if history.kmeans_converged is None else bool(history.kmeans_converged),
        "kmeans_restart_objectives": [float(j) for j in history.kmeans_restart_objectives],
        "options": {key: (value.item() if isinstance(value, np.generic) else value)
                    for key, value in history.options.items()},
        "column_names": names, "n_samples_total": int(history.n_samples_total),
        "sample": {"n_rows": int(numbers.size), "seed": None if np.ndim(sample) else seed},
        "init_responsibilities": {"kind": kind, "key": int(payload) if kind == "random" else None},
        "steps": [{"kind": s.kind, "iteration": int(s.iteration),
                   "flags": {name: list(components) for name, components in s.flags.items()}}
                  for s in history],
        "arrays": {name: {"shape": list(array.shape), "dtype": array.dtype.str,
                          "sha256": hashlib.sha256(members[f"{name}.npy"]).hexdigest()}
                   for name, array in arrays.items()},
    }
    members = {"manifest.json": json.dumps(manifest, indent=1, allow_nan=False).encode(), **members}
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=_EPOCH), data, compress_type=zipfile.ZIP_DEFLATED)


def _refuse(reason: str):
    return ValueError(f"This is not a readable emviz saved fit: {reason}.")


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json").decode("utf-8"))
    except KeyError:
        raise _refuse("it has no manifest.json (is it a saved fit at all?)") from None
    except (ValueError, UnicodeDecodeError):
        raise _refuse("its manifest is not valid JSON (the file is corrupted)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse("its manifest does not describe an emviz fit")
    if manifest.get("version") != VERSION:
        raise ValueError(f"This saved fit uses format version {manifest.get('version')!r}; this em_core "
                         f"reads version {VERSION} only. Open it with the emviz version that wrote it.")
    return manifest


def _read_array(archive: zipfile.ZipFile, manifest: dict, name: str) -> np.ndarray:
    described = manifest["arrays"].get(name)
    if described is None:
        raise _refuse(f"the manifest lists no array {name!r}")
    try:
        data = archive.read(f"{name}.npy")
    except KeyError:
        raise _refuse(f"the array {name!r} is missing") from None
    if hashlib.sha256(data).hexdigest() != described["sha256"]:
        raise _refuse(f"the array {name!r} does not match its checksum (the file is corrupted)")
    array = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    if list(array.shape) != described["shape"] or array.dtype.str != described["dtype"]:
        raise _refuse(f"the array {name!r} does not have the shape its manifest gives")
    array.setflags(write=False)
    return array


def load_history(file) -> History:
    """Read a saved fit written by ``History.save``.

    Parameters
    ----------
    file : str, os.PathLike or binary file object

    Returns
    -------
    History
        Every recorded step, bit for bit; ``X`` is the display sample (read-only),
        ``row_numbers`` its rows' numbers among the fitted rows, ``n_samples_total``
        the number of fitted rows, ``column_names`` the columns' names.
        ``responsibilities(i)``, ``labels(i)`` and ``model(i)`` work as on the
        original history, on the sample's rows.

    Raises
    ------
    ValueError
        When the file is not a saved fit, is truncated or corrupted, or was
        written in another format version; the message says which.
    """
    try:
        with zipfile.ZipFile(file) as archive:
            manifest = _read_manifest(archive)
            try:
                arrays = {name: _read_array(archive, manifest, name) for name in manifest["arrays"]}
                return _history_from(manifest, arrays)
            except (KeyError, TypeError, IndexError) as err:
                raise _refuse(f"its manifest lacks or garbles an entry ({err})") from None
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile):
        raise _refuse("it is not a complete ZIP archive (truncated, corrupted, or another kind of file)") from None
    except (OSError, zipfile.error) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise _refuse(f"it could not be read ({err})") from None


def _history_from(manifest: dict, arrays: dict) -> History:
    K, d, T = manifest["n_components"], manifest["n_features"], len(manifest["steps"])
    expected = {"weights": (T, K), "means": (T, K, d), "counts": (T, K), "scalars": (T, 3),
                "covariances": (T, *covariance_shape(manifest["covariance_type"], K, d)),
                "sample_rows": (manifest["sample"]["n_rows"], d), "sample_row_numbers": (manifest["sample"]["n_rows"],)}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise _refuse(f"the array {name!r} has shape {arrays[name].shape}, not {shape}")
    steps = []
    for index, record in enumerate(manifest["steps"]):
        scalars = [None if np.isnan(value) else float(value) for value in arrays["scalars"][index]]
        steps.append(make_step(index, record["kind"], record["iteration"],
                               *(arrays[name][index] for name in _STEP_ARRAYS),
                               **dict(zip(_SCALARS, scalars)), flags=record["flags"]))
    spec = manifest["init_responsibilities"]
    payload = {"nearest": arrays.get("init_centroids"), "random": spec["key"], "uniform": None}[spec["kind"]]
    return History(arrays["sample_rows"], steps, covariance_type=manifest["covariance_type"], n_components=K,
                   init=manifest["init"], converged=manifest["converged"], n_iter=manifest["n_iter"],
                   init_responsibilities=(spec["kind"], payload),
                   kmeans_restart_objectives=manifest["kmeans_restart_objectives"],
                   kmeans_converged=manifest["kmeans_converged"], options=manifest["options"],
                   row_numbers=arrays["sample_row_numbers"], n_samples_total=manifest["n_samples_total"],
                   column_names=manifest["column_names"])
