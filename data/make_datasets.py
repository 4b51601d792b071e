"""Generate the built-in teaching data sets as CSV files.

Run from anywhere::

    python data/make_datasets.py            # writes into data/ beside this file
    python data/make_datasets.py --out DIR  # writes into DIR instead

Every set is drawn from its own fixed seed with ``numpy.random.default_rng``,
floats are written with a fixed format and ``\\n`` line endings, so re-running
the script reproduces every file byte for byte (``tests/test_datasets.py``
checks this). The Iris set is copied from ``plotly.data.iris()``, which ships
inside the plotly package, so nothing is downloaded.

The column layout must match the ``DatasetInfo`` entries in
``emviz/datasets.py``; the tests check that too. This script deliberately does
not import ``emviz`` so that it runs as a plain file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent

# A table is (header, rows); every row is already formatted text.
Table = tuple[list[str], list[list[str]]]


def _fmt(value: float) -> str:
    # Six decimals is far below the noise in every set and is platform-stable;
    # "+ 0.0" turns a negative zero into "0.000000" so no "-0.000000" appears.
    return f"{float(value) + 0.0:.6f}"


def _gaussian_clusters(
    seed: int,
    clusters: Sequence[tuple[str, int, Sequence[float], np.ndarray]],
) -> tuple[np.ndarray, list[str]]:
    """Draw labelled Gaussian clusters and shuffle them together.

    Parameters
    ----------
    seed : int
        Seed for ``numpy.random.default_rng``.
    clusters : sequence of (label, n, mean, cov)
        One entry per cluster; ``cov`` is the full covariance matrix.

    Returns
    -------
    points : ndarray, shape (n_total, d)
    labels : list of str
    """
    rng = np.random.default_rng(seed)
    blocks = []
    labels: list[str] = []
    for label, n, mean, cov in clusters:
        blocks.append(rng.multivariate_normal(np.asarray(mean, float), cov, size=n, method="cholesky"))
        labels.extend([label] * n)
    points = np.vstack(blocks)
    # Shuffled so that "take the first K rows" is not accidentally a perfect
    # initialisation and file order carries no hint of the labels.
    order = rng.permutation(len(labels))
    return points[order], [labels[i] for i in order]


def _xy_table(points: np.ndarray, labels: Sequence[str], names: Sequence[str] = ("x", "y")) -> Table:
    rows = [[*(_fmt(v) for v in p), lab] for p, lab in zip(points, labels)]
    return [*names, "label"], rows


def _iso(std: float, d: int = 2) -> np.ndarray:
    return np.eye(d) * std**2


def make_mouse() -> Table:
    """Head (290 points, std 1.0) and two ears (100 points each, std 0.35)."""
    points, labels = _gaussian_clusters(
        101,
        [
            ("head", 290, (0.0, 0.0), _iso(1.0)),
            ("left ear", 100, (-1.75, 1.75), _iso(0.35)),
            ("right ear", 100, (1.75, 1.75), _iso(0.35)),
        ],
    )
    return _xy_table(points, labels)


def make_blobs() -> Table:
    """Four equal, well separated round clusters on the corners of a square."""
    points, labels = _gaussian_clusters(
        102,
        [(f"cluster {i + 1}", 100, centre, _iso(0.6)) for i, centre in enumerate([(-3, -3), (3, -3), (-3, 3), (3, 3)])],
    )
    return _xy_table(points, labels)


def make_anisotropic() -> Table:
    """Three round clusters pushed through one shear, so all are long and tilted."""
    rng_points, labels = _gaussian_clusters(
        103,
        [
            ("cluster 1", 150, (-4.0, 0.0), _iso(0.8)),
            ("cluster 2", 150, (0.0, 0.0), _iso(0.8)),
            ("cluster 3", 150, (4.0, 0.0), _iso(0.8)),
        ],
    )
    # Shearing after drawing keeps every cluster Gaussian but gives all of
    # them the same strongly tilted covariance, which round k-means misses.
    shear = np.array([[0.6, -0.64], [-0.4, 0.85]]).T
    stretch = np.array([[1.0, 0.0], [0.0, 3.5]])
    points = rng_points @ stretch @ shear
    return _xy_table(points, labels)


def make_unequal() -> Table:
    """A tight small cluster beside a broad large one."""
    points, labels = _gaussian_clusters(
        104,
        [
            ("broad", 340, (0.0, 0.0), _iso(1.6)),
            ("tight", 60, (3.4, 0.4), _iso(0.3)),
        ],
    )
    return _xy_table(points, labels)


def make_overlapping() -> Table:
    """Two clusters whose clouds overlap heavily."""
    points, labels = _gaussian_clusters(
        105,
        [
            ("cluster 1", 250, (0.0, 0.0), np.array([[1.0, 0.3], [0.3, 0.8]])),
            ("cluster 2", 250, (1.8, 0.9), np.array([[0.9, -0.2], [-0.2, 1.1]])),
        ],
    )
    return _xy_table(points, labels)


def make_bad_init() -> Table:
    """Five tight clusters: two close pairs far apart and one loner."""
    centres = [(-8.0, -1.2), (-8.0, 1.2), (8.0, -1.2), (8.0, 1.2), (0.0, 9.0)]
    points, labels = _gaussian_clusters(
        106,
        [(f"cluster {i + 1}", 80, c, _iso(0.4)) for i, c in enumerate(centres)],
    )
    return _xy_table(points, labels)


def make_bimodal_1d() -> Table:
    """One column with two modes of different height and width."""
    rng = np.random.default_rng(107)
    low = rng.normal(-2.0, 0.7, size=300)
    high = rng.normal(2.5, 1.2, size=200)
    values = np.concatenate([low, high])
    labels = ["low"] * 300 + ["high"] * 200
    order = rng.permutation(len(labels))
    return ["x", "label"], [[_fmt(values[i]), labels[i]] for i in order]


def make_collapse() -> Table:
    """Two round clusters and five identical points between them: a component can collapse onto those."""
    rng = np.random.default_rng(128)
    left = rng.normal([0.0, 0.0], 1.0, (150, 2))
    right = rng.normal([7.0, 0.0], 1.0, (150, 2))
    # Exact duplicates: a component that shrinks onto them has a density there that grows without
    # bound as its variance goes to 0 (with reg_covar = 0 nothing stops it).
    identical = np.repeat([[3.5, 3.0]], 5, axis=0)
    points = np.vstack([left, right, identical])
    labels = ["left"] * 150 + ["right"] * 150 + ["five identical points"] * 5
    order = rng.permutation(len(labels))
    return _xy_table(points[order], [labels[i] for i in order])


def make_iris() -> Table:
    """Fisher's Iris measurements, copied from the copy bundled with plotly."""
    import plotly.data  # imported here: the synthetic sets need only numpy

    frame = plotly.data.iris()
    features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    # The source has one decimal; keeping it avoids implying false precision.
    rows = [[*(f"{v:.1f}" for v in rec[:4]), str(rec[4])] for rec in frame[[*features, "species"]].itertuples(index=False)]
    return [*features, "species"], rows


MAKERS: dict[str, Callable[[], Table]] = {
    "mouse": make_mouse,
    "blobs": make_blobs,
    "anisotropic": make_anisotropic,
    "unequal": make_unequal,
    "overlapping": make_overlapping,
    "bad_init": make_bad_init,
    "bimodal_1d": make_bimodal_1d,
    "collapse": make_collapse,
    "iris": make_iris,
}


def render(table: Table) -> str:
    """Render a table as CSV text with ``\\n`` line endings.

    No value in these sets contains a comma, quote or newline, so no quoting
    is needed; the assertion keeps it that way.
    """
    header, rows = table
    lines = []
    for row in [header, *rows]:
        assert not any(ch in cell for cell in row for ch in ',"\n\r'), row
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def write_datasets(out_dir: Path | str = DATA_DIR) -> list[Path]:
    """Write every data set as ``<key>.csv`` into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Target folder; created if missing.

    Returns
    -------
    list of Path
        The files written, in ``MAKERS`` order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, make in MAKERS.items():
        path = out / f"{key}.csv"
        # newline="" stops Windows from turning "\n" into "\r\n".
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write(render(make()))
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output folder (default: data/)")
    args = parser.parse_args(argv)
    for path in write_datasets(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
