"""The pure domain core: value objects, lifecycles, policy, and the rules that turn commands into events.

Nothing here performs I/O, reads a clock or keeps global state: the application layer passes in the
current time, the policy and the case, and gets back events or a :class:`~resolvekit.errors.ResolveKitError`.
"""

__all__: list[str] = []
