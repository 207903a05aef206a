"""Score body cleaning on the readability-pages corpus: precision, recall, F1, ms per page.

Two paths are scored, each beside a baseline measured in the same run:

* HTML path: the page saved as a file and read by the whole loader, exactly the body that
  ``newsreader show --json --text`` prints, against html2text alone and against the same
  loader with trafilatura's body only (no second opinion from readability and resiliparse:
  the pipeline before ingest/extractors.py).
* Text path: the page first flattened to a plain-text dump with html2text (no links, no images),
  then read by the whole loader as ``show`` reads it (most such dumps have ``#`` headings, so
  they are Markdown files to it, which go through the same dump classifier), against the dump
  left uncleaned; as if load.py refused only a file with no words (not one under 20: emulated);
  and the classifier alone, ``to_text(clean(dump, "text"))``.

Times are per page, one thread: the wall-clock median, and the CPU time (time.process_time)
mean and 95th percentile, which the machine's other load inflates far less.

Every row also gives the F1 of the even- and odd-numbered pages apart: tune on one, check the
other, to see whether a change generalises. ``--stages`` adds where the HTML path's CPU time
goes, stage by stage (each stage's own time, without the stages it calls).

Run:  PYTHONPATH=src python benchmarks/bench_clean.py [--sample N] [--only html|text] [--dump DIR]
      [--stages]
The corpus and scorer live in ../shared beside the repository and are never copied into it.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import html2text
import trafilatura

from newsreader.ingest import clean as clean_module
from newsreader.ingest import extractors, load, textdump
from newsreader.ingest.clean import clean, text_title, to_text
from newsreader.ingest.load import load_bytes
from newsreader.ingest.sanitize import clean_text
from newsreader.model import Article, Problem

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpora" / "readability-pages"
SCORER = SHARED / "tools" / "score_bodies.py"


def load_scorer() -> ModuleType:
    """Import score_bodies.py from the shared tools folder."""
    spec = importlib.util.spec_from_file_location("score_bodies", SCORER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def text_dump(html: str) -> str:
    """What a "save page as text" tool would give: html2text without links or images."""
    conv = html2text.HTML2Text()
    conv.ignore_links = True
    conv.ignore_images = True
    conv.body_width = 0
    return conv.handle(html)


def load_pages(sample: int) -> dict[str, str]:
    """{page name: source HTML}; every page, or an evenly spread sample of ``sample`` pages."""
    names = sorted(p.name for p in CORPUS.iterdir() if (p / "source.html.gz").exists())
    if sample:
        step = max(1, len(names) // sample)
        names = names[::step][:sample]
    return {
        n: gzip.open(CORPUS / n / "source.html.gz").read().decode("utf-8", "replace") for n in names
    }


def as_shown(raw: str, name: str = "page.html") -> str:
    """The body ``newsreader show --json --text`` prints for ``raw`` saved as a file: the whole
    loader (decoding, kind detection, title, cleaning, sanitising), then ``to_text``. A file the
    loader refuses (under 20 words of text) scores as an empty body."""
    article = load_bytes(raw.encode("utf-8"), name)
    return clean_module.to_text(article.body) if isinstance(article, Article) else ""


def any_words(dump: str) -> str:
    """``as_shown`` of a text file as if ingest/load.py refused only a file with no words,
    not one under 20 words (parse_text's rule; emulated here, load.py is not changed): the
    refused file goes on through the rest of parse_text."""
    article = load_bytes(dump.encode("utf-8"), "dump.txt")
    if isinstance(article, Problem) and article.reason.endswith("too little text"):
        text = load._BLANK_RUN.sub(" " * load.MAX_BLANK_RUN, clean_text(dump))
        if text.split():
            title = text_title(text[: load.MAX_TITLE_SCAN]) or load._first_line_title(text)
            body = clean(text[: load.MAX_DUMP], "text", title=title)
            article = load._finish("dump.txt", "text", title, body)
    return to_text(article.body) if isinstance(article, Article) else ""


def trafilatura_only(raw: str) -> str:
    """``as_shown`` with the second opinion switched off: trafilatura's body is always kept,
    and a short one always gives way to the whole-page fallback."""
    saved = extractors.choose, extractors.closer
    extractors.choose = lambda body, *_args, **_kwargs: body
    extractors.closer = lambda _body, other, *_args: other
    try:
        return as_shown(raw)
    finally:
        extractors.choose, extractors.closer = saved


def run(inputs: dict[str, str], fn: Callable[[str], str]) -> tuple[dict[str, str], list[float]]:
    """Apply ``fn`` to every input single-threaded; return outputs and the wall median, CPU
    mean and CPU 95th percentile in ms per page. CPU time (this process only) is what the
    page costs; wall time also counts whatever else the machine is running."""
    out, wall, cpu = {}, [], []
    for name, raw in inputs.items():
        w0, c0 = time.perf_counter(), time.process_time()
        out[name] = fn(raw)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    cpu.sort()
    p95 = cpu[min(len(cpu) - 1, int(0.95 * len(cpu)))]
    return out, [statistics.median(wall), statistics.mean(cpu), p95]


#: The HTML path's stages: (module, function, label). A stage's time leaves out the time of
#: the stages it calls; "loader and the rest" is all that no other stage covers.
STAGES = [
    (clean_module, "_parse", "parse (lxml)"),
    (clean_module, "_tree_date", "date (htmldate)"),
    (clean_module, "_prune", "prune"),
    (trafilatura, "bare_extraction", "trafilatura"),
    (clean_module, "_as_html", "trafilatura XML -> HTML"),
    (clean_module, "_html2md", "HTML -> Markdown (html2text)"),
    (extractors, "main_text", "referee (resiliparse)"),
    (extractors, "shingles", "shingles"),
    (extractors, "readability_html", "readability"),
    (textdump, "extract", "whole-page fallback"),
    (clean_module, "to_text", "to_text"),
]


def stage_split(pages: dict[str, str]) -> list[tuple[str, float, int]]:
    """(label, CPU ms a page, calls) of each stage of ``as_shown`` over ``pages``, most first."""
    spent: dict[str, float] = collections.defaultdict(float)
    calls: dict[str, int] = collections.defaultdict(int)
    inner: list[float] = []  # per open stage: the time of the stages it called

    def timed(label: str, fn: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object, **kwargs: object) -> object:
            start = time.process_time()
            inner.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                took, nested = time.process_time() - start, inner.pop()
                spent[label] += took - nested
                calls[label] += 1
                if inner:
                    inner[-1] += took

        return wrapper

    saved = [(module, name, getattr(module, name)) for module, name, _ in STAGES]
    for module, name, label in STAGES:
        setattr(module, name, timed(label, getattr(module, name)))
    shown = timed("loader and the rest", as_shown)
    try:
        for raw in pages.values():
            shown(raw)
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)
    n = len(pages)
    ranked = sorted(spent.items(), key=lambda item: -item[1])
    return [(label, seconds * 1000 / n, calls[label]) for label, seconds in ranked]


def main() -> None:
    """Print the figures of every path and baseline."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=0, help="score only N pages (0 = all)")
    ap.add_argument("--only", choices=("html", "text"), help="score one path only")
    ap.add_argument("--dump", type=Path, help="write each path's outputs as JSON to this folder")
    ap.add_argument("--halves", action="store_true", help="(always on now; kept for old scripts)")
    ap.add_argument("--stages", action="store_true", help="the HTML path's CPU split by stage")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found: {CORPUS}")
    scorer = load_scorer()
    pages = load_pages(args.sample)
    gold = {n: t for n, t in scorer.reference(str(CORPUS)).items() if n in pages}
    dumps = {n: text_dump(h) for n, h in pages.items()}

    rows: list[tuple[str, dict[str, str], Callable[[str], str]]] = []
    if args.only != "text":
        rows += [
            ("html2text alone (baseline)", pages, text_dump),
            ("trafilatura only (baseline)", pages, trafilatura_only),
            ("HTML path", pages, as_shown),
        ]
    if args.only != "html":
        rows += [
            ("text dump uncleaned (baseline)", dumps, lambda d: d),
            ("text path", dumps, lambda d: as_shown(d, "dump.txt")),
            ("  refusing only 0 words", dumps, any_words),
            ("  the dump classifier alone", dumps, lambda d: to_text(clean(d, "text"))),
        ]
    print(f"{len(pages)} pages from {CORPUS}; load average {os.getloadavg()[0]:.2f}")
    print(
        f"{'':32} {'P':>6} {'R':>6} {'F1':>6}   ms: {'wall med':>8} {'CPU mean':>8} {'CPU p95':>7}"
    )
    for label, inputs, fn in rows:
        out, (wall, cpu, p95) = run(inputs, fn)
        p, r, f1 = scorer.score(gold, out)
        print(f"{label:32} {p:6.3f} {r:6.3f} {f1:6.3f}       {wall:8.1f} {cpu:8.1f} {p95:7.1f}")
        names = sorted(gold)
        for half, subset in (("even", names[::2]), ("odd", names[1::2])):
            hp, hr, hf1 = scorer.score({n: gold[n] for n in subset}, out)
            print(f"{'  ' + half + ' pages':32} {hp:6.3f} {hr:6.3f} {hf1:6.3f}")
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            slug = label.split(" (")[0].replace(" ", "_")
            (args.dump / f"{slug}.json").write_text(json.dumps(out, indent=1))

    if args.stages and args.only != "text":
        print("\nHTML path, CPU ms a page by stage (each without the stages it calls):")
        for label, ms, count in stage_split(pages):
            print(f"  {label:30} {ms:7.2f}   {count:5} calls")


if __name__ == "__main__":
    main()
