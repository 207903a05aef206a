"""More hand-offs in a real terminal (issue 22): the config in ``$EDITOR`` from the app, and ``|``
into an interactive program (``pipe_in_terminal``). Each program must get the terminal (the app
steps aside with ``App.suspend``) and the app must draw itself again after it."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

pytest.importorskip("pexpect", reason="pexpect is needed for the real-terminal tests")
pytest.importorskip("pyte", reason="pyte is needed for the real-terminal tests")

from terminal_support import (  # noqa: E402 - after the skips above
    Terminal,
    copy_seeds,
    read_record,
    write_article,
    write_recorder,
)
from test_terminal import (  # noqa: E402
    assert_clean_exit,
    home,  # noqa: F401 - a fixture
    reader_shows,
    seed_titles,  # noqa: F401 - a fixture
    shows_rows,
    wait_synced,
)

TITLE = "An article to pipe into a program"


def test_edit_config_in_editor_then_the_new_sort_applies(
    tmp_path: Path,
    home: Path,  # noqa: F811
    seed_titles: list[str],  # noqa: F811
) -> None:
    seeds = copy_seeds(tmp_path)
    recorder, record = write_recorder(tmp_path / "bin", "recorder")
    editor = tmp_path / "bin" / "editor"
    # Records how it was run, then sets the sort to "title" in the file it was given.
    editor.write_text(
        "#!/bin/sh\n"
        f'{shlex.quote(str(recorder))} "$@" </dev/null\n'
        'sed -i \'s/^sort = .*/sort = "title"/\' "$1"\n'
    )
    editor.chmod(0o755)
    with Terminal([str(seeds)], home, env={"EDITOR": str(editor)}) as term:
        wait_synced(term, 5)
        term.wait_until(lambda: shows_rows(term, seed_titles), "the seeds, newest first")
        term.send("C")
        term.wait_until(record.exists, "the editor's record")
        seen = read_record(record)
        assert seen.stdout_tty, f"the editor did not get the terminal: {seen}"
        assert seen.args == [str(home / "config.toml")], seen.args
        by_title = sorted(seed_titles, key=str.casefold)
        term.wait_until(lambda: shows_rows(term, by_title), "the list sorted by title")
        assert 'sort = "title"' in (home / "config.toml").read_text()
        assert_clean_exit(term, term.quit())


def test_pipe_in_terminal_hands_the_terminal_and_the_text(
    tmp_path: Path,
    home: Path,  # noqa: F811
) -> None:
    folder = tmp_path / "pipe"
    write_article(folder, "one.txt", title=TITLE, url="https://example.com/a", body="Body text.")
    program, record = write_recorder(tmp_path / "bin", "program")
    (home / "config.toml").write_text(
        f"pipe_command = {str(program)!r}\npipe_in_terminal = true\n".replace("'", '"')
    )
    with Terminal([str(folder)], home) as term:
        term.wait_until(lambda: reader_shows(term, TITLE), "the article in the reader")
        term.send("|")
        term.wait_until(record.exists, "the program's record")
        seen = read_record(record)
        assert seen.stdout_tty, f"the program did not get the terminal: {seen}"
        assert TITLE in seen.text, f"the program was not given the article: {seen}"
        term.wait_until(lambda: reader_shows(term, TITLE), "the app redrawn")
        assert_clean_exit(term, term.quit())
