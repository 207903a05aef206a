"""Config file: defaults, checked values, clear messages with line numbers, never fatal."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from newsreader import config
from newsreader.cli import main
from newsreader.library.library import Library
from newsreader.tui.app import NewsReaderApp

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    cfg = config.load(tmp_path / "nope.toml")
    assert cfg.theme == "textual-dark" and cfg.mark_read_on_open and not cfg.problems


def test_init_writes_a_commented_default_that_loads_cleanly(tmp_path: Path) -> None:
    path = config.init(tmp_path / "c" / "config.toml")
    text = path.read_text()
    assert text.count("#") > 10
    assert tomllib.loads(text)["sort"] == "newest"
    assert config.load(path).problems == []


def test_unknown_key_and_wrong_type_name_the_key_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'theme = "nord"\ncolour = "red"\n\nreader_max_width = "wide"\nsort = "random"\n'
    )
    cfg = config.load(path)
    assert cfg.theme == "nord"
    assert cfg.reader_max_width == 88 and cfg.sort == "newest"
    joined = "\n".join(cfg.problems)
    assert "'colour'" in joined and "line 2" in joined
    assert "'reader_max_width'" in joined and "line 4" in joined
    assert "'sort'" in joined and "line 5" in joined


def test_broken_toml_is_reported_and_defaults_used(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("theme = \n[[[")
    cfg = config.load(path)
    assert cfg.problems and cfg.theme == "textual-dark"


def test_save_setting_keeps_comments_and_tables(tmp_path: Path) -> None:
    path = config.init(tmp_path / "config.toml")
    config.save_setting(path, "theme", "textual-light")
    text = path.read_text()
    assert 'theme = "textual-light"' in text and "# newsreader configuration" in text
    assert config.load(path).theme == "textual-light"
    fresh = tmp_path / "fresh.toml"
    fresh.write_text('[keys]\nlist_down = "ctrl+n"\n')
    config.save_setting(fresh, "theme", "nord")
    loaded = config.load(fresh)
    assert loaded.theme == "nord" and loaded.keys == {"list_down": "ctrl+n"}


def _app(tmp_path: Path, cfg: config.Config) -> tuple[NewsReaderApp, Library]:
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    library = Library.open(folder, tmp_path / "data")
    library.sync()
    return NewsReaderApp(library, sync_on_start=False, config=cfg), library


def test_remapped_keys_and_light_theme_apply(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "textual-light"\n[keys]\nlist_down = "ctrl+n"\nlist_up = "ctrl+b"\n')
    cfg = config.load(path)
    app, library = _app(tmp_path, cfg)

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.theme == "textual-light"
            assert app.articles.cursor == 0
            await pilot.press("ctrl+n", "ctrl+n")
            assert app.articles.cursor == 2
            await pilot.press("j")  # no longer bound
            assert app.articles.cursor == 2
            await pilot.press("ctrl+b")
            assert app.articles.cursor == 1

    asyncio.run(run())
    library.close()


def test_theme_chosen_in_the_app_persists(tmp_path: Path) -> None:
    path = config.init(tmp_path / "config.toml")
    app, library = _app(tmp_path, config.load(path))

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.theme = "nord"
            await pilot.pause()
            await pilot.pause()

    asyncio.run(run())
    library.close()
    assert config.load(path).theme == "nord"


def test_bad_config_never_stops_the_app(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "no-such-theme"\nbogus = 1\n[keys]\nnot_a_binding = "x"\n')
    app, library = _app(tmp_path, config.load(path))

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            messages = " ".join(str(n.message) for n in app._notifications)
            assert (
                "bogus" in messages and "no-such-theme" in messages and "not_a_binding" in messages
            )
            assert len(app.articles.rowids) == 5

    asyncio.run(run())
    library.close()


def test_a_bad_key_entry_is_named_and_the_good_ones_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keys]\nlist_down = "ctrl+n"\nbogus = 1\n')
    cfg = config.load(path)
    assert cfg.keys == {"list_down": "ctrl+n"}
    assert any("'keys.bogus'" in p and "line 3" in p for p in cfg.problems)


def test_sort_from_the_config_orders_every_list(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('sort = "oldest"\n')
    app, library = _app(tmp_path, config.load(path))

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            first = app.articles.row(0)
            assert first is not None and first.title.startswith("The NYPD used a controversial")
            assert app.view.sort == "oldest"

    asyncio.run(run())
    library.close()


# -- the `config --check` and `export` commands (cli.py's _cmd_config and _cmd_export) ------------


def test_check_reports_an_unknown_theme_and_binding_id_with_their_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'sort = "oldest"\ntheme = "nope"\n[keys]\nlist_down = "ctrl+n"\nnot_an_id = "x"\n'
    )
    monkeypatch.setenv("NEWSREADER_CONFIG", str(path))
    assert main(["config", "--check"]) == 1
    out = capsys.readouterr().out
    assert "no problems" not in out
    assert "line 2: unknown theme 'nope'" in out
    assert "line 5: unknown binding id 'keys.not_an_id'" in out
    assert "list_down" not in out  # a known id is fine
    path.write_text('theme = "nord"\n[keys]\nlist_down = "ctrl+n"\n')
    assert main(["config", "--check"]) == 0
    assert "no problems" in capsys.readouterr().out


def _export(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``newsreader export`` on the seeds, as a user would."""
    env = {
        **os.environ,
        "NEWSREADER_DATA_DIR": str(tmp_path / "data"),
        "NEWSREADER_CONFIG": str(tmp_path / "none.toml"),
    }
    return subprocess.run(
        [sys.executable, "-m", "newsreader", "export", str(SEEDS), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_export_says_when_nothing_matches(tmp_path: Path) -> None:
    done = _export(tmp_path, "-q", "zzzznothing")
    assert done.returncode == 0 and "no articles match" in done.stderr


def test_link_list_exports_say_how_many_had_no_url(tmp_path: Path) -> None:
    for fmt in ("opml", "html"):
        done = _export(tmp_path, "-f", fmt)
        assert done.returncode == 0, done.stderr
        # Seeds 002 and 003 have no URL at all.
        assert "left out 2 article(s) with no URL" in done.stderr, fmt
        assert "nypost.com" in done.stdout
    done = _export(tmp_path, "-f", "jsonl")
    assert "left out" not in done.stderr and "NYPD Leveraged Clearview" in done.stdout


# -- a bad config speaks up everywhere, and never crashes (issues 16 and 17) ----------------------


def test_list_warns_once_per_config_problem_and_still_works(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('data_dir = 5\nsort = "random"\n')
    env = {
        **os.environ,
        "NEWSREADER_CONFIG": str(path),
        "NEWSREADER_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "newsreader", "list", str(SEEDS)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 5
    warnings = done.stderr.splitlines()
    assert len(warnings) == 2, done.stderr
    assert "line 1" in warnings[0] and "'data_dir' must be str" in warnings[0]
    assert "line 2" in warnings[1] and "'sort' must be one of" in warnings[1]


def test_a_config_that_is_not_utf8_is_reported_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    original = b'theme = "nord"\n# caf\xff\n'
    path.write_bytes(original)
    loaded = config.load(path)
    assert loaded.theme == "textual-dark"
    (problem,) = loaded.problems
    assert "not UTF-8" in problem and "line 2" in problem
    # What the palette's theme command calls: an OSError the app already reports, never a
    # UnicodeDecodeError, and the file is left as it was.
    with pytest.raises(OSError, match="not UTF-8"):
        config.save_setting(path, "theme", "gruvbox")
    assert path.read_bytes() == original


def test_config_messages_never_carry_escapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'theme = "evil\\u001b]0;pwned\\u0007"\n'
        '"bad\\u001b[2Jkey" = 1\n'
        '[keys]\n"x\\u009b31m" = "ctrl+x"\n'
    )
    monkeypatch.setenv("NEWSREADER_CONFIG", str(path))
    assert main(["config", "--check"]) == 1
    out = capsys.readouterr().out
    assert "unknown theme" in out and "unknown setting" in out and "unknown binding id" in out
    assert not any(c in out for c in "\x1b\x07\x9b"), repr(out)
    loaded = config.load(path)
    text = "\n".join(loaded.problems)
    assert text and "\x1b" not in text


def test_check_is_linear_in_the_number_of_keys(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[keys]\n" + "".join(f'unknown_{i} = "x"\n' for i in range(5000)))
    loaded = config.load(path)
    started = time.perf_counter()
    problems = config.check_names(loaded, ["textual-dark"], ["quit"])
    elapsed = time.perf_counter() - started
    assert len(problems) == 5000
    assert "line 5001: unknown binding id 'keys.unknown_4999'" in problems[-1] or any(
        "line 5001: unknown binding id 'keys.unknown_4999'" in p for p in problems
    )
    # It took 32 s when each key scanned the whole file; one pass takes milliseconds.
    assert elapsed < 3, elapsed


def test_save_setting_to_no_file_writes_the_commented_defaults_with_it(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    config.save_setting(path, "sort", "title")
    text = path.read_text()
    assert "# newsreader configuration" in text and "pipe_command" in text
    loaded = config.load(path)
    assert loaded.sort == "title" and loaded.problems == []
    assert text.count("sort = ") == 1
