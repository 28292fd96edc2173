"""Small-sample-aware estimates, for ranking a seller with 3 orders fairly against one with 3,000.

A raw rate says a seller with 3 good orders out of 3 is perfect; these estimates say how sure that is:

* :func:`wilson_lower_bound`: the lower end of the Wilson score interval of the good share. With 3/3
  good it is about 0.44; with 2,970/3,000 good about 0.986, so the large seller ranks first.
* :func:`beta_estimate`: the mean of a Beta(1, 1) prior updated with ``r`` good and ``s`` bad
  outcomes, ``(r + 1) / (r + s + 2)``: 0.8 for 3/3, 0.990 for 2,970/3,000.

:func:`rank` orders sellers by either estimate of a metric's good share.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from statistics import NormalDist
from typing import Any, Literal

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import ValidationError
from resolvekit.reputation.metrics import Figure

__all__ = ["Ranked", "beta_estimate", "rank", "wilson_lower_bound", "wilson_upper_bound"]


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValidationError(N_("confidence must be between 0 and 1 (exclusive), got {value!r}."), value=confidence)
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def _counts(successes: int, trials: int) -> None:
    if not (isinstance(successes, int) and isinstance(trials, int)) or not 0 <= successes <= trials:
        raise ValidationError(
            N_("Estimates need whole counts with 0 <= successes <= trials, got {successes!r} of {trials!r}."),
            successes=successes,
            trials=trials,
        )


def _wilson(successes: int, trials: int, confidence: float, sign: int) -> float:
    _counts(successes, trials)
    z = _z(confidence)
    if trials == 0:
        return 0.0 if sign < 0 else 1.0
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    value = (centre + sign * spread) / (1 + z2 / trials)
    return min(1.0, max(0.0, value))


def wilson_lower_bound(successes: int, trials: int, *, confidence: float = 0.95) -> float:
    """The lower bound of the Wilson score interval for ``successes / trials`` (0.0 with no trials)."""
    return _wilson(successes, trials, confidence, -1)


def wilson_upper_bound(successes: int, trials: int, *, confidence: float = 0.95) -> float:
    """The upper bound of the Wilson score interval (1.0 with no trials). For a defect rate, the
    upper bound of the defect share is the cautious figure."""
    return _wilson(successes, trials, confidence, +1)


def beta_estimate(successes: int, failures: int) -> float:
    """``(r + 1) / (r + s + 2)`` for ``r`` successes and ``s`` failures (0.5 with no data)."""
    _counts(successes, successes + failures)
    if failures < 0:
        raise ValidationError(N_("failures must not be negative, got {value!r}."), value=failures)
    return (successes + 1) / (successes + failures + 2)


@attrs.frozen
class Ranked:
    """One seller's place in a ranking: its score (an estimate of the good share) and the counts."""

    seller_id: str
    score: float
    good: int
    trials: int

    def to_record(self) -> dict[str, Any]:
        """The entry as plain data."""
        return {"seller_id": self.seller_id, "score": self.score, "good": self.good, "trials": self.trials}


def rank(
    figures: Mapping[str, Figure] | Iterable[tuple[str, Figure]],
    *,
    method: Literal["wilson", "beta"] = "wilson",
    confidence: float = 0.95,
) -> list[Ranked]:
    """Sellers best first by an estimate of the metric's good share (fewest defects, most tracking).

    ``figures`` maps seller ids to one metric's :class:`~resolvekit.reputation.Figure` (counted,
    after exclusions). Ties keep seller-id order.
    """
    pairs = figures.items() if isinstance(figures, Mapping) else figures
    ranked = []
    for seller_id, figure in pairs:
        good = figure.base - figure.counted
        if method == "wilson":
            score = wilson_lower_bound(good, figure.base, confidence=confidence)
        elif method == "beta":
            score = beta_estimate(good, figure.counted)
        else:
            raise ValidationError(N_("Unknown ranking method {method!r}; use 'wilson' or 'beta'."), method=method)
        ranked.append(Ranked(seller_id, score, good, figure.base))
    ranked.sort(key=lambda r: (-r.score, r.seller_id))
    return ranked
