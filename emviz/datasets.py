"""Built-in teaching data sets.

Every set, including Iris, is read from a CSV file in the repository's
``data/`` folder. Those files are written by ``data/make_datasets.py`` from
fixed seeds (Iris is copied there from ``plotly.data.iris()``, which ships with
plotly), so what the app shows is exactly what is committed and reviewable.

Examples
--------
>>> from emviz.datasets import DATASETS, load_dataset
>>> info = DATASETS["mouse"]
>>> frame = load_dataset("mouse")
>>> X = frame[list(info.feature_columns)].to_numpy()
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

__all__ = ["DATA_DIR", "DATASETS", "DatasetInfo", "dataset_keys", "load_dataset"]

#: Folder holding the generated CSV files.
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class DatasetInfo:
    """Description of one built-in data set.

    Attributes
    ----------
    key : str
        Short identifier, also the CSV file stem (``"mouse"`` → ``mouse.csv``).
    title : str
        Human-readable name for menus.
    note : str
        One paragraph on what the set teaches.
    default_k : int
        Number of components the app should start with (the true count).
    feature_columns : tuple of str
        Numeric columns to fit, in order.
    label_column : str or None
        Column holding the true cluster names, or None if there are none.
    """

    key: str
    title: str
    note: str
    default_k: int
    feature_columns: tuple[str, ...]
    label_column: str | None


_XY = ("x", "y")

# Insertion order is menu order; "mouse" comes first because it is the app's
# default: the one picture that shows why EM is more than k-means.
DATASETS: dict[str, DatasetInfo] = {
    info.key: info
    for info in [
        DatasetInfo(
            key="mouse",
            title="Mouse (head and two ears)",
            note=(
                "A large round head of 290 points with two small, tight ears of 100 points each "
                "touching it above left and above right. K-means with K = 3 draws straight "
                "boundaries halfway between centres, so the ears swallow the top of the head. "
                "EM fits a separate spread and weight for each cluster, lets the broad head claim "
                "its outer points and recovers the head and both ears."
            ),
            default_k=3,
            feature_columns=_XY,
            label_column="label",
        ),
        DatasetInfo(
            key="blobs",
            title="Four separate blobs",
            note=(
                "Four equally sized, equally round clusters far apart. This is the easy case in "
                "which k-means and EM agree: every point is almost certainly in one cluster, the "
                "soft assignments are nearly 0 or 1 and EM converges in a few iterations. Use it "
                "as the baseline before trying the harder sets."
            ),
            default_k=4,
            feature_columns=_XY,
            label_column="label",
        ),
        DatasetInfo(
            key="anisotropic",
            title="Anisotropic (long, tilted clusters)",
            note=(
                "Three clusters stretched and sheared into long, tilted ellipses lying side by "
                "side. A model with round (spherical) or axis-aligned components, like k-means, "
                "cuts across them; EM with full covariance matrices learns the tilt and recovers "
                "each ellipse. Compare the covariance types to see the difference."
            ),
            default_k=3,
            feature_columns=_XY,
            label_column="label",
        ),
        DatasetInfo(
            key="unequal",
            title="Unequal sizes and spreads",
            note=(
                "A tight cluster of 60 points beside a broad cloud of 340. K-means puts the "
                "boundary halfway between the two centres and hands the near side of the broad "
                "cloud to the small cluster. EM weighs each point by each cluster's own variance "
                "and mixing weight, so the boundary wraps closely around the tight cluster."
            ),
            default_k=2,
            feature_columns=_XY,
            label_column="label",
        ),
        DatasetInfo(
            key="overlapping",
            title="Two overlapping clusters",
            note=(
                "Two clusters of 250 points whose clouds overlap heavily, so no hard boundary "
                "separates them. Each point was drawn from one of the two clusters; a "
                "responsibility near 0.5 means the model cannot tell which. In the default fit "
                "(K = 2, full covariances, k-means start, seed 0) 17 of the 500 points (3.4 %) "
                "end with responsibilities between 0.4 and 0.6, and 136 (27.2 %) between 0.1 and "
                "0.9. This is where the soft assignments of EM matter; colour points by "
                "responsibility rather than by the most likely cluster."
            ),
            default_k=2,
            feature_columns=_XY,
            label_column="label",
        ),
        DatasetInfo(
            key="bad_init",
            title="Bad initialisation trap",
            note=(
                "Five tight clusters: two close pairs far apart and one on its own. Started from "
                "random data points as means (Initialisation in the sidebar), EM settles in 19 of the "
                "seeds 0–19 with one component covering a whole pair while two components share a "
                "single cluster: a local optimum about 169 lower in log-likelihood (−1,174 to −1,395 "
                "against −1,010). The default k-means++ start, which spreads its seeds out, finds the "
                "best fit for all 20 seeds. Try several seeds of each and compare: this is why real "
                "fits use several restarts or a careful initialisation."
            ),
            default_k=5,
            feature_columns=_XY,
            label_column="label",
        ),
        DatasetInfo(
            key="bimodal_1d",
            title="Bimodal (one dimension)",
            note=(
                "A single measurement with two bumps of different height and width: 300 points "
                "near -2 and 200 broader points near 2.5. In one dimension the mixture is easy to "
                "see on a histogram: watch the two weighted bell curves add up to the overall "
                "density, and how the E-step splits the points where the bumps overlap."
            ),
            default_k=2,
            feature_columns=("x",),
            label_column="label",
        ),
        DatasetInfo(
            key="collapse",
            title="A collapse (set reg_covar to 0)",
            note=(
                "Two round clusters of 150 points and five identical points between them. With "
                "reg_covar = 0 (sidebar, Stopping and regularisation), K = 3 and seed 0, the third "
                "component shrinks onto the five identical points: its variance falls towards 0 "
                "and the log-likelihood runs away from about −1,120 to above +2,500 in 12 "
                "iterations. Maximum likelihood for a mixture has no maximum: a component on a "
                "single spot can make it as large as you like. With the default reg_covar = 1e-6 "
                "the same start still sits on the five points but stops at a finite −1,052."
            ),
            default_k=3,
            feature_columns=_XY,
            label_column="label",
        ),
        DatasetInfo(
            key="iris",
            title="Iris flowers (real data)",
            note=(
                "Fisher's 1936 measurements of 150 iris flowers from three species, four numeric "
                "columns (sepal and petal length and width). Setosa stands apart; versicolor and "
                "virginica overlap. Real data is not a textbook mixture: see how well three "
                "Gaussians match the species, and how the answer depends on the chosen columns."
            ),
            default_k=3,
            feature_columns=("sepal_length", "sepal_width", "petal_length", "petal_width"),
            label_column="species",
        ),
    ]
}


def dataset_keys() -> list[str]:
    """Return the data set keys in menu order (``"mouse"`` first).

    Returns
    -------
    list of str
    """
    return list(DATASETS)


@lru_cache(maxsize=None)
def _read(key: str) -> pd.DataFrame:
    info = DATASETS[key]
    dtypes: dict[str, str] = {col: "float64" for col in info.feature_columns}
    if info.label_column is not None:
        dtypes[info.label_column] = "str"
    frame = pd.read_csv(DATA_DIR / f"{key}.csv", dtype=dtypes)
    expected = [*info.feature_columns, *([info.label_column] if info.label_column else [])]
    if list(frame.columns) != expected:
        # A stale CSV would silently feed the wrong columns to every page.
        raise RuntimeError(
            f"data/{key}.csv has columns {list(frame.columns)}, expected {expected}; "
            "re-run python data/make_datasets.py"
        )
    return frame


def load_dataset(key: str) -> pd.DataFrame:
    """Load a built-in data set.

    Parameters
    ----------
    key : str
        One of :func:`dataset_keys`.

    Returns
    -------
    pandas.DataFrame
        The feature columns (float64) followed by the label column (str), if
        the set has one, with a default ``RangeIndex``. A fresh copy each call,
        so callers may modify it.

    Raises
    ------
    KeyError
        If ``key`` is not a known data set; the message lists the known keys.
    """
    if key not in DATASETS:
        raise KeyError(f"Unknown data set {key!r}; choose one of: {', '.join(DATASETS)}.")
    return _read(key).copy()
