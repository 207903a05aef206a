"""The package as a user installs it: its name, licence, dependencies, pins and CI's commands."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
#: The other project on the package index that owns the name "newsreader".
TAKEN = "newsreader"


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _imported_top_levels() -> set[str]:
    """Every top-level module that a module of src/ imports."""
    found: set[str] = set()
    for path in (ROOT / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_the_distribution_has_a_name_of_its_own_and_the_command_stays() -> None:
    assert _name(PROJECT["name"]) != TAKEN
    assert PROJECT["scripts"] == {"newsreader": "newsreader.cli:main"}
    version = metadata.version(PROJECT["name"])
    result = subprocess.run(
        [sys.executable, "-m", "newsreader", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"newsreader {version}"


def test_the_licence_is_shipped_and_compatible_with_html2text() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "GNU GENERAL PUBLIC LICENSE" in licence and "Version 3" in licence
    assert PROJECT["license"] == "GPL-3.0-or-later"
    assert PROJECT["license-files"] == ["LICENSE"]
    # html2text is GPL-3.0-or-later: a program that links it is distributed under the GPL.
    assert metadata.metadata("html2text")["License-Expression"] == "GPL-3.0-or-later"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Licence" in readme and "GPL-3.0-or-later" in readme


def test_runtime_dependencies_are_ranges_and_ci_pins_them_exactly() -> None:
    for requirement in PROJECT["dependencies"]:
        assert "==" not in requirement, f"exact pin in pyproject: {requirement}"
    constraints = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    pins = dict(
        line.split("==", 1)
        for line in constraints.splitlines()
        if line.strip() and not line.startswith("#")
    )
    for requirement in [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["test"]]:
        assert _name(requirement) in pins, f"{requirement} is not pinned in constraints.txt"
    # The snapshots are drawn by this Textual: the venv the tests run in has the pinned one.
    assert pins["textual"] == metadata.version("textual")


def test_ci_runs_the_readme_test_command_with_the_constraints() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme.split("Run the tests", 1)[1]
    command = re.search(r"```sh\n(.+?)\n```", after, re.S)
    assert command
    assert "-c constraints.txt" in command.group(1)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command.group(1) in ci
    # ... and checks the package as users get it: a wheel in a clean venv, and pipx.
    assert any("python -m build" in line for line in ci)
    assert any("pipx install" in line for line in ci)


def test_every_dependency_is_used_and_python_frontmatter_is_gone() -> None:
    imported = _imported_top_levels()
    providers = metadata.packages_distributions()
    used = {_name(dist) for module in imported for dist in providers.get(module, [])}
    declared = {_name(r) for r in PROJECT["dependencies"]}
    # Imported by jusText, not by us (lxml 6.2 dropped the extra jusText asks for it by).
    indirect = {"lxml-html-clean"}
    assert declared - used == indirect
    assert "python-frontmatter" not in declared and "frontmatter" not in imported
    spec = importlib.util.find_spec("justext.core")
    assert spec and spec.origin
    assert "lxml.html.clean" in Path(spec.origin).read_text(encoding="utf-8")
