"""One plugin manager per application object, with a typed method per hook."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import cast

import pluggy

from resolvekit import hookspecs
from resolvekit._i18n import N_
from resolvekit.domain.notifications import Notification, Recipient
from resolvekit.domain.offers import HOOK_STEPS, ExecutionRequest
from resolvekit.domain.risk import CustomerRisk
from resolvekit.domain.ticket_types import TicketTypeRegistry, TicketTypes
from resolvekit.domain.triage import TriageRule, TriageRules
from resolvekit.domain.values import Order, Store
from resolvekit.errors import ConfigurationError
from resolvekit.storage import Storage

__all__ = ["PluginHost"]


class PluginHost:
    """Loads plugins (entry points first, then the host's) and calls hooks with typed results.

    ``blocked`` names plugins (entry-point names such as ``"clock"``) not to load.
    A hook implementation that matches no hook fails here with
    :class:`~resolvekit.errors.ConfigurationError`.
    """

    def __init__(self, plugins: Iterable[object] = (), *, entry_points: bool = True, blocked: Iterable[str] = ()) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        for name in blocked:
            self.manager.set_blocked(name)
        try:
            if entry_points:
                self.manager.load_setuptools_entrypoints(hookspecs.PROJECT)
            for plugin in plugins:
                self.manager.register(plugin)
            self.manager.check_pending()
        except pluggy.PluginValidationError as exc:
            raise ConfigurationError(N_("Plugin {plugin} is not valid: {reason}"), plugin=str(exc.plugin), reason=str(exc)) from None
        self._hook = self.manager.hook
        self.render_for_delivery: Callable[[Notification], object] = _english
        """Renders a notification delivered without a ready message (the application sets its own)."""

    def open_storage(self, url: str) -> Storage:
        """The storage for ``url``; no plugin handling it is a configuration error."""
        storage = self._hook.resolvekit_open_storage(url=url)
        if storage is None:
            raise ConfigurationError(
                N_("No storage plugin handles {url!r}. Use 'memory://' or install the plugin for that scheme."), url=url
            )
        return cast(Storage, storage)

    def clock(self) -> Callable[[], datetime]:
        """The clock callable; the built-in system clock when no other plugin provides one."""
        clock = self._hook.resolvekit_clock()
        if clock is None:
            raise ConfigurationError(N_("No plugin provides a clock; do not block the 'clock' plugin without passing clock=."))
        return cast(Callable[[], datetime], clock)

    def deliver(self, notification: Notification, message: object | None = None) -> str | None:
        """Hand a notification and its rendered ``message`` to the first plugin that delivers its channel.

        Without ``message`` the notification is rendered by :attr:`render_for_delivery` (the
        application renders it for the recipient's profile).
        """
        if message is None:
            message = self.render_for_delivery(notification)
        return cast("str | None", self._hook.resolvekit_deliver(notification=notification, message=message))

    def catalogs(self, locale: str) -> Sequence[object]:
        """The catalogs the plugins add for ``locale``, highest priority first."""
        return [c for c in self._hook.resolvekit_catalog(locale=locale) if c is not None]

    def recipient_profile(self, recipient: Recipient) -> object | None:
        """The profile the first plugin gives for ``recipient`` (unchecked), or ``None``."""
        return cast(object, self._hook.resolvekit_recipient_profile(recipient=recipient))

    def offer_kinds(self) -> list[object]:
        """Every offer kind the plugins register (unchecked: see :func:`resolvekit.domain.offers.validate_kinds`)."""
        return [kind for kinds in self._hook.resolvekit_offer_kinds() for kind in (kinds or ())]

    def execute_step(self, request: ExecutionRequest) -> str | None:
        """Run one execution step of an offer through its hook; ``None`` when no plugin handles it."""
        hook = getattr(self._hook, HOOK_STEPS.get(request.step, "resolvekit_fulfil_offer"))
        return cast("str | None", hook(request=request))

    def ticket_types(self) -> TicketTypes:
        """The ticket types every plugin registers (built-ins through the same hook)."""
        registry = TicketTypeRegistry()
        self._hook.resolvekit_ticket_types(register=registry)
        return registry.build()

    def triage_rules(self) -> tuple[TriageRule, ...]:
        """The delayed-order triage rules after every plugin edited the built-in ones."""
        rules = TriageRules()
        self._hook.resolvekit_triage_rules(rules=rules)
        return rules.freeze()

    def find_order(self, order_id: str, customer_id: str, store_id: str) -> Order | None:
        """The customer's order at the store from the first plugin that knows it, or ``None``."""
        if not self._hook.resolvekit_find_order.get_hookimpls():
            raise ConfigurationError(
                N_("No plugin implements resolvekit_find_order; register one so self-service can look orders up.")
            )
        return cast(
            "Order | None",
            self._hook.resolvekit_find_order(order_id=order_id, customer_id=customer_id, store_id=store_id),
        )

    def find_store(self, store_id: str) -> Store | None:
        """The store from the first plugin that describes it, or ``None``."""
        return cast("Store | None", self._hook.resolvekit_find_store(store_id=store_id))

    def store_attachment(self, case_id: str | None, name: str, content_type: str, data: bytes) -> str:
        """Hand a checked file's bytes to the host's file storage; the reference it returns."""
        ref = self._hook.resolvekit_store_attachment(case_id=case_id, name=name, content_type=content_type, data=data)
        if ref is None:
            raise ConfigurationError(
                N_("No plugin implements resolvekit_store_attachment; register one so uploaded files can be stored.")
            )
        if not isinstance(ref, str) or not ref.strip():
            raise ConfigurationError(N_("resolvekit_store_attachment must return a non-empty reference string, got {value!r}."), value=ref)
        return ref

    def customer_risk(self, customer_id: str, store_id: str) -> CustomerRisk | None:
        """The host's risk verdict on a customer at a store, or ``None`` when no plugin knows them."""
        if not self._hook.resolvekit_customer_risk.get_hookimpls():
            return None
        risk = self._hook.resolvekit_customer_risk(customer_id=customer_id, store_id=store_id)
        if risk is not None and not isinstance(risk, CustomerRisk):
            raise ConfigurationError(N_("resolvekit_customer_risk must return a CustomerRisk or None, got {type}."), type=type(risk).__name__)
        return risk

    def translate(self, text: str, source_locale: str, target_locale: str) -> str | None:
        """A translation from the first plugin able to make it, or ``None``."""
        return cast(
            "str | None",
            self._hook.resolvekit_translate(text=text, source_locale=source_locale, target_locale=target_locale),
        )

    def translates(self) -> bool:
        """Whether any plugin implements ``resolvekit_translate``."""
        return bool(self._hook.resolvekit_translate.get_hookimpls())


def _english(notification: Notification) -> object:
    from resolvekit.localization import builtin_localizer

    return builtin_localizer().render_notification(notification)
