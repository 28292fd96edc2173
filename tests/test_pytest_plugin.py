"""The pytest plugin: fixtures prefixed ``resolvekit_``, configurable from a host's conftest.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]


def test_a_host_test_suite_gets_the_fixtures_without_importing_anything(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_host="""
        from datetime import timedelta

        def test_a_complaint_notifies_the_merchant(resolvekit_app, resolvekit_order, resolvekit_customer,
                                                     resolvekit_actors, resolvekit_notifier, resolvekit_clock):
            buyer = resolvekit_actors.customer
            case = resolvekit_app.open_complaint(buyer, order=resolvekit_order, customer=resolvekit_customer,
                                                 reason="damaged_goods", description="Cracked lid",
                                                 declaration_accepted=True).case
            resolvekit_app.pass_review(resolvekit_actors.platform, case.id)
            resolvekit_clock.advance(hours=2)
            resolvekit_app.reply(resolvekit_actors.merchant, case.id, "A new lid is on its way.")
            assert resolvekit_app.dispatch().delivered >= 1
            assert any(m.notification.recipient.role == "customer" for m in resolvekit_notifier.sent)
            assert resolvekit_app.now() == resolvekit_clock()

        def test_other_stores_never_see_the_case(resolvekit_app, resolvekit_orders, resolvekit_customer, resolvekit_actors):
            order = resolvekit_orders(status="completed", age=timedelta(hours=50), total="10.00")
            assert order.id == "ord-1" and order.total_paid == 10
            case = resolvekit_app.open_complaint(resolvekit_actors.customer, order=order, customer=resolvekit_customer,
                                                 reason="other", description="x", declaration_accepted=True).case
            assert resolvekit_app.list_cases(resolvekit_actors.other_merchant).items == ()

        def test_the_defaults(resolvekit_app, resolvekit_policy, resolvekit_storage_url, resolvekit_store):
            assert resolvekit_app.policy is resolvekit_policy
            assert resolvekit_storage_url == "memory://" and resolvekit_store.self_service_enabled
        """
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_a_host_configures_the_app_by_overriding_fixtures_in_its_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from resolvekit import Policy, Role

        class Translator:
            from resolvekit import hookimpl

            @hookimpl
            def resolvekit_translate(self, text, source_locale, target_locale):
                return text.upper()

        @pytest.fixture
        def resolvekit_policy():
            return Policy(complaint_platform_review=False, complaint_closers={Role.CUSTOMER, Role.PLATFORM})

        @pytest.fixture
        def resolvekit_storage_url(tmp_path):
            return f"sqlite:///{tmp_path / 'cases.sqlite3'}"

        @pytest.fixture
        def resolvekit_plugins():
            return [Translator()]
        """
    )
    pytester.makepyfile(
        test_configured="""
        def test_overrides_reach_the_app(resolvekit_app, resolvekit_order, resolvekit_customer, resolvekit_actors):
            case = resolvekit_app.open_complaint(resolvekit_actors.customer, order=resolvekit_order,
                                                 customer=resolvekit_customer, reason="other",
                                                 description="x", declaration_accepted=True).case
            assert case.status == "waiting_for_merchant_response"   # no platform review
            assert type(resolvekit_app.storage).__name__ == "SQLiteStorage"
            assert resolvekit_app.plugins.translate("hi", "en", "ar") == "HI"
        """
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_plugin_is_registered_through_the_pytest11_entry_point() -> None:
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert found.get("resolvekit") == "resolvekit.testing.pytest_plugin"


def test_loading_the_plugin_imports_nothing_else() -> None:
    probe = (
        "import sys, pytest, resolvekit; before = set(sys.modules); "
        "import resolvekit.testing.pytest_plugin; "
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    loaded = set(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split())
    assert loaded <= {"resolvekit.testing", "resolvekit.testing.clock", "resolvekit.testing.pytest_plugin"}, loaded
