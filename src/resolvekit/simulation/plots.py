"""Plots of simulation results with matplotlib (an optional extra: ``pip install 'resolvekit[plot]'``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from resolvekit._i18n import N_
from resolvekit.errors import ConfigurationError

__all__ = ["plot_series"]


def plot_series(
    series: Mapping[str, Sequence[tuple[date, float | None]]], *, title: str = "", ylabel: str = "", ax: Any = None
) -> Any:
    """One line per name of ``series`` (``name -> [(day, value), ...]``; ``None`` values are gaps).

    Rates between 0 and 1 are shown as percentages. Returns the matplotlib ``Axes`` (a new figure's
    when ``ax`` is not given).
    """
    try:
        import matplotlib.pyplot as plt
        from matplotlib.ticker import PercentFormatter
    except ImportError:
        raise ConfigurationError(N_("matplotlib is not installed; install it with pip install 'resolvekit[plot]'.")) from None
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    rates = True
    for name, points in series.items():
        xs = [day for day, _ in points]
        ys = [float("nan") if value is None else value for _, value in points]
        rates = rates and all(v != v or 0 <= v <= 1 for v in ys)
        ax.plot(xs, ys, label=name)
    if rates:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend()
    ax.figure.autofmt_xdate()
    return ax
