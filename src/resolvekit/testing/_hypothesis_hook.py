"""The ``hypothesis`` entry point: registers resolvekit's types when hypothesis is imported.

Kept apart from :mod:`resolvekit.testing.strategies` and free of imports at load, so that importing
either hypothesis or the strategies first works: when hypothesis runs this hook because the
strategies module is importing hypothesis, that module registers the types itself once it is done.
"""

from __future__ import annotations

import sys

__all__ = ["_hypothesis_setup_hook"]


def _hypothesis_setup_hook() -> None:
    """Register resolvekit's types with hypothesis, so ``st.from_type(Complaint)`` just works."""
    loading = sys.modules.get("resolvekit.testing.strategies")
    if loading is not None and not hasattr(loading, "register_types"):
        return  # resolvekit.testing.strategies is being imported: it registers at its end
    try:
        from resolvekit.testing.strategies import register_types

        register_types()
    except Exception as exc:  # never break `import hypothesis` for everyone else: say why, go on
        import warnings

        warnings.warn(f"resolvekit could not register its types with hypothesis: {exc!r}", RuntimeWarning, stacklevel=2)
