"""The layers hold: only tui/ imports Textual (checked in a fresh interpreter, as harlequin does)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import newsreader

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
