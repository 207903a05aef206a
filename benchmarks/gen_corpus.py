"""Write a synthetic folder of N articles shaped like the seeds, for the library benchmark.

Most files are YAML front matter like seeds 000, 001 and 004 (related links pointing at other
generated articles and outside, AMP URLs, provider, topics, images), some with an HTML or a
Markdown body; the rest are plain-text page dumps (seeds 002 and 003), bare Markdown and whole
HTML pages. About 1% are duplicates (the same article saved under its AMP URL, or the same page
dump twice) and a few are not articles at all (JSON, binary, empty), so ``problems`` has
something to say. Files are spread over nested subfolders. The output depends only on N and
the seed.

Run:  python benchmarks/gen_corpus.py OUT_DIR [-n 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

WORDS = (
    "police facial recognition software camera city council privacy data court judge report "
    "technology company startup search engine photo database officer commissioner mayor budget "
    "school teacher student hospital doctor nurse patient vaccine virus climate weather storm "
    "flood river bridge train subway station airport flight pilot market stock bank loan rate "
    "inflation election vote senator governor campaign law bill policy agency federal state "
    "county neighborhood street building housing rent tenant landlord museum artist music film "
    "festival game team player coach season league stadium energy solar wind battery vehicle "
    "electric robot algorithm model network cloud server security breach hacker password email "
    "phone app platform social media video image network research university scientist study "
    "results evidence investigation records request lawsuit settlement contract vendor surveillance "
    "algorithmic bias accuracy error audit oversight transparency community residents protest "
    "march rally union worker wage strike factory farm food water drought wildfire forest ocean "
    "island coast beach tourism hotel restaurant chef menu recipe garden park library archive "
    "history century memory family children parents neighbors friends volunteers charity donation"
).split()
TOPICS = [
    "AI",
    "Computer Vision",
    "Privacy",
    "Policing",
    "Politics",
    "Climate",
    "Health",
    "Business",
    "Sports",
    "Culture",
    "Science",
    "Transport",
    "Housing",
    "Education",
    "Security",
    "Energy",
]
PROVIDERS = [
    ("New York Post", "nypost.com"),
    ("MIT Technology Review", "technologyreview.com"),
    ("WPIX", "pix11.com"),
    ("Techdirt", "techdirt.com"),
    ("Daily Mail", "dailymail.co.uk"),
    ("The Verge", "theverge.com"),
    ("Ars Technica", "arstechnica.com"),
    ("BBC News", "bbc.co.uk"),
    ("Reuters", "reuters.com"),
    ("The Guardian", "theguardian.com"),
    ("Wired", "wired.com"),
    ("News 12", "news12.com"),
    ("Gothamist", "gothamist.com"),
    ("Engadget", "engadget.com"),
]
#: Share of each kind, out of 1000 files.
MIX = [
    ("fm_empty", 560),
    ("fm_html", 150),
    ("fm_markdown", 80),
    ("dump", 80),
    ("markdown", 50),
    ("html", 60),
    ("dup_amp", 7),
    ("dup_text", 7),
    ("junk", 6),
]


class Corpus:
    """Deterministic article material for index ``i``."""

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.seed = seed
        rng = random.Random(seed)
        table = [kind for kind, share in MIX for _ in range(share)]
        self.kinds = [table[rng.randrange(1000)] for _ in range(n)]
        # Duplicates need an original of the right kind, earlier in the order.
        for i, kind in enumerate(self.kinds):
            if kind.startswith("dup") and i < 10:
                self.kinds[i] = "fm_empty"

    def rng(self, i: int) -> random.Random:
        return random.Random(self.seed * 1_000_003 + i)

    def url(self, i: int) -> str:
        name, domain = PROVIDERS[i % len(PROVIDERS)]
        day = 1 + i % 28
        month = 1 + (i // 28) % 12
        return f"https://{domain}/{2018 + i % 6}/{month:02d}/{day:02d}/story-{i}-{WORDS[i % len(WORDS)]}/"

    def date(self, i: int) -> str:
        return f"{2018 + i % 6}-{1 + (i // 28) % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"

    def title(self, i: int, rng: random.Random) -> str:
        words = rng.choices(WORDS, k=rng.randint(6, 12))
        return " ".join(words).capitalize() + f" {i}"

    def sentence(self, rng: random.Random) -> str:
        return " ".join(rng.choices(WORDS, k=rng.randint(8, 22))).capitalize() + "."

    def paragraph(self, rng: random.Random) -> str:
        return " ".join(self.sentence(rng) for _ in range(rng.randint(2, 5)))


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def front_matter(c: Corpus, i: int, rng: random.Random, *, url: str | None = None) -> str:
    """YAML front matter like the seeds: provider, topics, images and related links."""
    name, domain = PROVIDERS[i % len(PROVIDERS)]
    url = url or c.url(i)
    amp = url + "amp/"
    cdn = f"https://{domain.replace('.', '-')}.cdn.ampproject.org/c/s/{url.split('://', 1)[1]}amp/"
    topics = rng.sample(TOPICS, rng.randint(1, 3))
    lines = [
        "---",
        "category: news",
        f"title: {_q(c.title(i, rng))}",
        f"excerpt: {_q(c.sentence(rng) + ' ' + c.sentence(rng))}",
        f"publishedDateTime: {c.date(i)}",
        f"originalUrl: {_q(url)}",
        f"webUrl: {_q(url)}",
        f"ampWebUrl: {_q(amp)}",
        f"cdnAmpWebUrl: {_q(cdn)}",
        "type: article",
        f"quality: {rng.randint(1, 99)}",
        f"heat: {rng.randint(-1, 200)}",
        "published: true",
        "",
        "provider:",
        f"  name: {name}",
        f"  domain: {domain}",
        "",
        "topics:",
        *[f"  - {t}" for t in topics],
        "",
        "images:",
        f'  - url: "https://{domain}/wp-content/uploads/{i}.jpg?w=1200"',
        "    width: 1200",
        "    height: 800",
        "    isCached: true",
        "",
        "related:",
    ]
    targets = [rng.randrange(c.n) for _ in range(rng.randint(1, 3))]
    for j in targets:
        jname, jdomain = PROVIDERS[j % len(PROVIDERS)]
        lines += [
            f"  - title: {_q(c.title(j, c.rng(j)))}",
            f"    excerpt: {_q(c.sentence(rng))}",
            f"    publishedDateTime: {c.date(j)}",
            f"    webUrl: {_q(c.url(j))}",
            "    type: article",
            "    provider:",
            f"      name: {jname}",
            f"      domain: {jdomain}",
            f"    quality: {rng.randint(1, 99)}",
        ]
    # One link that is not in the folder.
    lines += [
        f"  - title: {_q(c.sentence(rng))}",
        f'    webUrl: "https://elsewhere.example/{rng.randrange(10**9)}"',
        "    provider:",
        "      name: Elsewhere",
        "      domain: elsewhere.example",
        "---",
    ]
    return "\n".join(lines) + "\n"


def html_body(c: Corpus, rng: random.Random) -> str:
    nav = "".join(f'<li><a href="/{w}">{w}</a></li>' for w in rng.sample(WORDS, 6))
    paras = "\n".join(f"<p>{c.paragraph(rng)}</p>" for _ in range(rng.randint(4, 10)))
    return (
        f'<div class="nav"><ul>{nav}</ul></div>\n<article>\n{paras}\n'
        f'<p>Read more on <a href="https://example.com/{rng.randrange(1000)}">our site</a>.</p>\n'
        '</article>\n<div class="share">Share this article</div>\n'
    )


def markdown_body(c: Corpus, rng: random.Random) -> str:
    parts = []
    for k in range(rng.randint(3, 8)):
        if k and k % 3 == 0:
            parts.append(f"## {c.sentence(rng)[:-1]}")
        parts.append(c.paragraph(rng))
    parts.append(f"- {c.sentence(rng)}\n- {c.sentence(rng)}")
    return "\n\n".join(parts) + "\n"


def page_dump(c: Corpus, i: int, rng: random.Random) -> str:
    title = c.title(i, rng)
    top = ["Follow us on social", "", "Latest Posts", "", "Home  /  News  /  " + title[:40], ""]
    paras = [c.paragraph(rng) for _ in range(rng.randint(4, 9))]
    tail = [
        "",
        "Share this:",
        "Twitter",
        "Facebook",
        "",
        "Add Your Comment",
        "",
        "Subscribe to our newsletter",
        "",
    ]
    return "\n".join(
        [*top, title, "", f"from the {rng.choice(WORDS)} dept", "", "\n\n".join(paras), *tail]
    )


def html_page(c: Corpus, i: int, rng: random.Random) -> str:
    name, _ = PROVIDERS[i % len(PROVIDERS)]
    title = c.title(i, rng)
    return (
        "<!DOCTYPE html>\n<html><head>\n"
        f"<title>{title} | {name}</title>\n"
        f'<meta property="og:title" content="{title}">\n'
        f'<meta property="og:site_name" content="{name}">\n'
        f'<meta property="og:description" content="{c.sentence(rng)}">\n'
        f'<meta property="article:published_time" content="{c.date(i)}">\n'
        f'<meta name="keywords" content="{", ".join(rng.sample(TOPICS, 2))}">\n'
        f'<link rel="canonical" href="{c.url(i)}">\n'
        "</head><body>\n<header><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></header>\n"
        f"<h1>{title}</h1>\n{html_body(c, rng)}"
        "<footer>Copyright. All rights reserved.</footer>\n</body></html>\n"
    )


def render(c: Corpus, i: int) -> bytes:
    """The bytes of file ``i``."""
    rng = c.rng(i)
    kind = c.kinds[i]
    if kind == "fm_empty":
        return (front_matter(c, i, rng) + "\n").encode()
    if kind == "fm_html":
        return (front_matter(c, i, rng) + "\n" + html_body(c, rng)).encode()
    if kind == "fm_markdown":
        return (front_matter(c, i, rng) + "\n" + markdown_body(c, rng)).encode()
    if kind == "dump":
        return page_dump(c, i, rng).encode()
    if kind == "markdown":
        return f"# {c.title(i, rng)}\n\n{markdown_body(c, rng)}".encode()
    if kind == "html":
        return html_page(c, i, rng).encode()
    if kind == "dup_amp":
        # The article of an earlier front-matter file, saved under its AMP address.
        j = _earlier(c, i, rng, ("fm_empty",))
        return (front_matter(c, j, c.rng(j), url=c.url(j) + "amp/") + "\n").encode()
    if kind == "dup_text":
        j = _earlier(c, i, rng, ("dump",))
        return render(c, j) if c.kinds[j] == "dump" else page_dump(c, j, c.rng(j)).encode()
    junk = rng.randrange(3)
    if junk == 0:
        return b'{"not": "an article", "n": %d}\n' % i
    if junk == 1:
        return bytes(rng.randrange(256) for _ in range(512)) + b"\x00\x00"
    return b""


def _earlier(c: Corpus, i: int, rng: random.Random, kinds: tuple[str, ...]) -> int:
    for _ in range(50):
        j = rng.randrange(i)
        if c.kinds[j] in kinds:
            return j
    return 0


def relpath(i: int) -> str:
    """Nested subfolders: 10 parts of up to 10 folders each."""
    return f"part{(i // 1000) % 10}/batch{i // 1000:03d}/{i:06d}_{(i * 2654435761) % 2**32:08x}.txt"


def generate(out: Path, n: int, seed: int = 1) -> None:
    """Write the corpus into ``out`` (which may exist; files are overwritten)."""
    corpus = Corpus(n, seed)
    made: set[str] = set()
    for i in range(n):
        path = out / relpath(i)
        parent = str(path.parent)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        with open(path, "wb") as handle:
            handle.write(render(corpus, i))


def change(out: Path, n: int, share: float = 0.01, seed: int = 1) -> list[Path]:
    """Edit ``share`` of the files in place (same article, new text); returns the paths."""
    corpus = Corpus(n, seed)
    rng = random.Random(seed + 99)
    picked = sorted(rng.sample(range(n), max(1, int(n * share))))
    changed = []
    for i in picked:
        path = out / relpath(i)
        data = render(corpus, i)
        if data.startswith(b"---") or corpus.kinds[i] in ("markdown", "dump"):
            data += b"\n\nUpdated: " + corpus.sentence(rng).encode() + b"\n"
        else:
            data += b"\n<!-- updated -->\n"
        path.write_bytes(data)
        changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    generate(args.out, args.n, args.seed)
    print(
        f"wrote {args.n} files to {args.out} in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
