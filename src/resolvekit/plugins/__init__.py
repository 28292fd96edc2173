"""Built-in plugins. Each registers through the ``resolvekit`` entry-point group, like a host's plugin.

* :mod:`resolvekit.plugins.memory` — in-memory storage (``"memory://"``), for tests and notebooks.
* :mod:`resolvekit.plugins.clock` — the system clock.
* :mod:`resolvekit.plugins.tickets` — the built-in self-service ticket types ("my order is
  delayed", "payment deducted without an order").
* :mod:`resolvekit.plugins.recorder` — :class:`~resolvekit.plugins.recorder.RecordingNotifier`,
  a notifier that records what it would send (pass an instance in ``plugins=``).
"""

__all__: list[str] = []
