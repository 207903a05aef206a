"""What a CLI command loads before it answers (issue 20: answers within 0.25 s, startup
included): ``list``, ``search`` and ``show`` need no completion generator and no package
metadata, which together cost more than a cached ``list`` of 1,000 articles (importing
``importlib.metadata`` pulls in ``email``, and reading the version parses the dist-info)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
PROBE = """
import json, sys
from newsreader.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:  # --version, as argparse ends it
    code = exit.code
print(json.dumps([code, sorted(m for m in ("shtab", "importlib.metadata", "email") if m in sys.modules)]), file=sys.stderr)
"""


def _loaded(args: list[str], data_dir: Path) -> tuple[int, list[str], str]:
    env = {**os.environ, "NEWSREADER_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, check=False
    )
    code, modules = json.loads(done.stderr.strip().splitlines()[-1])
    return code, modules, done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["list", str(SEEDS), "--no-sync"],
        ["search", str(SEEDS), "police", "--no-sync"],
        ["list", str(SEEDS), "--json", "--no-sync"],
    ],
)
def test_a_command_loads_no_completion_or_metadata(args: list[str], tmp_path: Path) -> None:
    code, modules, out = _loaded(["index", str(SEEDS)], tmp_path)
    assert code == 0
    code, modules, out = _loaded(args, tmp_path)
    assert code == 0 and out.strip()
    assert modules == [], modules


def test_version_and_completion_still_answer(tmp_path: Path) -> None:
    from importlib import metadata

    from newsreader import __version__

    code, _, out = _loaded(["--version"], tmp_path)
    try:
        expected = metadata.version("newsreader-tui")
    except metadata.PackageNotFoundError:
        expected = __version__
    assert code == 0 and out == f"newsreader {expected}\n"
    code, modules, out = _loaded(["completion", "bash"], tmp_path)
    assert code == 0 and "_shtab_compgen_dirs" in out and "shtab" in modules
    assert "--no-sync" in out and "_shtab_compgen_files" in out


@pytest.mark.parametrize("flags", [[], ["--json", "--text"]])
def test_show_of_a_front_matter_only_file_does_not_load_the_extractor(
    flags: list[str], tmp_path: Path
) -> None:
    """trafilatura's import alone is 0.3 s; an article with no body has nothing to clean."""
    probe = (
        "import sys\nfrom newsreader.cli import main\n"
        f"code = main(['show', *{flags!r}, {str(SEEDS / '000_0e06e25c2019004f.txt')!r}])\n"
        "print(code, 'trafilatura' in sys.modules, file=sys.stderr)\n"
    )
    env = {**os.environ, "NEWSREADER_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert "Internal Affairs used facial recognition software" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "0 False"
