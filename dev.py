#!/usr/bin/env python3
"""Development tasks for resolvekit. Needs nothing but Python 3.11+.

    python3 dev.py demo [args]       run the demo (python -m resolvekit demo)
    python3 dev.py test [args]       mypy --strict on src/, then pytest [args]
    python3 dev.py diagrams          render the lifecycle diagrams into docs/lifecycles.md
    python3 dev.py docs              regenerate the generated parts of docs/ (lifecycles, hooks, policy, errors)
    python3 dev.py catalogs [--check] extract messages, update and compile the catalogs; list what is untranslated
    python3 dev.py bench [args]      run benchmarks/lifecycle.py

Every task first creates or refreshes its virtual environment, ``.venv`` (``RESOLVEKIT_VENV``
names another): it is created when missing or broken, and the package is (re)installed with
``pip install -e .[dev]`` whenever ``pyproject.toml`` changed since the last install (a hash stamp
is kept inside the environment). The task then runs with the environment's Python.

This file imports only the standard library at module level; the helpers that need the project's
dependencies (:func:`extract_messages`, :func:`hooks_reference`, ...) import them when called, and
the tests import this file to check that generated files are up to date.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
SRC = ROOT / "src" / "resolvekit"
DOCS = ROOT / "docs"
LOCALE_DIR = SRC / "locale"
DOMAIN = "resolvekit"
POT_FILE = LOCALE_DIR / f"{DOMAIN}.pot"
SOURCE_LOCALE = "en"
LOCALES = ("en", "ar", "es", "pt_BR")
"""The locales resolvekit ships a complete catalog for (each is created from the template if missing)."""
BABEL_CONFIG = ROOT / "babel.cfg"
KEYWORDS = ("N_", "_")
"""The functions whose first argument is a message id (see ``src/resolvekit/_i18n.py``)."""

LIFECYCLES_DOC = DOCS / "lifecycles.md"

STAMP_NAME = ".resolvekit-stamp"
EXIT_SETUP_FAILED = 3  # never 5: .ci/run reads 5 as pytest's "no tests collected"


class SetupError(Exception):
    """The virtual environment could not be created or the package could not be installed."""


# -------------------------------------------------------------------------------------------------
# The virtual environment
# -------------------------------------------------------------------------------------------------


def venv_dir() -> Path:
    """Where the development environment lives (``$RESOLVEKIT_VENV`` or ``.venv``)."""
    return Path(os.environ.get("RESOLVEKIT_VENV") or ROOT / ".venv").absolute()


def venv_python(venv: Path) -> Path:
    """The environment's interpreter."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _stamp() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    return json.dumps({"pyproject.toml": digest, "python": f"{sys.version_info[0]}.{sys.version_info[1]}"})


def _runs(python: Path) -> bool:
    if not python.exists():
        return False
    try:
        return subprocess.run([str(python), "-c", "import sys"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _in(venv: Path) -> bool:
    return Path(sys.prefix).resolve() == venv.resolve()


@contextmanager
def _locked(venv: Path) -> Iterator[None]:
    """Serialise set-up between several dev.py processes sharing one environment."""
    name = hashlib.sha256(str(venv).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"resolvekit-dev-{name}.lock"
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, set-up is still correct for a single process
        yield
        return
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _say(message: str) -> None:
    print(f"dev.py: {message}", file=sys.stderr, flush=True)


def ensure_venv() -> Path:
    """Create the environment if needed and install the package when ``pyproject.toml`` changed."""
    venv = venv_dir()
    python = venv_python(venv)
    with _locked(venv):
        if not _in(venv) and not _runs(python):
            if venv.exists():
                _say(f"{venv} is not a working virtual environment; recreating it")
                shutil.rmtree(venv)
            _say(f"creating the virtual environment {venv}")
            created = subprocess.run([sys.executable, "-m", "venv", str(venv)])
            if created.returncode != 0 or not _runs(python):
                raise SetupError(
                    f"could not create {venv} with {sys.executable} -m venv; on Debian or Ubuntu install "
                    "the python3-venv package, then run this command again"
                )
        stamp_file = venv / STAMP_NAME
        stamp = _stamp()
        if not stamp_file.exists() or stamp_file.read_text() != stamp:
            _say(f"installing resolvekit with its dev extras into {venv} (pyproject.toml changed)")
            install = subprocess.run(
                [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", ".[dev]"],
                cwd=ROOT,
            )
            if install.returncode != 0:
                stamp_file.unlink(missing_ok=True)
                raise SetupError(f"pip install -e '.[dev]' failed (exit {install.returncode}); see the output above")
            stamp_file.write_text(stamp)
    return venv


# -------------------------------------------------------------------------------------------------
# Lifecycle diagrams and the hook reference
# -------------------------------------------------------------------------------------------------


def _write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def _markdown_docstring(doc: str) -> str:
    """Turn a hookspec docstring (reST field lists and roles) into Markdown."""
    text = re.sub(r":(?:class|func|meth|data|mod|attr|exc):`~?([^`]+)`", r"`\1`", doc)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    lines: list[str] = []
    in_field = False
    for line in text.splitlines():
        field = re.match(r"^:param (\w+):\s*(.*)$", line)
        if field:
            line, in_field = f"- `{field[1]}`: {field[2]}", True
        elif line.startswith(":return:"):
            line, in_field = "- returns: " + line[len(":return:") :].strip(), True
        elif in_field and line.startswith(" "):
            line = "  " + line.strip()  # continuation of a field
        else:
            in_field = False
        lines.append(line)
    return "\n".join(lines).strip()


def _signature(name: str, func: Callable[..., Any]) -> str:
    import inspect

    signature = inspect.signature(func)  # annotations stay the strings written in the source
    params = ", ".join(
        p.name if p.annotation is inspect.Parameter.empty else f"{p.name}: {p.annotation}"
        for p in signature.parameters.values()
    )
    returns = "" if signature.return_annotation is inspect.Signature.empty else f" -> {signature.return_annotation}"
    return f"def {name}({params}){returns}"


def _banners(source: str) -> list[tuple[int, str]]:
    """``(line, title)`` of each banner comment (a ``# title`` line between two ``# ---`` rules)."""
    lines = source.splitlines()
    return [
        (number + 1, lines[number][1:].strip())
        for number in range(1, len(lines) - 1)
        if lines[number].startswith("# ")
        and lines[number - 1].startswith("# ---")
        and lines[number + 1].startswith("# ---")
    ]


def hooks_reference() -> str:
    """The generated part of ``docs/hooks.md``: every hookspec from its docstring, grouped by banner."""
    import inspect

    from resolvekit import hookspecs

    banners = _banners(inspect.getsource(hookspecs))
    parts: list[str] = []
    group = None
    for name, func in vars(hookspecs).items():
        options = getattr(func, f"{hookspecs.PROJECT}_spec", None)
        if options is None or not callable(func):
            continue
        line = func.__code__.co_firstlineno
        title = next((t for start, t in reversed(banners) if start < line), None)
        if title is not None and title != group:
            parts.append(f"### {title}\n")
            group = title
        flags = ", ".join(f"{key}=True" for key, value in sorted(options.items()) if value is True)
        parts.append(
            f"#### `{name}`\n\n"
            f"```python no-run\n@hookspec{f'({flags})' if flags else ''}\n{_signature(name, func)}: ...\n```\n\n"
            f"{_markdown_docstring(inspect.getdoc(func) or '')}\n"
        )
    return "\n".join(parts)


def _format_default(value: Any) -> str:
    import enum

    import attrs

    if isinstance(value, enum.Enum):
        return str(value.value)
    if attrs.has(type(value)):
        name = getattr(value, "name", None)
        return f"{type(value).__name__}({name!r})" if isinstance(name, str) else f"{type(value).__name__}()"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(_format_default(v) for v in value)) + "}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_format_default(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_format_default(k)}: {_format_default(v)}" for k, v in value.items()) + "}"
    return str(value) if type(value).__name__ in {"Decimal", "timedelta"} else repr(value)


def _attribute_docs(doc: str) -> dict[str, str]:
    """The ``Attributes:`` section of a Google-style class docstring, as name -> description."""
    found: dict[str, str] = {}
    current = None
    in_section = False
    for line in doc.splitlines():
        if line.strip() == "Attributes:":
            in_section = True
            continue
        if not in_section:
            continue
        entry = re.match(r"^    (\w+): (.*)$", line)
        if entry:
            current = entry[1]
            found[current] = entry[2].strip()
        elif current and line.startswith("        "):
            found[current] += " " + line.strip()
        elif line.strip():
            in_section = False  # the section ended
    return found


def _policy_tables(cls: type, path: str) -> list[str]:
    """The table of ``cls``'s settable fields, then the tables of the policy objects it nests."""
    import inspect

    import attrs

    described = _attribute_docs(inspect.getdoc(cls) or "")
    rows = ["| field | default | meaning |", "| --- | --- | --- |"]
    nested: list[str] = []
    for field in attrs.fields(cls):
        if not field.init:
            continue  # derived, not a setting
        default: Any = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        meaning = described.get(field.name, "(undocumented)")
        meaning = re.sub(r":(?:class|func|meth|data|mod|attr|exc):`~?([^`]+)`", r"`\1`", meaning)
        meaning = re.sub(r"``([^`]+)``", r"`\1`", meaning).replace("|", "\\|")
        name = field.alias or field.name
        rows.append(f"| `{name}` | `{_format_default(default)}` | {meaning} |")
        if attrs.has(type(default)) and any(f.init for f in attrs.fields(type(default))):
            nested += _policy_tables(type(default), f"{path}.{name}")
    heading = [] if path == "Policy" else [f"### `{path}` ({cls.__name__})\n"]
    return ["\n".join([*heading, *rows]), *nested]


def policy_reference() -> str:
    """The generated part of ``docs/policy.md``: every ``Policy`` field, its default and meaning.

    A field holding another policy object (``Policy.offers``...) gets a table of its own.
    """
    from resolvekit import Policy

    return "\n\n".join(_policy_tables(Policy, "Policy"))


def _import_package() -> None:
    """Import every module of resolvekit so that every error class is defined."""
    import importlib
    import pkgutil

    import resolvekit

    for info in pkgutil.walk_packages(resolvekit.__path__, "resolvekit."):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:  # an optional backend whose driver is not installed
            continue


def errors_reference() -> str:
    """The generated part of ``docs/errors.md``: the error hierarchy as a tree and a table."""
    import inspect

    from resolvekit.errors import ResolveKitError

    _import_package()
    tree: list[str] = []
    rows = ["| error | `code` | also a | raised when |", "| --- | --- | --- | --- |"]

    def visit(cls: type, prefix: str, last: bool, depth: int) -> None:
        builtins = [b.__name__ for b in cls.__bases__ if b.__module__ == "builtins" and b is not Exception]
        label = cls.__name__ + (f" ({', '.join(builtins)})" if builtins else "")
        tree.append(label if depth == 0 else f"{prefix}{'└── ' if last else '├── '}{label}")
        summary = " ".join((inspect.getdoc(cls) or "").split("\n\n")[0].split())
        summary = re.sub(r":(?:class|func|meth|data|mod|attr|exc):`~?([^`]+)`", r"`\1`", summary)
        summary = re.sub(r"``([^`]+)``", r"`\1`", summary).replace("|", "\\|")
        rows.append(f"| `{cls.__module__}.{cls.__name__}` | `{getattr(cls, 'code', '')}` | {', '.join(builtins)} | {summary} |")
        children = sorted(
            (c for c in cls.__subclasses__() if c.__module__.startswith("resolvekit")),
            key=lambda c: (c.__module__ != "resolvekit.errors", c.__module__, c.__name__),
        )
        child_prefix = "" if depth == 0 else prefix + ("    " if last else "│   ")
        for index, child in enumerate(children):
            visit(child, child_prefix, index == len(children) - 1, depth + 1)

    visit(ResolveKitError, "", True, 0)
    return "```text\n" + "\n".join(tree) + "\n```\n\n" + "\n".join(rows)


GENERATED: dict[str, tuple[str, Callable[[], str]]] = {
    "hooks.md": ("hook reference", hooks_reference),
    "policy.md": ("policy reference", policy_reference),
    "errors.md": ("error reference", errors_reference),
}
"""Documents with a generated part: file in docs/ -> (marker name, generator)."""


def markers(name: str) -> tuple[str, str]:
    """The comments that enclose a generated part of a document."""
    return f"<!-- BEGIN GENERATED: {name} (python3 dev.py docs) -->", f"<!-- END GENERATED: {name} -->"


def splice(document: str, name: str, generated: str) -> str:
    """Replace what stands between the markers called ``name`` in ``document``."""
    begin, end = markers(name)
    start, stop = document.index(begin) + len(begin), document.index(end)
    return f"{document[:start]}\n\n{generated.strip()}\n\n{document[stop:]}"


def write_docs() -> list[Path]:
    """Regenerate ``docs/lifecycles.md`` and the generated parts of the other documents."""
    from resolvekit.diagrams import lifecycles_markdown

    changed = []
    if _write_if_changed(LIFECYCLES_DOC, lifecycles_markdown()):
        changed.append(LIFECYCLES_DOC)
    for filename, (name, generate) in GENERATED.items():
        path = DOCS / filename
        if _write_if_changed(path, splice(path.read_text(encoding="utf-8"), name, generate())):
            changed.append(path)
    return changed


# -------------------------------------------------------------------------------------------------
# Message catalogs
# -------------------------------------------------------------------------------------------------


def extract_messages() -> Any:
    """Extract every message marked with :data:`KEYWORDS` from ``src/`` into a babel ``Catalog``."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_keywords, parse_mapping_cfg

    with BABEL_CONFIG.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(BABEL_CONFIG))
    catalog = Catalog(
        project="resolvekit",
        version=_project_version(),
        msgid_bugs_address="https://github.com/resolvekit/resolvekit/issues",
        copyright_holder="resolvekit developers",
        charset="utf-8",
        fuzzy=False,
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=parse_keywords(list(KEYWORDS)),
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _project_version() -> str:
    match = re.search(r'^version\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    return match[1] if match else "0"


def _po_bytes(catalog: Any) -> bytes:
    from io import BytesIO

    from babel.messages.pofile import write_po

    buffer = BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, include_lineno=False, ignore_obsolete=True)
    return buffer.getvalue()


def mo_bytes(po_path: Path) -> bytes:
    """What ``po_path`` compiles to (the committed ``.mo`` must equal it)."""
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=po_path.parent.parent.name, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


_DATE_HEADER = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"\n', re.MULTILINE)


def _write_catalog_file(path: Path, data: bytes) -> bool:
    """Write ``data`` unless it differs from the file only in its date headers."""
    if path.exists() and _DATE_HEADER.sub(b"", path.read_bytes()) == _DATE_HEADER.sub(b"", data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def catalog_paths() -> list[Path]:
    """Every shipped ``.po`` file."""
    return sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def catalog_path(locale: str) -> Path:
    """Where the ``.po`` file of ``locale`` lives."""
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def untranslated() -> dict[str, list[str]]:
    """Per shipped locale, the message ids its ``.po`` file leaves untranslated (empty or fuzzy)."""
    from babel.messages.pofile import read_po

    missing: dict[str, list[str]] = {}
    for path in catalog_paths():
        locale = path.parent.parent.name
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale, domain=DOMAIN)
        missing[locale] = sorted(
            str(m.id) for m in catalog if m.id and (not m.string or "fuzzy" in m.flags)
        )
    return missing


def write_catalogs() -> list[Path]:
    """Extract the template, update (or create) each locale's ``.po`` and compile its ``.mo``.

    The source locale (English) is its own translation: an empty or missing English ``msgstr`` is
    filled with the ``msgid``. Other locales keep what translators wrote; new messages arrive empty
    (they render in English until translated: see :func:`untranslated`), and messages no longer in
    the source are dropped. Every locale of :data:`LOCALES` is created when missing.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    changed: list[Path] = []
    template = extract_messages()
    if _write_catalog_file(POT_FILE, _po_bytes(template)):
        changed.append(POT_FILE)
    paths = catalog_paths()
    for wanted in LOCALES:
        if catalog_path(wanted) not in paths:
            paths.append(catalog_path(wanted))
    for po_path in paths:
        locale = po_path.parent.parent.name
        if po_path.exists():
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=locale, domain=DOMAIN)
        else:
            catalog = Catalog(locale=locale, domain=DOMAIN, project="resolvekit", fuzzy=False)
        # update() adopts the template's new Message objects; a copy keeps the English fill below
        # from leaking into the other locales through them.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True, update_header_comment=False)
        catalog.project, catalog.version = template.project, template.version
        catalog.msgid_bugs_address = template.msgid_bugs_address
        catalog.copyright_holder = template.copyright_holder
        catalog.fuzzy = False
        if locale == SOURCE_LOCALE:
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
                message.flags.discard("fuzzy")
        if _write_catalog_file(po_path, _po_bytes(catalog)):
            changed.append(po_path)
        mo_path = po_path.with_suffix(".mo")
        mo = mo_bytes(po_path)
        if not mo_path.exists() or mo_path.read_bytes() != mo:
            mo_path.write_bytes(mo)
            changed.append(mo_path)
    return changed


# -------------------------------------------------------------------------------------------------
# Tasks
# -------------------------------------------------------------------------------------------------


def _relative(paths: Sequence[Path]) -> str:
    return ", ".join(str(p.relative_to(ROOT)) for p in paths) or "nothing (already up to date)"


def task_demo(args: Sequence[str]) -> int:
    """Run the demo."""
    return subprocess.call([sys.executable, "-m", "resolvekit", "demo", *args], cwd=ROOT)


def task_test(args: Sequence[str]) -> int:
    """Type-check src/ with mypy --strict, then run pytest; returns pytest's exit code."""
    typed = subprocess.call([sys.executable, "-m", "mypy", "--strict", "src/resolvekit"], cwd=ROOT)
    if typed != 0:
        _say("mypy --strict found type errors in src/resolvekit; fix them before the tests run")
        return 1
    return subprocess.call([sys.executable, "-m", "pytest", *args], cwd=ROOT)


def task_diagrams(args: Sequence[str]) -> int:
    """Render the lifecycle diagrams into docs/lifecycles.md."""
    from resolvekit.diagrams import lifecycles_markdown

    changed = [LIFECYCLES_DOC] if _write_if_changed(LIFECYCLES_DOC, lifecycles_markdown()) else []
    _say(f"wrote {_relative(changed)}")
    return 0


def task_docs(args: Sequence[str]) -> int:
    """Regenerate the generated parts of docs/."""
    _say(f"wrote {_relative(write_docs())}")
    return 0


def task_catalogs(args: Sequence[str]) -> int:
    """Extract, update and compile the message catalogs, then list the untranslated messages.

    With ``--check`` the task fails (exit 1) when a catalog lacks a translation.
    """
    _say(f"wrote {_relative(write_catalogs())}")
    missing = untranslated()
    for locale, ids in sorted(missing.items()):
        if not ids:
            _say(f"{locale}: complete")
            continue
        _say(f"{locale}: {len(ids)} untranslated message(s), shown in English until translated in {catalog_path(locale).relative_to(ROOT)}:")
        for message_id in ids:
            print(f"  {locale}: {message_id!r}", file=sys.stderr)
    if "--check" in args and any(missing.values()):
        return 1
    return 0


def task_site(args: Sequence[str]) -> int:
    """Build the documentation site with warnings as errors (``mkdocs serve`` to browse it while writing)."""
    return subprocess.call([sys.executable, "-m", "mkdocs", "build", "--strict", *args], cwd=ROOT)


def task_bench(args: Sequence[str]) -> int:
    """Run the lifecycle benchmark."""
    return subprocess.call([sys.executable, str(ROOT / "benchmarks" / "lifecycle.py"), *args], cwd=ROOT)


TASKS: dict[str, Callable[[Sequence[str]], int]] = {
    "demo": task_demo,
    "test": task_test,
    "diagrams": task_diagrams,
    "docs": task_docs,
    "catalogs": task_catalogs,
    "site": task_site,
    "bench": task_bench,
}


def main(argv: Sequence[str]) -> int:
    """Set up the environment, then run the task inside it."""
    if sys.version_info < (3, 11):
        _say(f"resolvekit needs Python 3.11 or newer; this is {sys.version.split()[0]}")
        return EXIT_SETUP_FAILED
    if not argv or argv[0] not in TASKS:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    task, args = argv[0], list(argv[1:])
    try:
        venv = ensure_venv()
    except SetupError as exc:
        _say(str(exc))
        return EXIT_SETUP_FAILED
    if not _in(venv):
        return subprocess.call([str(venv_python(venv)), str(Path(__file__).resolve()), task, *args], cwd=ROOT)
    return TASKS[task](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
