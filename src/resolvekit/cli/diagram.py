"""``resolvekit diagram``: the lifecycles as Mermaid, or one of them as SVG through Graphviz.

Mermaid comes from python-statemachine's own renderer (as in ``docs/lifecycles.md``). SVG uses its
Graphviz renderer, which needs the ``pydot`` package (``pip install 'resolvekit[diagrams]'``) and
Graphviz's ``dot`` program on ``PATH``; without them the command says so in one line.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Sequence
from typing import Any

from resolvekit._i18n import N_
from resolvekit.errors import ConfigurationError

__all__ = ["lifecycle_names", "render"]


def _key(machine: type[Any]) -> str:
    name = machine.__name__.removesuffix("Lifecycle") or machine.__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def lifecycle_names() -> dict[str, type[Any]]:
    """The lifecycles by command-line name (``complaint``, ``ticket``, ``help_request``, ``offer``)."""
    from resolvekit.diagrams import lifecycle_machines

    return {_key(machine): machine for machine in lifecycle_machines()}


def render(names: Sequence[str], fmt: str = "mermaid") -> str:
    """The named lifecycles (all when ``names`` is empty) as Mermaid, or one as SVG."""
    machines = lifecycle_names()
    wanted = [name.strip().lower().replace("-", "_") for name in names] or list(machines)
    unknown = [name for name in wanted if name not in machines]
    if unknown:
        raise ConfigurationError(N_("Unknown lifecycle {name!r}; choose from {allowed}."), name=unknown[0], allowed=", ".join(machines))
    if fmt == "mermaid":
        from resolvekit.diagrams import render_mermaid

        return "\n".join(f"%% {machines[name].__name__}\n{render_mermaid(machines[name])}" for name in wanted)
    if fmt != "svg":
        raise ConfigurationError(N_("Unknown diagram format {value!r}; use mermaid or svg."), value=fmt)
    if len(wanted) != 1:
        raise ConfigurationError(N_("SVG draws one lifecycle at a time; name one of {allowed}."), allowed=", ".join(machines))
    if shutil.which("dot") is None:
        raise ConfigurationError(
            N_("SVG needs Graphviz's dot program on PATH (e.g. apt-get install graphviz); or use --format mermaid.")
        )
    if importlib.util.find_spec("pydot") is None:  # python-statemachine's Graphviz renderer needs it
        raise ConfigurationError(N_("SVG needs the pydot package: pip install 'resolvekit[diagrams]'; or use --format mermaid."))
    from statemachine.contrib.diagram import formatter

    return str(formatter.render(machines[wanted[0]], "svg"))
