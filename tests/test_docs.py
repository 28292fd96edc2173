"""The documentation is complete, current and runnable.

* every hookspec is documented in docs/hooks.md, and every generated part of docs/ is up to date;
* every relative link in README.md and docs/ points at a file that exists;
* every ```python block of README.md and docs/*.md runs (blocks of one page share a namespace, in
  order); a block whose fence reads ```python no-run is shown but not run.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from resolvekit import hookspecs

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def _load_dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("resolvekit_dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev = _load_dev()


def _python_blocks(page: Path) -> list[tuple[int, str]]:
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        words = match["info"].split()
        if words[:1] == ["python"] and "no-run" not in words[1:]:
            blocks.append((text.count("\n", 0, match.start("body")) + 1, match["body"]))
    return blocks


def test_every_hookspec_is_documented() -> None:
    names = [name for name, func in vars(hookspecs).items() if hasattr(func, f"{hookspecs.PROJECT}_spec")]
    assert names, "no hookspecs found"
    page = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    missing = [name for name in names if not re.search(rf"^#+ `{name}`$", page, re.MULTILINE)]
    assert not missing, f"hooks missing from docs/hooks.md: {missing}; run `python3 dev.py docs`"


@pytest.mark.parametrize("filename", sorted(dev.GENERATED))
def test_generated_documentation_is_up_to_date(filename: str) -> None:
    name, generate = dev.GENERATED[filename]
    path = ROOT / "docs" / filename
    document = path.read_text(encoding="utf-8")
    begin, end = dev.markers(name)
    assert begin in document and end in document, f"docs/{filename} lost its generated-part markers"
    assert document == dev.splice(document, name, generate()), (
        f"docs/{filename} is out of date with the code; run `python3 dev.py docs`"
    )


def test_every_policy_field_is_documented() -> None:
    import attrs

    from resolvekit import Policy

    table = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    for field in attrs.fields(Policy):
        assert f"| `{field.alias or field.name}` |" in table, f"Policy.{field.name} is not in docs/policy.md"
    assert "(undocumented)" not in dev.policy_reference(), (
        "a Policy field has no entry in the Attributes section of the Policy docstring"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


@pytest.mark.parametrize("page", [p for p in PAGES if _python_blocks(p)], ids=lambda p: p.name)
def test_python_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for line, source in _python_blocks(page):
        code = compile("\n" * (line - 1) + source, str(page), "exec")
        exec(code, namespace)
    capsys.readouterr()


def test_the_readme_starts_with_the_two_setup_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# ")
    block = next(m for m in FENCE.finditer("\n".join(lines) + "\n"))
    commands = [line.split("#")[0].strip() for line in block["body"].splitlines()]
    assert commands == ["python3 dev.py demo", "python3 dev.py test"]
