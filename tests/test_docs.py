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
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
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


# -- the documentation site, the example notebook, and what each page must cover ----------------------


def test_the_site_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    """``mkdocs build --strict``: a broken link, a missing page or a bad config fails the build."""
    import subprocess
    import sys

    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed (is mkdocs installed? pip install -e '.[dev]'):\n{done.stderr}"
    for page in ("tutorial", "hooks", "policy", "lifecycles", "simulation", "cli", "changelog", "how-to/test-your-integration"):
        assert (site / page / "index.html").exists(), f"the site has no {page} page"
    assert "resolvekit_deliver" in (site / "hooks" / "index.html").read_text(encoding="utf-8")
    assert (site / "notebooks" / "policy-comparison.ipynb").exists()


NOTEBOOK = ROOT / "docs" / "notebooks" / "policy-comparison.ipynb"


def test_the_example_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Executed with nbclient in a real kernel when it is installed (the dev extra has it), else cell by cell."""
    import json

    monkeypatch.setenv("MPLBACKEND", "Agg")
    try:
        import ipykernel  # noqa: F401
        import nbformat
        from nbclient import NotebookClient
    except ImportError:
        notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
        monkeypatch.chdir(tmp_path)
        namespace: dict[str, object] = {"__name__": "policy_comparison"}
        for number, cell in enumerate(notebook["cells"]):
            if cell["cell_type"] == "code":
                exec(compile("".join(cell["source"]), f"{NOTEBOOK.name} cell {number}", "exec"), namespace)
        return
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    assert "all checks passed" in printed


@pytest.mark.parametrize(
    ("module", "page"),
    [
        ("resolvekit.simulation", "simulation.md"),
        ("resolvekit.testing.strategies", "how-to/test-your-integration.md"),
        ("resolvekit.testing.pytest_plugin", "how-to/test-your-integration.md"),
    ],
)
def test_every_public_name_is_documented_on_its_page(module: str, page: str) -> None:
    import importlib

    names = [n for n in importlib.import_module(module).__all__ if not n.startswith("_")]
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    missing = [name for name in names if f"`{name}" not in text]
    assert not missing, f"{module} names missing from docs/{page}: {missing}"


def test_every_command_is_documented() -> None:
    from resolvekit.cli import parser

    commands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [name for name in commands if f"`resolvekit {name}" not in text]
    assert not missing, f"commands missing from docs/cli.md: {missing}"
