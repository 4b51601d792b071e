"""The ellipse-level options: one table for what each option draws and how it is named.

A level is a probability mass: the ellipse of a 2-D Gaussian that encloses mass
``m`` is its Mahalanobis circle of radius ``sqrt(-2 log(1 - m))``. The "sigma"
option draws the masses a 1-D Gaussian holds within 1, 2 and 3 standard
deviations (68.3 %, 95.4 %, 99.7 %); in 2-D those regions have radii 1.52, 2.49
and 3.44, not 1, 2 and 3 (a radius-1 ellipse holds only 39.3 %). Every label,
help text and sentence about the levels is derived here from the numbers, so
the sidebar, the figures and the theory page cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import em_core

__all__ = ["DEFAULT_LEVEL_KIND", "ELLIPSE_LEVELS", "LevelSet", "level_masses"]


@dataclass(frozen=True)
class LevelSet:
    """One option of the *Ellipse levels* control.

    Attributes
    ----------
    key : str
        Session and URL value (``"sigma"`` or ``"mass"``).
    values : tuple of float
        What ``figures.step_figure`` takes as ``levels`` for this ``level_kind``:
        numbers of standard deviations, or masses in (0, 1).
    """

    key: str
    values: tuple[float, ...]

    @property
    def masses(self) -> tuple[float, ...]:
        """Probability mass each ellipse encloses."""
        return level_masses(self.values, self.key)

    @property
    def radii(self) -> tuple[float, ...]:
        """Mahalanobis radius of each ellipse in a 2-D view."""
        return tuple(em_core.chi2_radius(m) for m in self.masses)

    @property
    def label(self) -> str:
        """Option label: the masses drawn, e.g. ``"68.3 · 95.4 · 99.7 %"``."""
        return " · ".join(_percent(m) for m in self.masses) + " %"

    @property
    def radii_text(self) -> str:
        return ", ".join(f"{r:.2f}" for r in self.radii)

    @property
    def sentence(self) -> str:
        """A sentence for captions: what the ellipses enclose and where they lie."""
        masses = ", ".join(_percent(m) + " %" for m in self.masses[:-1]) + f" and {_percent(self.masses[-1])} %"
        text = f"ellipses enclose {masses} of each component's probability mass (Mahalanobis radii {self.radii_text}"
        if self.key == "sigma":
            sigmas = ", ".join(f"{v:g}" for v in self.values[:-1]) + f" and {self.values[-1]:g}"
            text += f"; in 1-D these masses lie within {sigmas} standard deviations"
        return text + ")"


def _percent(mass: float) -> str:
    return f"{100 * mass:.1f}".rstrip("0").rstrip(".")


def level_masses(values, level_kind: str) -> tuple[float, ...]:
    """Masses of ``values`` read as ``level_kind`` levels (standard deviations or masses).

    Raises
    ------
    ValueError
        For a level that encloses no mass or all of it, or an unknown kind.
    """
    if level_kind == "sigma":
        bad = [v for v in values if not v > 0]
        if bad:
            raise ValueError(f"sigma levels must be positive; got {bad[0]}.")
        return tuple(em_core.mass_for_sigma(v) for v in values)
    if level_kind == "mass":
        bad = [v for v in values if not 0.0 < v < 1.0]
        if bad:
            raise ValueError(f"mass levels must lie strictly between 0 and 1; got {bad[0]}.")
        return tuple(float(v) for v in values)
    raise ValueError(f"level_kind must be one of {sorted(ELLIPSE_LEVELS)}; got {level_kind!r}.")


#: The options of the *Ellipse levels* control, in the order offered.
ELLIPSE_LEVELS = {
    "sigma": LevelSet("sigma", (1.0, 2.0, 3.0)),
    "mass": LevelSet("mass", (0.5, 0.9, 0.95)),
}
DEFAULT_LEVEL_KIND = "sigma"
