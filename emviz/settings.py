"""The shareable settings: one table that the widgets, the link reader and writer, and the pages read.

Each :class:`Setting` names its URL parameter, its session key (the
``FitOptions`` field of the same name for fit options), its type, its default
and the values its widget can show. A link may only set a value the widget
offers: anything else is replaced by the default with a note saying so, never
silently turned into another value by the widget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from .datasets import DATASETS
from .fitting import COVARIANCE_LABELS, INIT_LABELS, FitOptions

__all__ = ["MAX_COMPONENTS", "MEANS_PARAMETER", "SETTINGS", "Setting", "decode_means", "encode_means",
           "parse_link_value", "setting_for_key"]

#: The K slider's largest value (and the Choose K grid's).
MAX_COMPONENTS = 10
_OPTION_DEFAULTS = {f.name: f.default for f in fields(FitOptions)}


@dataclass(frozen=True)
class Setting:
    """One shareable setting.

    Attributes
    ----------
    url : str
        Query-parameter name in a link.
    key : str
        Session-state key (and ``FitOptions`` field for fit options).
    kind : type
        ``int``, ``float`` or ``str``: how the link's text is read.
    default : object
        The value used when a link has none or one the widget cannot show
        (None: the data set decides, as for K).
    choices : tuple or None
        The values a select widget offers, in order.
    bounds : tuple of (low, high) or None
        Inclusive range of a number widget.
    what : str
        The widget's label, for notes about a refused link value.
    """

    url: str
    key: str
    kind: type
    default: object
    choices: tuple | None = None
    bounds: tuple | None = None
    what: str = ""

    def offers(self, value) -> bool:
        """Whether the widget can show ``value``."""
        if self.choices is not None:
            return value in self.choices
        if self.bounds is not None:
            return self.bounds[0] <= value <= self.bounds[1]
        return True

    def allowed_text(self) -> str:
        if self.choices is not None:
            return ", ".join(f"{c:g}" if isinstance(c, float) else str(c) for c in self.choices)
        return f"{self.bounds[0]:,}–{self.bounds[1]:,}" if self.bounds else "any"


def _fit_option(url, key, what, **widget) -> Setting:
    return Setting(url, key, type(_OPTION_DEFAULTS[key]), _OPTION_DEFAULTS[key], what=what, **widget)


SETTINGS: tuple[Setting, ...] = (
    Setting("data", "dataset", str, "mouse", choices=tuple(DATASETS) + ("drawn",), what="Data set"),
    Setting("k", "n_components", int, None, bounds=(1, MAX_COMPONENTS), what="Components K"),
    _fit_option("cov", "covariance_type", "Covariance type", choices=tuple(COVARIANCE_LABELS)),
    _fit_option("init", "init", "Initialisation", choices=tuple(INIT_LABELS)),
    _fit_option("seed", "seed", "Random seed", bounds=(0, 2**31 - 1)),
    _fit_option("iter", "max_iter", "Max EM iterations", bounds=(1, 1000)),
    _fit_option("tol", "tol", "Tolerance", choices=(1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 0.0)),
    _fit_option("reg", "reg_covar", "reg_covar", choices=(0.0, 1e-9, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1)),
    _fit_option("ninit", "n_init", "k-means restarts", bounds=(1, 20)),
)
_BY_KEY = {s.key: s for s in SETTINGS}


def setting_for_key(key: str) -> Setting:
    """The setting stored under session key ``key``."""
    return _BY_KEY[key]


def parse_link_value(setting: Setting, text: str):
    """The value a link's ``text`` sets, or a ``ValueError`` saying why the widget cannot show it.

    Numbers are compared as the widget holds them: ``reg=1e-06`` and
    ``reg=0.000001`` both pick the slider's 1e-06. The error's message is the
    reason alone ("is not a whole number", "is not offered"): the caller quotes
    the link's text, escaped for where it shows it.
    """
    try:
        value = setting.kind(text)
    except (TypeError, ValueError):
        raise ValueError("is not a whole number" if setting.kind is int else
                         "is not a number" if setting.kind is float else "is not valid") from None
    if setting.kind is float and setting.choices is not None:
        # A float written another way still names the same slider notch.
        value = next((c for c in setting.choices if abs(c - value) <= 1e-12 * max(abs(c), 1e-300)), value)
    if not setting.offers(value):
        raise ValueError("is not offered")
    return value


#: The URL parameter of hand-placed means (``init=placed``).
MEANS_PARAMETER = "means"


def encode_means(means) -> str:
    """Hand-placed means as link text: components separated by ``;``, coordinates by ``,``.

    Written with Python's shortest round-trip repr, so :func:`decode_means` gives back
    exactly the same floats.
    """
    return ";".join(",".join(repr(float(v)) for v in row) for row in means)


def decode_means(text: str, n_components: int | None = None, n_features: int | None = None) -> tuple:
    """The means in link text (see :func:`encode_means`), or a ``ValueError`` saying what is wrong with it.

    Parameters
    ----------
    text : str
    n_components, n_features : int, optional
        The shape the means must have, when known.
    """
    rows = [row for row in str(text).strip().split(";") if row.strip()]
    if not rows or len(text) > 20_000:
        raise ValueError("the link's means are empty or far too long")
    try:
        means = tuple(tuple(float(v) for v in row.split(",")) for row in rows)
    except ValueError:
        raise ValueError("the link's means are not numbers (write them as x,y;x,y;…)") from None
    widths = {len(row) for row in means}
    if len(widths) != 1 or not all(math.isfinite(v) for row in means for v in row):
        raise ValueError("every mean in the link needs the same number of finite coordinates")
    if n_components is not None and len(means) != n_components:
        raise ValueError(f"the link places {len(means)} mean(s), but K is {n_components}")
    if n_features is not None and widths != {n_features}:
        raise ValueError(f"the link's means have {widths.pop()} coordinate(s), but the data has {n_features} column(s)")
    return means
