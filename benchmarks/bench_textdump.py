"""Score the plain-text path page by page: which dumps lose the most, and how (precision, recall).

Each page of the readability-pages corpus is flattened to a text dump as bench_clean.py does it
(html2text, no links or images) and read by the whole loader as ``newsreader show --json --text``
reads it. Printed: F1 over all pages and over the even- and odd-numbered ones (tune on even,
check on odd), CPU ms a page (time.process_time, mean and 95th percentile), and the pages with
the worst F1, each with its precision, recall and the loader's kind for the dump.

With ``--against DIR`` the same figures of another source tree (``git archive HEAD src | tar -x
-C DIR``) are measured in the same run, in a child process, page runs interleaved: old and new
then share the machine's load.

Run:  PYTHONPATH=src python benchmarks/bench_textdump.py [--worst N] [--against DIR]
      [--show NAME]   (print the page's output beside its reference, to see what went wrong)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bench_clean import CORPUS, as_shown, load_pages, load_scorer, text_dump

from newsreader.ingest import textdump
from newsreader.ingest.load import NotAnArticle, detect_kind

WORD = re.compile(r"\w+")


def outputs(dumps: dict[str, str]) -> tuple[dict[str, str], dict[str, float]]:
    """The shown body of every dump and its CPU ms, after one warm-up page (imports)."""
    as_shown(next(iter(dumps.values())), "dump.txt")
    out, cpu = {}, {}
    for name, dump in dumps.items():
        c0 = time.process_time()
        out[name] = as_shown(dump, "dump.txt")
        cpu[name] = (time.process_time() - c0) * 1000
    return out, cpu


def summary(label: str, scorer: object, gold: dict[str, str], out: dict[str, str]) -> str:
    """One line: F1 (P/R) over all pages, the even ones and the odd ones."""
    names = sorted(gold)
    parts = []
    for subset in (names, names[::2], names[1::2]):
        p, r, f1 = scorer.score({n: gold[n] for n in subset}, out)  # type: ignore[attr-defined]
        parts.append(f"{f1:.4f} ({p:.3f}/{r:.3f})")
    return f"{label:8} all {parts[0]}  even {parts[1]}  odd {parts[2]}"


def cpu_line(label: str, cpu: dict[str, float]) -> str:
    values = sorted(cpu.values())
    p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
    return f"{label:8} CPU ms a page: mean {sum(values) / len(values):.1f}, p95 {p95:.1f}"


def page_scores(scorer: object, gold: str, pred: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of one page, as score_bodies counts them."""
    return scorer.score({"x": gold}, {"x": pred})  # type: ignore[attr-defined, no-any-return]


def print_lines(dump: str, gold: str) -> None:
    """Every judged line of a dump: its kind, whether the shown body keeps it (+), and the
    share of its 4-word shingles the reference holds (a line under 4 words: 1 if the
    reference has it, else 0)."""
    kept: list[list[int]] = []
    join = textdump._join

    def spy(lines: list[textdump._Line]) -> str:
        kept.append([ln.index for ln in lines])
        return join(lines)

    textdump._join = spy
    try:
        as_shown(dump, "dump.txt")
    finally:
        textdump._join = join
    shown = set(kept[-1]) if kept else set()
    have = _shingles(gold)
    flat = " ".join(WORD.findall(gold.lower()))
    for ln in textdump._judged(dump, False):
        tokens = WORD.findall(ln.text.lower())
        if len(tokens) >= 4:
            mine = _shingles(ln.text)
            share = len(mine & have) / len(mine)
        else:
            share = float(bool(tokens) and f" {' '.join(tokens)} " in f" {flat} ")
        mark = "+" if ln.index in shown else " "
        print(f"{ln.index:5} {ln.kind:7} {mark} {share:4.2f} {ln.words:4.0f}  {ln.text[:100]}")


def _shingles(text: str) -> set[tuple[str, ...]]:
    tokens = WORD.findall(text.lower())
    return {tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worst", type=int, default=25, help="list this many worst pages")
    ap.add_argument("--against", type=Path, help="another source tree to measure alongside")
    ap.add_argument("--show", help="print this page's output and reference")
    ap.add_argument("--lines", help="print this page's judged lines")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found: {CORPUS}")
    pages = load_pages(0)
    dumps = {n: text_dump(h) for n, h in pages.items()}
    if args.child:
        out, cpu = outputs(dumps)
        json.dump({"out": out, "cpu": cpu}, sys.stdout)
        return
    scorer = load_scorer()
    gold = scorer.reference(str(CORPUS))
    if args.show:
        print(as_shown(dumps[args.show], "dump.txt"))
        print("\n======== reference ========\n")
        print(gold[args.show])
        return
    if args.lines:
        print_lines(dumps[args.lines], gold[args.lines])
        return
    child = None
    if args.against:
        env = dict(os.environ, PYTHONPATH=str(args.against / "src"))
        command = [sys.executable, __file__, "--child"]
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    out, cpu = outputs(dumps)
    print(f"{len(pages)} pages; load average {os.getloadavg()[0]:.2f}")
    if child is not None:
        old = json.loads(child.communicate()[0])
        print(summary("before", scorer, gold, old["out"]))
        print(summary("after", scorer, gold, out))
        print(cpu_line("before", old["cpu"]))
        print(cpu_line("after", cpu))
        changed = [n for n in sorted(gold) if old["out"][n] != out[n]]
        print(f"\n{len(changed)} pages changed (F1 before -> after):")
        for n in changed:
            before, after = (
                page_scores(scorer, gold[n], old["out"][n]),
                page_scores(scorer, gold[n], out[n]),
            )
            half = "even" if sorted(gold).index(n) % 2 == 0 else "odd"
            print(f"  {n:44} {half:4} {before[2]:.3f} -> {after[2]:.3f}")
    else:
        print(summary("now", scorer, gold, out))
        print(cpu_line("now", cpu))
    rows = sorted((page_scores(scorer, gold[n], out[n]), n) for n in gold)
    rows.sort(key=lambda row: row[0][2])
    print(f"\nworst {args.worst} pages:        {'P':>6} {'R':>6} {'F1':>6}  kind      words")
    for (p, r, f1), n in rows[: args.worst]:
        try:
            kind = detect_kind(dumps[n])
        except NotAnArticle:
            kind = "refused"
        print(f"  {n:44} {p:6.3f} {r:6.3f} {f1:6.3f}  {kind:8} {len(dumps[n].split()):6}")


if __name__ == "__main__":
    main()
