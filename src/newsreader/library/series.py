"""Recurring series and boilerplate: what a daily newsletter or a site's template repeats.

A *series* is one source publishing the same title pattern on many days: "Daily Brief — March 3,
2021", "Learning of the day #412". Titles are compared after dates, weekday and month names and
numbers are taken out (:func:`pattern`); a (source, pattern) group seen on at least
:data:`SERIES_MIN_DAYS` distinct days is a series. Issues of one series are never one story:
each issue is its own day's news, however much text they share.

*Boilerplate* is a term that a group of articles repeats regardless of the news: a newsletter's
sections and footer, a template's headings, a page dump's share buttons. For each source of at least
:data:`BOILERPLATE_MIN_SOURCE` articles, and each title pattern of one source (a series, or a
template) of at least :data:`BOILERPLATE_MIN`, a term carried by at least :data:`BOILERPLATE_SHARE` of its articles is boilerplate
unless its carriers look like one event's burst: mostly dated, all within the story window. Boilerplate gets no weight when the
group's articles are signed (see :mod:`newsreader.library.signing`), so it cannot chain their
stories together.

Everything here is derived from the ``articles`` table, kept in tables of its own
(``story_titles``, ``series``, ``series_index``, ``story_boilerplate``, ``story_terms``, created
with the story tables by ``grouping.ensure_schema``), and rebuilt with the stories.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable

from newsreader.library.db import in_chunks
from newsreader.library.signing import BODY_WORDS, STORY_WINDOW_DAYS, term_counts

#: A title pattern seen on this many distinct days from one source is a series.
SERIES_MIN_DAYS = 3
#: Title patterns (series, templates) of fewer articles than this have no boilerplate: in a
#: handful of articles, a term in most of them is as likely their shared news as a template.
BOILERPLATE_MIN = 10
#: Sources need more: a small feed's running story (a strike reported on ten days of a month)
#: fills half of it with the story's names for longer than a week, and those are evidence.
BOILERPLATE_MIN_SOURCE = 50
#: Share of a group's articles that must carry a term for it to be boilerplate. A newsletter's
#: footer is in nearly every issue; a busy source's topic words (a technology site's "ai") reach
#: a third at most on real feeds, and random words of ``benchmarks/gen_corpus.py`` about 0.4.
BOILERPLATE_SHARE = 0.5
#: Articles of a group read to find its boilerplate (evenly spread over the group, by rowid):
#: a share of 0.5 is told from 0.4 at 100, and 200 cost a quarter of a 5,000-article rebuild.
BOILERPLATE_SAMPLE = 100

_MONTHS = (
    "january february march april may june july august september october november december"
    " jan feb mar apr jun jul aug sep sept oct nov dec"
)
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur"
_DATE_WORDS = frozenset((_MONTHS + " " + _WEEKDAYS).split())
_WORD = re.compile(r"[^\W\d_]+")
#: Dates and numbers as titles write them, for the clean title of a series.
_DATEISH = re.compile(
    r"\b(?:" + "|".join(sorted(_DATE_WORDS, key=len, reverse=True)) + r")\b\.?"
    r"|#?\d+(?:st|nd|rd|th)?\b",
    re.IGNORECASE,
)
#: What is left between the words once the dates are out: separators, at the ends or doubled.
_LOOSE_ENDS = re.compile(r"^[\s\W_]+|[\s\-–—:|,/·•(#]+$")
_SPACES = re.compile(r"\s+")
#: "(issue #412)", "[No. 12]": a bracket that numbers the issue goes whole.
_BRACKETED_NUMBER = re.compile(r"\([^()]*\d[^()]*\)|\[[^\[\]]*\d[^\[\]]*\]")
#: "Issue 412", "No. 12", "vol. 3": a number with its word.
_NUMBERED = re.compile(
    r"\b(?:issue|no|nr|vol|volume|edition|episode|ep|part|number)\.?\s*#?\d+\b", re.IGNORECASE
)
#: A run of separators left where a date was: one is kept.
_SEPARATORS = re.compile(r"\s*([\-–—:|,/·•])(?:\s*[\-–—:|,/·•])+\s*")
#: Template code: Liquid/Jinja tags and expressions, and their stray ends.
_TEMPLATE = re.compile(r"\{[{%#]|[%}]\}|\{\s*\"")

#: Kinds of boilerplate group: a source, and one source's title pattern (a series, or a template
#: such as a page dump's navigation line taken for a title, which has no dates to make a series).
SOURCE, TITLE = "source", "title"


def source_key(provider: str, domain: str) -> str:
    """The source an article is grouped under: its provider, else its domain (case folded)."""
    return (provider or domain).strip().casefold()


def pattern(title: str) -> str:
    """A title's words with dates, weekday and month names and numbers left out."""
    text = unicodedata.normalize("NFKD", title.casefold())
    return " ".join(w for w in _WORD.findall(text) if w not in _DATE_WORDS)


def clean_title(title: str) -> str:
    """A series' title as shown: a member's title without its date or number."""
    text = _NUMBERED.sub(" ", _BRACKETED_NUMBER.sub(" ", title))
    text = _SPACES.sub(" ", _DATEISH.sub(" ", text))
    text = _SEPARATORS.sub(lambda m: f" {m.group(1)} ", text)
    text = re.sub(r"\s+([:,])", r"\1", _SPACES.sub(" ", _LOOSE_ENDS.sub("", text.strip())))
    return text or title


def has_template(title: str) -> bool:
    """Whether a title carries template code (``{%``, ``{{``, ``}}``, ``{ "``)."""
    return _TEMPLATE.search(title) is not None


def clean_template(title: str) -> str:
    """A title without its template code: tags and expressions out, the words between kept."""
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", " ", title, flags=re.DOTALL)
    text = re.sub(r"[{}%\[\]\"]+", " ", text)
    return _SPACES.sub(" ", text).strip()


def series_id(source: str, title_pattern: str) -> str:
    """A series' id: stable as long as its source and pattern are."""
    return hashlib.blake2b(f"{source}\n{title_pattern}".encode(), digest_size=8).hexdigest()


def _title_rows(
    conn: sqlite3.Connection, rowids: Iterable[int] | None
) -> list[tuple[int, str, str, int | None]]:
    select = "SELECT rowid, title, provider, domain, published FROM articles"
    if rowids is None:
        rows = conn.execute(select).fetchall()
    else:
        rows = [
            row
            for marks, chunk in in_chunks(sorted(rowids))
            for row in conn.execute(f"{select} WHERE rowid IN ({marks})", chunk)
        ]
    return [
        (r[0], source_key(r[2], r[3]), pattern(r[1]), None if r[4] is None else r[4] // 86400)
        for r in rows
    ]


def _regroup_series(conn: sqlite3.Connection, groups: set[tuple[str, str]]) -> set[int]:
    """Recompute the series of these (source, pattern) groups; returns the rowids whose series
    changed (joined, left or moved)."""
    changed: set[int] = set()
    index_rows: list[tuple[str, str, str, int, int | None]] = []
    member_rows: list[tuple[int, str]] = []
    for source, title_pattern in sorted(groups):
        sid = series_id(source, title_pattern)
        before = {r[0] for r in conn.execute("SELECT article FROM series WHERE series = ?", (sid,))}
        conn.execute("DELETE FROM series WHERE series = ?", (sid,))
        conn.execute("DELETE FROM series_index WHERE series = ?", (sid,))
        members = conn.execute(
            "SELECT t.article, t.day, a.title, a.published FROM story_titles t"
            " JOIN articles a ON a.rowid = t.article WHERE t.source = ? AND t.pattern = ?",
            (source, title_pattern),
        ).fetchall()
        days = {day for _, day, _, _ in members if day is not None}
        now = {m[0] for m in members} if title_pattern and len(days) >= SERIES_MIN_DAYS else set()
        changed |= before ^ now
        if not now:
            continue
        member_rows += [(rowid, sid) for rowid in sorted(now)]
        # Shown: the newest member's title that is not template code, without its date.
        ordered = sorted(members, key=lambda m: (m[3] is not None, m[3] or 0, m[0]), reverse=True)
        shown = next((m[2] for m in ordered if not has_template(m[2])), title_pattern)
        newest = ordered[0][3]
        index_rows.append((sid, source, clean_title(shown), len(now), newest))
    conn.executemany("INSERT OR REPLACE INTO series(article, series) VALUES (?,?)", member_rows)
    conn.executemany(
        "INSERT OR REPLACE INTO series_index(series, source, title, size, newest)"
        " VALUES (?,?,?,?,?)",
        index_rows,
    )
    return changed


def rebuild(conn: sqlite3.Connection) -> None:
    """Fill ``story_titles`` and the series from every article (the tables are empty)."""
    rows = _title_rows(conn, None)
    conn.executemany(
        "INSERT INTO story_titles(article, source, pattern, day) VALUES (?,?,?,?)", rows
    )
    days: dict[tuple[str, str], set[int]] = defaultdict(set)
    for _, source, title_pattern, day in rows:
        if day is not None and title_pattern:
            days[source, title_pattern].add(day)
    _regroup_series(conn, {g for g, seen in days.items() if len(seen) >= SERIES_MIN_DAYS})


def refresh(conn: sqlite3.Connection, todo: set[int]) -> tuple[set[int], set[tuple[str, str]]]:
    """Bring the titles and series of the ``todo`` articles (changed, added or gone) up to date.

    Returns the rowids whose series changed and the boilerplate groups ``todo`` touched.
    """
    groups: set[tuple[str, str]] = set()
    for marks, chunk in in_chunks(sorted(todo)):
        groups.update(
            conn.execute(
                f"SELECT source, pattern FROM story_titles WHERE article IN ({marks})", chunk
            ).fetchall()
        )
        conn.execute(f"DELETE FROM story_titles WHERE article IN ({marks})", chunk)
    rows = _title_rows(conn, todo)
    conn.executemany(
        "INSERT INTO story_titles(article, source, pattern, day) VALUES (?,?,?,?)", rows
    )
    groups.update((source, title_pattern) for _, source, title_pattern, _ in rows)
    changed = _regroup_series(conn, groups)
    touched = {(SOURCE, source) for source, _ in groups}
    touched |= {(TITLE, f"{source}\x1f{title_pattern}") for source, title_pattern in groups}
    return changed, touched


def series_of(conn: sqlite3.Connection, rowids: Iterable[int]) -> dict[int, str]:
    """The series of each of these articles that is in one."""
    return {
        r[0]: r[1]
        for marks, chunk in in_chunks(sorted(rowids))
        for r in conn.execute(
            f"SELECT article, series FROM series WHERE article IN ({marks})", chunk
        )
    }


# -- boilerplate ----------------------------------------------------------------------------------


def _members(conn: sqlite3.Connection, group: tuple[str, str]) -> list[int]:
    kind, key = group
    if kind == SOURCE:
        sql = "SELECT article FROM story_titles WHERE source = ? ORDER BY article"
        return [r[0] for r in conn.execute(sql, (key,))]
    source, title_pattern = key.split("\x1f")
    if not title_pattern:
        return []
    sql = "SELECT article FROM story_titles WHERE source = ? AND pattern = ? ORDER BY article"
    return [r[0] for r in conn.execute(sql, (source, title_pattern))]


def find_boilerplate(conn: sqlite3.Connection, group: tuple[str, str]) -> set[str]:
    """The boilerplate terms of one source or series (see the module's docstring)."""
    members = _members(conn, group)
    if len(members) < (BOILERPLATE_MIN_SOURCE if group[0] == SOURCE else BOILERPLATE_MIN):
        return set()
    step = len(members) / BOILERPLATE_SAMPLE
    sample = members if step <= 1 else [members[int(k * step)] for k in range(BOILERPLATE_SAMPLE)]
    carriers: Counter[str] = Counter()
    dates: dict[str, list[int]] = defaultdict(list)
    for published, terms in _terms(conn, sample):
        carriers.update(terms)
        if published is not None:
            for term in terms:
                dates[term].append(published)
    found: set[str] = set()
    for term, count in carriers.items():
        if count < BOILERPLATE_SHARE * len(sample):
            continue
        seen = dates.get(term, [])
        # One event's burst: its reports are mostly dated, and all within the story window.
        burst = 2 * len(seen) >= count and max(seen) - min(seen) <= STORY_WINDOW_DAYS * 86400
        if not burst:
            found.add(term)
    return found


def _terms(conn: sqlite3.Connection, rowids: list[int]) -> list[tuple[int | None, list[str]]]:
    """(publication date, terms as signing counts them) of each article. The terms are kept in
    ``story_terms`` once found: a sync that changes a few articles of a source finds its
    boilerplate again from a sample of mostly unchanged articles, which need no tokenising."""
    out: list[tuple[int | None, list[str]]] = []
    missing: list[int] = []
    for marks, chunk in in_chunks(rowids):
        for rowid, published, terms in conn.execute(
            "SELECT a.rowid, a.published, t.terms FROM articles a"
            f" LEFT JOIN story_terms t ON t.article = a.rowid WHERE a.rowid IN ({marks})",
            chunk,
        ):
            if terms is None:
                missing.append(rowid)
            else:
                out.append((published, terms.split()))
    found: list[tuple[int, str]] = []
    for marks, chunk in in_chunks(missing):
        for rowid, title, excerpt, body, published in conn.execute(
            f"SELECT rowid, title, excerpt, body, published FROM articles WHERE rowid IN ({marks})",
            chunk,
        ):
            lead = " ".join(body.split(maxsplit=BODY_WORDS)[:BODY_WORDS])
            terms = list(term_counts(title, excerpt, lead))
            out.append((published, terms))
            found.append((rowid, " ".join(terms)))
    conn.executemany("INSERT OR REPLACE INTO story_terms(article, terms) VALUES (?,?)", found)
    return out


def _all_groups(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    sources = conn.execute(
        "SELECT source FROM story_titles GROUP BY source HAVING count(*) >= ?",
        (BOILERPLATE_MIN_SOURCE,),
    ).fetchall()
    titles = conn.execute(
        "SELECT source, pattern FROM story_titles WHERE pattern != '' GROUP BY source, pattern"
        " HAVING count(*) >= ?",
        (BOILERPLATE_MIN,),
    ).fetchall()
    return [(SOURCE, r[0]) for r in sources] + [(TITLE, f"{r[0]}\x1f{r[1]}") for r in titles]


def _store(conn: sqlite3.Connection, group: tuple[str, str], terms: set[str]) -> None:
    name = "\x1f".join(group)
    conn.execute("DELETE FROM story_boilerplate WHERE grp = ?", (name,))
    conn.executemany(
        "INSERT INTO story_boilerplate(grp, term) VALUES (?,?)", [(name, t) for t in sorted(terms)]
    )


def rebuild_boilerplate(conn: sqlite3.Connection) -> dict[int, frozenset[str]]:
    """Find and store every group's boilerplate; returns each affected article's terms."""
    excluded: dict[int, set[str]] = defaultdict(set)
    for group in _all_groups(conn):
        terms = find_boilerplate(conn, group)
        if terms:
            _store(conn, group, terms)
            for rowid in _members(conn, group):
                excluded[rowid] |= terms
    return {rowid: frozenset(terms) for rowid, terms in excluded.items()}


def refresh_boilerplate(conn: sqlite3.Connection, groups: set[tuple[str, str]]) -> set[int]:
    """Recompute the boilerplate of the touched groups; returns the articles whose vectors that
    changes: they must be signed again to match a rebuild."""
    resign: set[int] = set()
    for group in sorted(groups):
        name = "\x1f".join(group)
        before = {
            r[0] for r in conn.execute("SELECT term FROM story_boilerplate WHERE grp = ?", (name,))
        }
        now = find_boilerplate(conn, group)
        if now != before:
            _store(conn, group, now)
            resign |= _carriers(conn, _members(conn, group), now - before, before - now)
    return resign


def _carriers(
    conn: sqlite3.Connection, members: list[int], added: set[str], removed: set[str]
) -> set[int]:
    """The members whose vectors change when ``added`` become boilerplate and ``removed`` stop
    being it. A new boilerplate term changes a vector only if the vector holds it: a term below
    the heaviest ``signing.VECTOR_TERMS`` changes neither them nor their norm. A term that stops
    being boilerplate changes the articles that carried it (``story_dropped``)."""
    # A JSON key is the term between quotes, escaped as json.dumps escapes it.
    needles = [json.dumps(term) + ":" for term in sorted(added)]
    out: set[int] = set()
    for marks, chunk in in_chunks(members):
        for rowid, vector, dropped in conn.execute(
            "SELECT d.article, d.vector, p.terms FROM story_docs d"
            " LEFT JOIN story_dropped p ON p.article = d.article"
            f" WHERE d.article IN ({marks})",
            chunk,
        ):
            if any(needle in vector for needle in needles) or (
                dropped and not removed.isdisjoint(dropped.split())
            ):
                out.add(rowid)
    return out


def excluded_terms(conn: sqlite3.Connection, rowids: Iterable[int]) -> dict[int, frozenset[str]]:
    """The boilerplate terms each of these articles is signed without (those that have any)."""
    out: dict[int, set[str]] = defaultdict(set)
    for marks, chunk in in_chunks(sorted(rowids)):
        for rowid, term in conn.execute(
            "SELECT t.article, b.term FROM story_titles t"
            " JOIN story_boilerplate b ON b.grp = 'source' || char(31) || t.source"
            f" WHERE t.article IN ({marks})"
            " UNION SELECT t.article, b.term FROM story_titles t JOIN story_boilerplate b"
            " ON b.grp = 'title' || char(31) || t.source || char(31) || t.pattern"
            f" WHERE t.article IN ({marks})",
            [*chunk, *chunk],
        ):
            out[rowid].add(term)
    return {rowid: frozenset(terms) for rowid, terms in out.items()}


def series_list(conn: sqlite3.Connection) -> list[tuple[str, str, int, int | None]]:
    """Every series as (id, clean title, size, newest epoch), biggest and newest first."""
    return [
        (r[0], r[1], r[2], r[3])
        for r in conn.execute(
            "SELECT series, title, size, newest FROM series_index"
            " ORDER BY size DESC, newest DESC, series"
        )
    ]
