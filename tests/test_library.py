"""The library on the seeds and on files written here: sync, duplicates, links, state."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from newsreader.library import db
from newsreader.library.library import Library, View

SEED_000 = "000_0e06e25c2019004f.txt"
SEED_001 = "001_6a22c6f8e948ba59.txt"
SEED_004 = "004_155d809fb4cb8554.txt"

ARTICLE = """---
title: "{title}"
originalUrl: "{url}"
ampWebUrl: "{url}amp/"
publishedDateTime: 2022-03-0{day}T10:00:00Z
provider:
  name: Example News
  domain: example.com
topics:
  - {topic}
---

{body}
"""


def write_article(
    folder: Path, name: str, *, n: int, body: str = "", topic: str = "AI", url: str | None = None
) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        ARTICLE.format(
            title=f"Story number {n}",
            url=url or f"https://example.com/story-{n}/",
            day=1 + n % 9,
            topic=topic,
            body=body or f"Body of story {n} about marmalade and more words here.",
        )
    )
    return path


def open_synced(folder: Path, data_dir: Path) -> Library:
    library = Library.open(folder, data_dir)
    library.sync(workers=1)
    return library


def test_seeds_index_and_resync_reads_nothing(seeds_dir: Path, data_dir: Path) -> None:
    library = Library.open(seeds_dir, data_dir)
    first = library.sync()
    assert (first.added, first.updated, first.removed, first.skipped) == (5, 0, 0, 0)
    second = library.sync()
    assert (second.added, second.updated, second.removed, second.parsed) == (0, 0, 0, 0)
    assert second.unchanged == 5
    assert library.count(View()) == 5


def test_sync_adds_updates_removes(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "f"
    for n in range(3):
        write_article(folder, f"sub/{n}.md", n=n)
    library = open_synced(folder, data_dir)
    assert library.count(View()) == 3
    rowid = library.rowid_of(library.article_ids(View(query="marmalade"))[0])
    write_article(folder, "sub/3.md", n=3)
    write_article(folder, "sub/0.md", n=0, body="Rewritten with quince instead, and a longer text.")
    os.utime(folder / "sub/0.md", ns=(1, 10**18))
    (folder / "sub/1.md").unlink()
    report = library.sync(workers=1)
    assert (report.added, report.updated, report.removed) == (1, 1, 1)
    assert library.count(View()) == 3
    assert [r.title for r in library.page(View(query="quince"))] == ["Story number 0"]
    assert library.count(View(query="marmalade")) == 2
    # An updated article keeps its rowid as well as its id.
    assert rowid is not None and library.article(rowid) is not None


def test_rename_keeps_id_and_state(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "f"
    write_article(folder, "a.md", n=1)
    library = open_synced(folder, data_dir)
    (article_id,) = library.article_ids(View())
    library.set_read([article_id])
    library.set_starred([article_id])
    (folder / "a.md").rename(folder / "renamed.md")
    report = library.sync(workers=1)
    assert report.removed == 1
    assert library.article_ids(View()) == [article_id]
    assert library.is_read(article_id) and library.is_starred(article_id)
    article = library.article(article_id)
    assert article is not None and article.path.endswith("renamed.md")


def test_deleting_the_cache_keeps_state(seeds_dir: Path, data_dir: Path) -> None:
    library = open_synced(seeds_dir, data_dir)
    ids = library.article_ids(View())
    library.set_read(ids[:2])
    library.set_starred(ids[2:3])
    library.save_search("clearview", "clearview is:unread")
    library.save_position(ids[0], "AI")
    cache = library.cache_path
    library.close()
    assert cache is not None
    shutil.rmtree(cache.parent)
    again = open_synced(seeds_dir, data_dir)
    assert again.totals() == {"all": 5, "unread": 3, "starred": 1}
    assert again.saved_searches() == [("clearview", "clearview is:unread")]
    assert again.position()[:2] == (ids[0], "AI")


def test_duplicate_urls_and_amp_variant_are_one_article(seeds_copy: Path, data_dir: Path) -> None:
    text = (seeds_copy / SEED_000).read_text()
    amp = "https://nypost.com/2021/04/11/internal-affairs-used-facial-recognition-against-nypd-cops-email/amp/"
    (seeds_copy / "zz_amp.txt").write_text(
        text.replace(
            'originalUrl: "https://nypost.com/2021/04/11/internal-affairs-used-facial-recognition-against-nypd-cops-email/"',
            f'originalUrl: "{amp}"',
        )
    )
    (seeds_copy / "sub").mkdir()
    shutil.copy(seeds_copy / SEED_000, seeds_copy / "sub" / "copy.txt")
    library = Library.open(seeds_copy, data_dir)
    report = library.sync(workers=1)
    assert report.added == 5 and report.duplicates == 2
    article = library.article(library.article_ids(View(query="Internal Affairs used facial"))[0])
    assert article is not None
    assert article.path == str(seeds_copy / SEED_000)
    assert article.paths == [
        str(seeds_copy / SEED_000),
        str(seeds_copy / "sub" / "copy.txt"),
        str(seeds_copy / "zz_amp.txt"),
    ]
    # Dropping the first file hands the article to the next one.
    (seeds_copy / SEED_000).unlink()
    library.sync(workers=1)
    again = library.article(article.id)
    assert again is not None and again.path == str(seeds_copy / "sub" / "copy.txt")
    assert library.count(View()) == 5


def test_removing_the_file_an_article_shows_takes_the_next_copys_text(
    tmp_path: Path, data_dir: Path
) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    for name, word in (("a.md", "alpha"), ("b.md", "bravo")):
        (folder / name).write_text(
            f"---\ntitle: Version {word}\noriginalUrl: https://example.org/story\n---\n\n"
            f"The {word} text of a story told in enough words to be an article body.\n"
        )
    library = open_synced(folder, data_dir)
    assert library.count(View(query="alpha")) == 1 and library.count(View(query="bravo")) == 0
    (folder / "a.md").unlink()
    library.sync(workers=1)
    (article_id,) = library.article_ids(View())
    article = library.article(article_id)
    assert article is not None and article.title == "Version bravo"
    assert article.paths == [str(folder / "b.md")]
    assert library.count(View(query="alpha")) == 0 and library.count(View(query="bravo")) == 1


def test_same_text_in_two_files_is_one_article(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    dump = "A plain page dump\n\n" + ("Words of a plain text article about gardens. " * 20)
    (folder / "a.txt").write_text(dump)
    (folder / "b.txt").write_text(dump)
    library = open_synced(folder, data_dir)
    assert library.count(View()) == 1
    (article_id,) = library.article_ids(View())
    article = library.article(article_id)
    assert article is not None and len(article.paths) == 2 and article.path == article.paths[0]


def test_links_between_seeds_resolve(seeds_dir: Path, data_dir: Path) -> None:
    library = open_synced(seeds_dir, data_dir)
    by_path = {
        library.article(i).path.rsplit("/", 1)[1]: library.article(i)  # type: ignore[union-attr]
        for i in library.article_ids(View())
    }
    a0, a1 = by_path[SEED_000], by_path[SEED_001]
    links = library.related(a0)
    local = [link.local.id for link in links if link.local]
    assert local == [a1.id]
    assert len(links) == len(a0.related) and any(link.local is None for link in links)
    assert library.related_local_ids(a1) == [a0.id]
    assert {r.id for r in library.referenced_by(a1.id)} == {a0.id}
    assert {r.id for r in library.referenced_by(a0.id)} == {a1.id}


def test_state_marks_and_counts(seeds_dir: Path, data_dir: Path) -> None:
    library = open_synced(seeds_dir, data_dir)
    ids = library.article_ids(View(query="clearview"))
    assert ids
    library.set_read(library.article_ids(View(query="clearview")))
    assert library.count(View(unread=True)) == 5 - len(ids)
    library.set_read(ids[:1], read=False)
    assert library.count(View(query="is:read")) == len(ids) - 1
    topics = {c.name: c for c in library.topics()}
    assert topics["AI"].total == 3
    assert {c.name for c in library.sources()} >= {"New York Post", "WPIX"}
    # Forgetting a search never saved changes nothing; forgetting a saved one removes it alone.
    library.save_search("cams", "clearview")
    library.save_search("ai", "topic:AI")
    library.delete_search("nothing")
    assert library.saved_searches() == [("ai", "topic:AI"), ("cams", "clearview")]
    library.delete_search("cams")
    assert library.saved_searches() == [("ai", "topic:AI")]


def test_migrates_a_version_1_cache(seeds_dir: Path, data_dir: Path) -> None:
    library = open_synced(seeds_dir, data_dir)
    cache = library.cache_path
    ids = library.article_ids(View())
    library.set_read(ids[:2])
    library.close()
    assert cache is not None
    cache.unlink()
    # A cache exactly as version 1 made it, holding a file row.
    old = sqlite3.connect(cache)
    old.executescript(db.CACHE_SCHEMA_V1)
    old.execute("INSERT INTO files VALUES ('/x', 1, 1, NULL, 'old problem')")
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    again = Library.open(seeds_dir, data_dir)
    assert again.warnings == []
    assert again.conn.execute("PRAGMA main.user_version").fetchone()[0] == db.CACHE_VERSION
    columns = [r[1] for r in again.conn.execute("PRAGMA main.table_info(articles)")]
    assert columns[-2:] == ["body", "data"]
    topic_columns = [r[1] for r in again.conn.execute("PRAGMA main.table_info(topics)")]
    assert "published" in topic_columns
    assert again.problems() == []  # the layout changed: the cache starts again
    assert again.sync(workers=1).added == 5
    assert again.totals() == {"all": 5, "unread": 3, "starred": 0}


def test_migrates_a_version_2_cache_step_by_step(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "c.sqlite")
    db.migrate(conn, db.CACHE_MIGRATIONS, 2)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    db.migrate(conn, db.CACHE_MIGRATIONS, db.CACHE_VERSION)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.CACHE_VERSION
    db.migrate(conn, db.CACHE_MIGRATIONS, db.CACHE_VERSION)  # idempotent


def test_migration_is_one_transaction(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.sqlite")
    broken = {1: "CREATE TABLE a(x)", 2: "CREATE TABLE b(y); CREATE TABLE a(z)"}
    with pytest.raises(sqlite3.OperationalError):
        db.migrate(conn, broken, 2)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def test_pool_and_serial_agree(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "f"
    for n in range(150):
        write_article(folder, f"d{n % 4}/{n}.md", n=n, topic=f"T{n % 3}")
    pooled = Library.open(folder, data_dir / "a")
    assert pooled.sync(workers=2).added == 150
    serial = Library.open(folder, data_dir / "b")
    assert serial.sync(workers=1).added == 150
    assert [r.id for r in pooled.page(View(), 0, 500)] == [
        r.id for r in serial.page(View(), 0, 500)
    ]
    assert [(c.name, c.total) for c in pooled.topics()] == [
        (c.name, c.total) for c in serial.topics()
    ]


def test_sync_falls_back_when_the_pool_fails(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsreader.library import parsing

    def no_pool() -> object:
        raise OSError("no semaphores here")

    monkeypatch.setattr(parsing, "pool_context", no_pool)
    folder = tmp_path / "f"
    for n in range(100):
        write_article(folder, f"{n}.md", n=n)
    library = Library.open(folder, data_dir)
    assert library.sync(workers=2).added == 100


def test_big_result_sets_rank_title_matches_first(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsreader.library import views

    folder = tmp_path / "f"
    for n in range(12):
        write_article(folder, f"{n}.md", n=n, body=f"Body {n} mentions walrus once.")
    (folder / "t.md").write_text(
        ARTICLE.format(
            title="Walrus spotted",
            url="https://example.com/w/",
            day=1,
            topic="AI",
            body="No more to say.",
        )
    )
    library = open_synced(folder, data_dir)
    exact = [r.title for r in library.page(View(query="walrus"))]
    monkeypatch.setattr(views, "RANK_ALL", 5)
    tiered = [r.title for r in library.page(View(query="walrus"))]
    assert exact[0] == tiered[0] == "Walrus spotted"
    assert sorted(exact) == sorted(tiered) and len(tiered) == 13
    assert library.rowids(View(query="walrus")) == [
        r.rowid for r in library.page(View(query="walrus"))
    ]
    assert library.count(View(query="walrus -spotted")) == 12
    assert len(library.page(View(query="walrus -spotted"))) == 12


def test_topic_counts_fold_case_and_track_reads(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "f"
    write_article(folder, "a.md", n=1, topic="AI")
    write_article(folder, "b.md", n=2, topic="ai")
    write_article(folder, "c.md", n=3, topic="Other")
    library = open_synced(folder, data_dir)
    library.set_read(library.article_ids(View(topic="AI"))[:1])
    counts = {c.name.casefold(): (c.total, c.unread) for c in library.topics()}
    assert counts == {"ai": (2, 1), "other": (1, 1)}
    assert [r.title for r in library.page(View(topic="ai"))] == ["Story number 2", "Story number 1"]
    assert library.count(View(topic="AI", unread=True)) == 1
    assert {(c.name, c.total, c.unread) for c in library.sources()} == {("Example News", 3, 2)}


def test_list_orders(seeds_copy: Path, data_dir: Path) -> None:
    from newsreader.library.library import Library, View

    library = Library.open(seeds_copy, data_dir)
    library.sync(workers=1)

    def titles(sort: str) -> list[str]:
        return [r.title for r in library.rows(library.rowids(View(sort=sort)))]

    newest = titles("newest")
    assert newest[0].startswith("Investigation reveals")  # 2021-06-04
    oldest = titles("oldest")
    # Dated articles oldest first; the undated page dumps last.
    assert oldest[0].startswith("The NYPD used a controversial")  # 2021-04-09
    assert {oldest[-1], oldest[-2]} == {newest[-1], newest[-2]}
    assert titles("title") == sorted(newest, key=str.casefold)
    by_source = titles("source")
    assert by_source[0].startswith("The NYPD used")  # MIT Technology Review
    assert by_source[2].startswith("Investigation reveals")  # WPIX
    library.close()


def test_a_new_ingest_version_rereads_every_file_and_marks_follow_changed_ids(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsreader.library import parsing
    from newsreader.library import sync as sync_module

    folder = tmp_path / "f"
    folder.mkdir()
    dump = "A plain page dump\n\n" + ("Words of a plain text article about gardens. " * 20)
    (folder / "dump.txt").write_text(dump)
    library = open_synced(folder, data_dir)
    (old_id,) = library.article_ids(View())
    library.set_read([old_id])
    library.set_starred([old_id])
    assert library.sync(workers=1).parsed == 0  # nothing changed, nothing read
    # A better cleaner that changes the text (and so the id of an article without a URL).
    real = parsing.load_file

    def better(path: str) -> object:
        article = real(path)
        return dataclasses.replace(article, id="f" * 16, body="cleaner")

    monkeypatch.setattr(parsing, "load_file", better)
    monkeypatch.setattr(sync_module, "INGEST_VERSION", "test-next")
    report = library.sync(workers=1)
    assert report.parsed == 1
    (new_id,) = library.article_ids(View())
    assert new_id == "f" * 16 and library.article(new_id).body == "cleaner"  # type: ignore[union-attr]
    assert library.is_read(new_id) and library.is_starred(new_id)
    assert library.sync(workers=1).parsed == 0  # the new version is recorded


def test_closing_while_a_query_runs_in_another_thread_is_safe(
    seeds_dir: Path, data_dir: Path
) -> None:
    import threading

    library = open_synced(seeds_dir, data_dir)
    started, release = threading.Event(), threading.Event()
    results: list[int] = []

    def slow_reader() -> None:
        with library._db() as conn:
            started.set()
            release.wait(5)
            results.append(conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    thread = threading.Thread(target=slow_reader)
    thread.start()
    assert started.wait(5)
    library.close()  # the app quits while a worker still holds a connection
    release.set()
    thread.join(5)
    assert results == [5]  # its query ran on a connection close() left alone


def test_first_page_counts_where_each_row_stands(seeds_copy: Path, data_dir: Path) -> None:
    # Tied dates (day = 1 + n % 9) and the seeds' undated page dumps: every tie-break counts.
    for n in range(20):
        write_article(seeds_copy / "more", f"{n:02}.txt", n=n)
    library = open_synced(seeds_copy, data_dir)
    every = library.rowids(View())
    read = library.rows(every[::3])
    library.set_read([r.id for r in read], True)
    for view in (
        View(),
        View(sort="oldest"),
        View(unread=True),
        View(sort="oldest", unread=True),
    ):
        order = library.rowids(view)
        assert len(order) > 10
        # A page of one row starts where that row stands.
        assert [library.first_page(view, r, 1) for r in order] == [
            (place, [r], len(order), False) for place, r in enumerate(order)
        ]
    assert library.first_page(View(unread=True), read[0].rowid, 1)[3]  # not in that view
    library.close()


def test_first_page_is_the_page_around_a_row(seeds_copy: Path, data_dir: Path) -> None:
    for n in range(20):
        write_article(seeds_copy / "more", f"{n:02}.txt", n=n)
    library = open_synced(seeds_copy, data_dir)
    for view in (View(), View(sort="oldest"), View(sort="title"), View(topic="AI")):
        order = library.rowids(view)
        assert library.first_page(view, None, 4) == (0, order[:4], len(order), False)
        for place in (0, 3, len(order) - 1):
            start, page, total, absent = library.first_page(view, order[place], 4)
            assert not absent
            assert page == order[start : start + 4] and total == len(order)
            if view.sort in ("newest", "oldest") and not view.topic:
                assert start == max(0, min(place - 2, len(order) - 4)) and order[place] in page
            else:
                assert start == 0  # not countable: the first page
    small = library.first_page(View(), None, 1000)
    assert small == (0, library.rowids(View()), len(library.rowids(View())), False)
    # A row the view does not hold (read, in an unread-only view): its first page, flagged.
    library.set_read([library.rows(library.rowids(View())[:1])[0].id], True)
    read = library.rowids(View())[0]
    unread = library.rowids(View(unread=True))
    assert library.first_page(View(unread=True), read, 4) == (0, unread[:4], len(unread), True)
    assert library.first_page(View(sort="title"), read, 4)[3] is False  # not countable
    library.close()


def test_the_search_index_is_merged_once_enough_has_changed(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsreader.library import sync as sync_module

    def fts_rows(library: Library) -> int:
        return int(library.conn.execute("SELECT count(*) FROM fts_data").fetchone()[0])

    counts = {}
    for after in (10, 10_000):
        monkeypatch.setattr(sync_module, "OPTIMIZE_AFTER", after)
        folder = tmp_path / f"folder-{after}"
        shutil.copytree(seeds_copy, folder)
        library = open_synced(folder, tmp_path / f"data-{after}")
        meta = "SELECT value FROM meta WHERE key = 'fts_changes'"
        assert library.conn.execute(meta).fetchone()[0] == "5"
        for n in range(6):
            write_article(folder / "more", f"{n}.txt", n=n)
        library.sync(workers=1)
        assert library.conn.execute(meta).fetchone()[0] == ("0" if after == 10 else "11")
        assert library.count(View(query="marmalade")) == 6
        counts[after] = fts_rows(library)
        library.close()
    assert counts[10] < counts[10_000]  # one merged segment against one a sync


def test_a_merge_that_finds_the_disk_full_leaves_the_sync_stored(
    seeds_copy: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsreader.library import sync as sync_module

    library = open_synced(seeds_copy, data_dir)
    monkeypatch.setattr(sync_module, "OPTIMIZE_AFTER", 1)
    real = sync_module._tidy_search_index

    def on_a_full_disk(conn: sqlite3.Connection, changed: int) -> None:
        # Room for the sync's own writes, none for a second copy of the index.
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        try:
            real(conn, changed)
        finally:
            conn.execute("PRAGMA max_page_count = 1073741823")

    monkeypatch.setattr(sync_module, "_tidy_search_index", on_a_full_disk)
    for n in range(3):
        write_article(seeds_copy / "more", f"{n}.txt", n=n)
    report = library.sync(workers=1)
    assert report.added == 3 and not library.opened.in_memory and not library.warnings
    assert library.count(View(query="marmalade")) == 3
    meta = "SELECT value FROM meta WHERE key = 'fts_changes'"
    assert library.conn.execute(meta).fetchone()[0] == "5"  # the merge did not happen
    library.close()
