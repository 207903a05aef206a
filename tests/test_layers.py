"""The layers hold: only tui/ imports Textual (checked in a fresh interpreter, as harlequin does),
the import graph flows one way (ingest -> library -> UI), and the library loads no parser."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import newsreader
from conftest import SEEDS

PACKAGE = Path(newsreader.__file__).parent


def _modules_outside_tui() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(relative.parts)
        if "tui" in parts or parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def test_nothing_outside_tui_imports_textual() -> None:
    modules = _modules_outside_tui()
    assert "newsreader.library.library" in modules and "newsreader.cli" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"Textual imported outside tui/: {result.stdout}"


def test_the_check_would_catch_a_textual_import() -> None:
    # The same probe, pointed at the TUI, must see Textual: the check above can fail.
    code = "import sys, newsreader.tui.app; print('textual' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "True"


#: What the UI process must not load before it parses a file: the HTML cleaner and its
#: libraries cost about 0.3 s of start-up.
PARSING_ONLY = ("trafilatura", "lxml", "newsreader.ingest.clean", "newsreader.ingest.load")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(','.join(sorted(sys.modules)))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(result.stdout.strip().split(","))


def test_the_library_and_its_types_load_no_parsing_code() -> None:
    for statement in (
        "import newsreader.library",
        "import newsreader.library.library",
        "from newsreader.library.library import Library, Row, View",
        "from newsreader.model import Counts, Link, Row, Story, View",
    ):
        loaded = _loaded_after(statement)
        assert not {
            m for m in loaded for bad in PARSING_ONLY if m == bad or m.startswith(bad + ".")
        }, statement


def test_the_parsing_probe_would_catch_a_heavy_import() -> None:
    # Parsing a file does need the extractor: the same probe sees it, so the check above can fail.
    seed = next(iter(sorted(SEEDS.iterdir())))
    assert {"trafilatura", "newsreader.ingest.clean"} <= _loaded_after(
        f"from newsreader.library.parsing import parse_file; parse_file({str(seed)!r})"
    )


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function (lazy imports count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    return {
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts): _imports(path)
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


#: (layer, layers it must not import), following the data flow files -> ingest -> library -> UI.
RULES = (
    ("newsreader.ingest", ("newsreader.library", "newsreader.tui", "textual")),
    ("newsreader.library", ("newsreader.tui", "textual")),
    ("newsreader.model", ("newsreader.ingest", "newsreader.library", "newsreader.tui", "textual")),
    ("newsreader", ("textual",)),
)


def _breaches(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, imported in graph.items():
        if _in(module, "newsreader.tui"):
            continue
        for layer, banned in RULES:
            if _in(module, layer):
                out += [f"{module} imports {i}" for i in imported if any(_in(i, b) for b in banned)]
    return sorted(out)


def test_the_import_graph_flows_one_way() -> None:
    graph = _graph()
    assert "newsreader.ingest.load" in graph and "newsreader.library.sync" in graph
    assert _breaches(graph) == []


def test_the_import_graph_check_would_catch_a_breach() -> None:
    # The scanner sees real imports, lazy ones too...
    graph = _graph()
    assert "newsreader.ingest.load" in graph["newsreader.library.parsing"]
    assert any(_in(i, "textual") for i in graph["newsreader.tui.app"])
    # ...and a layer importing upwards is reported.
    graph["newsreader.ingest.load"] = {"newsreader.library.db"}
    graph["newsreader.library.store"] = {"newsreader.tui.app"}
    assert _breaches(graph) == [
        "newsreader.ingest.load imports newsreader.library.db",
        "newsreader.library.store imports newsreader.tui.app",
    ]
