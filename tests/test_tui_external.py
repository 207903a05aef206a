"""The programs the reader runs (``tui/external.py``): the browser command, ``$BROWSER``, the
pipe command. Each runs for real: a small shell script records the argv it was given."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from newsreader.ingest.urls import safe_url
from newsreader.tui import external

#: A URL the check changes (host case, default port, non-ASCII path): what reaches the browser
#: must be the checked form, never this.
RAW_URL = "HTTPS://Example.COM:443/caf\u00e9?q=\u00fc#top"


def recorder(tmp_path: Path, status: int = 0) -> tuple[Path, Path]:
    """A script that appends each of its arguments to a log, one a line, and exits ``status``."""
    log = tmp_path / "argv.log"
    script = tmp_path / "record.sh"
    script.write_text(
        f'#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a" >> {shlex.quote(str(log))}; done\n'
        f"exit {status}\n"
    )
    script.chmod(0o755)
    return script, log


def test_the_browser_command_gets_the_checked_url_in_place_of_percent_s(tmp_path: Path) -> None:
    script, log = recorder(tmp_path)
    checked = safe_url(RAW_URL)
    assert checked is not None and checked != RAW_URL
    assert external.open_in_browser(RAW_URL, f"{script} --new-window %s --flag") is True
    assert log.read_text().splitlines() == ["--new-window", checked, "--flag"]


def test_without_percent_s_the_url_is_the_last_argument(tmp_path: Path) -> None:
    script, log = recorder(tmp_path)
    assert external.open_in_browser(RAW_URL, f"{script} --private") is True
    assert log.read_text().splitlines() == ["--private", safe_url(RAW_URL)]


def test_a_browser_that_fails_or_a_refused_url_reports_false(tmp_path: Path) -> None:
    script, log = recorder(tmp_path, status=3)
    assert external.open_in_browser("https://example.com/", str(script)) is False
    assert log.read_text().splitlines() == ["https://example.com/"]
    log.unlink()
    for url in ("javascript:alert(1)", "-oProxyCommand=x", "file:///etc/passwd"):
        assert external.open_in_browser(url, str(script)) is False
    assert not log.exists()  # refused: the command never ran


def test_dollar_browser_is_used_when_no_command_is_set(tmp_path: Path) -> None:
    # In a fresh interpreter: webbrowser reads $BROWSER once, on first use.
    script, log = recorder(tmp_path)
    code = f"from newsreader.tui import external\nprint(external.open_in_browser({RAW_URL!r}))\n"
    env = {**os.environ, "BROWSER": f"{script} %s"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "True"
    assert log.read_text().splitlines() == [safe_url(RAW_URL)]


def test_the_pipe_command_reads_the_text_and_its_output_is_cleaned() -> None:
    result = external.run_pipe("wc -w", "one two three\n")
    assert result == external.PipeResult("3", failed=False, title="wc -w")
    result = external.run_pipe("sh -c 'printf \"a\\033[31mred\\n\"; exit 2'", "")
    assert "\x1b" not in result.text and "red" in result.text
    assert result.failed and result.text.endswith("(exit status 2)")
    many = external.run_pipe("seq 20", "")
    assert many.text.splitlines()[-1] == f"… {20 - external.PIPE_LINES} more lines"


def test_a_pipe_command_that_cannot_run_says_so() -> None:
    result = external.run_pipe("no-such-command-xyz", "text")
    assert result.failed and result.title == ""
    assert result.text.startswith("Could not run 'no-such-command-xyz'")
