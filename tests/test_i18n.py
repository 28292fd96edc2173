"""Message catalogs: the template matches the source, every catalog is complete and compiled.

resolvekit ships English, Arabic, Spanish and Brazilian Portuguese; a catalog missing a message, or
a translation that loses or adds a ``{placeholder}`` (or changes its conversion), fails here. The
extraction, update and compilation are ``python3 dev.py catalogs``; these tests import the same
functions from ``dev.py`` so that they check exactly what that command would write.
"""

from __future__ import annotations

import importlib.util
import string
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

import resolvekit
from resolvekit import _i18n, localization
from resolvekit.domain.labels import ACTIVITY, KIND_LABELS, STATUS_LABELS
from resolvekit.errors import CaseNotFound, ConcurrencyConflict, ResolveKitError

SHIPPED = ("ar", "en", "es", "pt_BR")

ROOT = Path(__file__).resolve().parent.parent
FIX = "run `python3 dev.py catalogs` and commit the updated files under src/resolvekit/locale/"


@pytest.fixture(scope="module")
def dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("resolvekit_dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fresh_catalogs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _i18n.cache_clear()
    monkeypatch.setattr(localization, "_BUILTIN", None)
    yield
    _i18n.cache_clear()


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _ids(catalog: Catalog) -> set[Any]:
    return {message.id for message in catalog if message.id}


def _placeholders(text: str) -> list[str]:
    return sorted(
        f"{name}!{conversion or ''}:{spec or ''}"
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    )


def test_the_template_holds_exactly_the_messages_of_the_source(dev: ModuleType) -> None:
    extracted = _ids(dev.extract_messages())
    committed = _ids(_read(dev.POT_FILE))
    missing, stale = sorted(extracted - committed), sorted(committed - extracted)
    assert not missing and not stale, (
        f"src/resolvekit/locale/resolvekit.pot is out of date: {len(missing)} new message(s) {missing[:5]}, "
        f"{len(stale)} message(s) no longer in the source {stale[:5]}; {FIX}"
    )


def test_extraction_finds_the_marked_messages(dev: ModuleType) -> None:
    extracted = _ids(dev.extract_messages())
    assert CaseNotFound.default_message in extracted
    assert ResolveKitError.default_message in extracted
    assert len(extracted) > 20


def test_the_four_catalogs_are_shipped(dev: ModuleType) -> None:
    assert tuple(sorted(dev.LOCALES)) == SHIPPED
    for locale in SHIPPED:
        assert dev.LOCALE_DIR / locale / "LC_MESSAGES" / "resolvekit.po" in dev.catalog_paths()
    assert _i18n.shipped_locales() == SHIPPED


def test_nothing_is_left_untranslated(dev: ModuleType) -> None:
    missing = {locale: ids for locale, ids in dev.untranslated().items() if ids}
    assert not missing, (
        "untranslated messages (run `python3 dev.py catalogs` for the list, translate them in the .po files, "
        f"then run it again): { {k: v[:3] for k, v in missing.items()} }"
    )


def test_every_shipped_catalog_translates_every_message_with_the_same_placeholders(dev: ModuleType) -> None:
    template = _ids(_read(dev.POT_FILE))
    for po_path in dev.catalog_paths():
        locale = po_path.parent.parent.name
        catalog = _read(po_path, locale)
        assert _ids(catalog) == template, f"{po_path.relative_to(ROOT)} does not match the template; {FIX}"
        for message in catalog:
            if not message.id:
                continue
            where = f"{po_path.relative_to(ROOT)}: {message.id!r}"
            assert message.string, f"{where} has no translation"
            assert "fuzzy" not in message.flags, f"{where} is marked fuzzy; review the translation"
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in strings:
                assert _placeholders(text) == _placeholders(ids[0]), f"{where}: the placeholders differ in {text!r}"


def test_the_compiled_catalogs_are_what_the_po_files_compile_to(dev: ModuleType) -> None:
    for po_path in dev.catalog_paths():
        mo_path = po_path.with_suffix(".mo")
        assert mo_path.exists(), f"{mo_path.relative_to(ROOT)} is missing; {FIX}"
        assert mo_path.read_bytes() == dev.mo_bytes(po_path), f"{mo_path.relative_to(ROOT)} is stale; {FIX}"


def test_the_catalogs_ship_inside_the_package() -> None:
    package = Path(resolvekit.__file__).parent
    for locale in SHIPPED:
        assert (package / "locale" / locale / "LC_MESSAGES" / "resolvekit.mo").is_file()
    assert _i18n.LOCALE_DIR == package / "locale"


@pytest.mark.parametrize("locale", [loc for loc in SHIPPED if loc != "en"])
def test_statuses_labels_and_activities_are_translated(locale: str) -> None:
    shipped = _i18n.builtin_messages(locale)
    for message in (*STATUS_LABELS.values(), *KIND_LABELS.values(), *ACTIVITY.values()):
        assert shipped.get(message), f"{message!r} is not translated into {locale}"
    assert localization.Localizer().gettext(STATUS_LABELS["closed"], locale) != STATUS_LABELS["closed"]


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_error_renders_in_every_locale(locale: str) -> None:
    for cls in _error_classes():
        fields = {name for _, name, _, _ in string.Formatter().parse(cls.default_message) if name}
        error = cls(**{name: f"<{name}>" for name in fields})
        text = error.render(locale)
        assert all(f"<{name}>" in text for name in fields if name not in {"status", "kind", "role", "action"}), (cls, text)
        assert str(error) == error.render("en")  # str() stays English


def test_errors_render_through_the_english_catalog(fresh_catalogs: None) -> None:
    catalog = _i18n.catalog("en")
    assert isinstance(catalog, Translations), "the compiled English catalog was not found"
    for cls in _error_classes():
        assert cls.default_message in catalog._catalog, f"{cls.__name__}'s message is not in the catalog"
    error = ConcurrencyConflict(case_id="C-1", expected=3, actual=4)
    assert str(error) == error.render("en") == (
        "Case C-1 changed while the command ran (expected version 3, found 4). Reload the case and try again."
    )


def test_errors_render_in_another_locale_through_its_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_catalogs: None
) -> None:
    catalog = Catalog(locale="fr", domain="resolvekit")
    catalog.add(CaseNotFound.default_message, "Aucun dossier {case_id} ne vous est visible.")
    target = tmp_path / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "resolvekit.mo").open("wb") as handle:
        write_mo(handle, catalog)
    monkeypatch.setattr(_i18n, "LOCALE_DIR", tmp_path)
    error = CaseNotFound(case_id="C-9")
    assert error.render("fr") == "Aucun dossier C-9 ne vous est visible."
    assert "C-9" in str(error) and str(error).startswith("No case C-9")  # str() stays English


def _error_classes() -> list[type[ResolveKitError]]:
    found: list[type[ResolveKitError]] = []
    pending: list[type[ResolveKitError]] = [ResolveKitError]
    while pending:
        cls = pending.pop()
        if cls.__module__.startswith("resolvekit"):
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
