"""Find the article in a plain-text page dump, among the menus, sidebars and comments around it.

A dump is what "save page as text" gives: one line per paragraph, heading, menu entry or button
label. Each line is first judged on its own (length, sentence punctuation, stop-word density in
the text's language, boilerplate phrasings, contact and link-like lines, repetition) or by its
layout (preformatted code and table rows are content, neither body nor boilerplate). The article
is then taken as the stretch of lines with the most body text in it (a maximum-sum run, where
body lines count for and boilerplate against), started at the headline when one is known, or
below a Markdown dump's one top-level heading when little body text is above it, and ended at
the first comment-section marker, or at the first "Related" / "Share this" / "Read more" style
heading that no run of body paragraphs follows. Inside that stretch only clear
boilerplate goes: losing a real paragraph costs more than keeping one stray line.

Every step is linear in the input, and each distinct line is classified once.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import justext  # type: ignore[import-untyped]  # a trafilatura dependency; has no type hints

#: Line kinds: body text; unsure; short (headings, labels, menu entries); page furniture that
#: is dropped only outside the article (menus, bylines, dates); clear boilerplate, always dropped;
#: preformatted text, table rows and number lines; short lines the page repeats (menus); headings
#: that open what follows an article ("Related", "Share this").
GOOD, NEUTRAL, SHORT, JUNK, BAD = "good", "neutral", "short", "junk", "bad"
CODE, REPEAT, MARKER = "code", "repeat", "marker"

#: Lines that read like sentences carry this many words at least.
GOOD_WORDS = 10
#: Share of stop words in a line of running text (justext uses 0.30 and 0.32).
STOP_DENSITY = 0.20
#: How much a boilerplate / short / unsure / code line counts against the article stretch.
BAD_WEIGHT = 6.0
SHORT_WEIGHT = 1.5
NEUTRAL_WEIGHT = 0.5
CODE_WEIGHT = 0.5
#: The article ends at a "Related"-style heading once this many body words are above it, unless
#: two body paragraphs in a row come within the next END_WINDOW lines (an aside, not the end).
END_MIN = 60.0
END_WINDOW = 12
#: ...and those two paragraphs hold this many words together: two short posts or teasers in a
#: row (a community feed under "Share this") are no continuation.
FOLLOW_WORDS = 40
#: A top-level heading starts the article if at most this share of its body text is above it.
HEADLINE_SHARE = 0.3
#: Kinds of line dropped between the article's start and its first paragraph.
LEAD_FURNITURE = (JUNK, REPEAT, MARKER)

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_MD_PREFIX = re.compile(r"^\s*(?:(?:#{1,6}|>|[-*+•·]|\d{1,3}[.)])\s+)+")
#: Neither part may hold a bracket of its own: with ``[^\]]*`` each ``[`` of a line of ``[``
#: scanned to its end, and a line of ``[](`` took 3 s at 96 KB.
_MD_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\([^()\n]*\)")
_SENTENCE_END = re.compile(r"[.!?。！？…:;\"”’»)]\s*$")
_SENTENCE_MARK = re.compile(r"[.!?。！？](?:\s|$)|[。！？]")
_URL = re.compile(r"https?://|www\.|\.(?:com|org|net)\b|@\w")
_PHONE = re.compile(r"(?:\+\d{1,3}[\s.-]?)?(?:\(?\d{2,4}\)?[\s.-]?){2,4}\d{2,4}")
_HTML = re.compile(r"</?(?:a|div|span|img|p|script|iframe|br|ins|table|td)\b[^<>]*>", re.I)
_PRE = re.compile(r"^(?: {4}|\t)(?!\s*(?:[-*+•]|\d{1,3}[.)])\s)")
#: Possessive: the runs of blanks meet each other, and backtracking between them is quadratic.
_TABLE_RULE = re.compile(r"^[>\s]*+\|?\s*+:?-{3,}+:?\s*+(?:\|\s*+:?-{3,}+:?\s*+)*+\|?\s*+$")
_EMPHASIS = re.compile(r"[*_`]{1,3}(?=\S)|(?<=\S)[*_`]{1,3}")
_NON_WORDS = re.compile(r"[^\w\n]+")
_NOT_LETTER = re.compile(r"[\W\d_]+")
_SEPARATOR = re.compile(r"\s[|•·▪◦‣►▸/]\s")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.]+\b")
_BYLINE = re.compile(r"^(?:by|von|par|por|di|door|av|autor|author|posted by|written by)\s+\S")
_DATE = re.compile(
    r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|"
    r"sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|"
    r"aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4})\b"
)
#: Phrasings that only page furniture uses: a line of up to ~30 words holding one is boilerplate.
#: (Patterns searched in lower-cased text, each led by one word boundary: with re.I, or a
#: boundary per branch, the regex engine tries every branch at every character, 7x slower.)
_FURNITURE = re.compile(
    r"\b(?:rate this comment|you have (?:rated|flagged) this|flag this comment|"
    r"add (?:your|a) comment|leave a (?:comment|reply)|post a comment|write a comment|"
    r"comment options|your email address will not be published|required fields are marked|"
    r"follow us\b|sign (?:in|up) (?:now|here|for|to)\b|log in to\b|"
    r"we use cookies\b|cookie (?:policy|settings|preferences)\b|accept (?:all )?cookies\b|"
    r"privacy policy|terms of (?:use|service)|all rights reserved|copyright ©|"
    r"skip to (?:main )?content\b|back to top\b|what's this\?|filed under\b|"
    r"enable javascript\b|your browser does not\b|"
    r"subscribe (?:to|now|today|for)\b|newsletter\b.{0,200}\b(?:sign|subscribe|inbox)\b|"
    r"stay in touch\b|view (?:this|it|the) (?:e-?mail|message|newsletter)|unsubscribe\b|"
    r"view (?:it )?(?:in|on) (?:your|a|the) (?:browser|web)\b|you are receiving this|"
    r"update (?:your )?(?:e-?mail )?preferences|forward (?:this|to a friend)|"
    r"manage (?:your )?subscription\b|"
    r"share (?:this|on) (?:article|story|post|facebook|twitter)\b)"
    r"|© ?\d{4}|\(opens in new window\)"
)
#: Words that mark page furniture when the line is short (menus, buttons, labels).
_FURNITURE_WORDS = re.compile(
    r"\b(?:subscribe|newsletter|sign (?:in|up)|log ?in|register|cookies?|share|tweet|email|print|"
    r"reply|report|comments?|facebook|twitter|linkedin|pinterest|whatsapp|reddit|instagram|"
    r"youtube|read more|see also|related|most (?:popular|read|viewed)|trending|advertisement|"
    r"sponsored|click here|tags?|categor(?:y|ies)|previous|next|load more|show more|"
    r"contact us|about us|latest|permalink|profile|says|menu|search|home|"
    r"commentaires?|kommentare?|comentarios?|teilen|partager|compartir|abonnieren|abonnez)\b"
)
#: A short line starting the comment section: the article has ended.
_COMMENTS_START = re.compile(
    r"^(?:\d+\s+(?:comments?|responses?|replies)|comments?|reader comments|"
    r"comments on\b.*|\d+\s+thoughts on\b.*|join the (?:conversation|discussion)|"
    r"leave a (?:comment|reply)|add (?:your|a) comment|post a comment|"
    r"kommentare?|commentaires?|comentarios?)\s*:?$",
    re.I,
)

#: A short line opening what follows an article: related stories, tags, share bars, comments.
_END_MARKER = re.compile(
    r"^(?:related(?: articles| stories| posts| content| news| coverage)?|see also|"
    r"read (?:more|next|also)|more (?:from|on|in|about|stories|news)\b.*|"
    r"you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|"
    r"recommended(?: for you| reading| stories| articles)?|most (?:popular|read|viewed|shared)|"
    r"popular (?:posts|stories|articles)|trending(?: now| stories)?|around the web|"
    r"share this(?: article| story| post| page)?|tags|topics|filed under\b.*|"
    r"latest (?:news|stories|posts|articles)|also on\b.*|"
    r"there (?:are|is) \d+ (?:comments?|responses?|replies)|comments? \(\d+\)|"
    r"(?:show|view|read|load) (?:all )?comments?(?: \(\d+\))?|"
    r"sur le même sujet|(?:à )?lire aussi|articles? (?:liés|similaires)|"
    r"mehr zum thema\b.*|weitere artikel|das könnte sie auch interessieren|"
    r"kommentare (?:lesen|anzeigen)\b.*|leia (?:mais|também)|veja também|lee también|"
    r"noticias relacionadas|artículos relacionados|te puede interesar|leggi anche|"
    r"související(?: články| zprávy)?|další zprávy|sdílet(?: článek)?|partager(?: cet article)?|"
    r"compartilhe|compartir(?: en)?|condividi|teilen|diesen artikel teilen|"
    r"responses?|replies|discussion)\s*[:.…]?$",
    re.I,
)


@dataclass(slots=True)
class _Line:
    """One non-blank line of the dump and what was judged of it."""

    index: int
    raw: str
    text: str
    words: float
    kind: str = NEUTRAL


def extract(
    text: str,
    *,
    title: str = "",
    excerpt: str = "",
    markdown: bool = False,
    whole_if_clean: bool = False,
) -> str:
    """The article part of a page dump, lines kept verbatim and paragraphs as in the input.

    ``title`` and ``excerpt`` (if known) mark where the article starts; ``markdown`` says the dump
    is html2text output, whose link syntax then counts as link text; ``whole_if_clean`` keeps
    every line of a text in which (nearly) no line reads as page furniture.
    """
    lines = _judged(text, markdown)
    if not lines:
        return ""
    if whole_if_clean and sum(ln.kind in (BAD, JUNK, REPEAT, MARKER) for ln in lines) <= 2:
        # a byline or a date line at most, no menus, share bars or comments: the file is the
        # article, and every line of it stays
        return _join(lines)
    start, end = _article_span(lines, title, excerpt)
    kept = [ln for ln in lines[start:end] if ln.kind != BAD]
    first = next((i for i, ln in enumerate(kept) if ln.kind == GOOD), None)
    if first is not None:
        # above the first paragraph, bylines, share bars and repeated labels are not the
        # article; a standfirst, a caption or a code line may be
        kept = [ln for ln in kept[:first] if ln.kind not in LEAD_FURNITURE] + kept[first:]
    if not any(ln.kind == GOOD for ln in kept):
        kept = [ln for ln in kept if ln.kind not in (JUNK, CODE, REPEAT, MARKER)]
    return _join(kept)


def _join(kept: list[_Line]) -> str:
    """Lines back into text, with a blank line wherever the input had one between them."""
    out: list[str] = []
    previous = -2
    for ln in kept:
        if out and ln.index > previous + 1:
            out.append("")
        out.append(ln.raw.rstrip())
        previous = ln.index
    return "\n".join(out)


def drop_boilerplate(text: str) -> str:
    """Every line of ``text`` except clear boilerplate (for pages that are all article, such as
    e-mail newsletters), paragraphs as in the input."""
    return _join([ln for ln in _judged(text, True) if ln.kind != BAD])


def find_title(text: str) -> str:
    """The headline of a page dump: the title-like line just before the article's first
    paragraph, preferring one the page repeats (breadcrumbs, "Comments on ..."); '' if none."""
    lines = _judged(text, False)
    if not lines:
        return ""
    start, _ = _best_run(lines)
    index = _title_index(lines, start)
    return _plain(lines[index].text) if index is not None else ""


@lru_cache(maxsize=1)
def _judged(text: str, markdown: bool, /) -> list[_Line]:
    """_judge of the text's lines, kept for the next call: a page dump is judged to find its
    headline and then again, the same text, to find its article (a fifth of its parse time).
    Nothing changes the lines once judged. Positional only: lru_cache keys ``markdown=False``
    and ``False`` apart, and the second call would miss."""
    return _judge(text.splitlines(), markdown)


def _judge(raw_lines: list[str], markdown: bool) -> list[_Line]:
    """Classify every non-blank line on its own signals (preformatted text and table rows by
    their layout). Linear in the input: each distinct line is classified once."""
    lines: list[_Line] = []
    for i, raw in enumerate(raw_lines):
        text = _plain(raw)
        if text:
            lines.append(_Line(i, raw, text, _word_count(text)))
    if not lines:
        return lines
    # the language shows best in running text; a few thousand words of it are plenty
    sample = [ln.text for ln in lines if ln.words >= GOOD_WORDS][:200]
    stop_words = _stop_words(" ".join(sample)[:30_000])
    counts = Counter(ln.text.lower() for ln in lines)
    seen: dict[str, str] = {}
    for ln in lines:
        if _PRE.match(ln.raw):
            ln.kind = CODE  # preformatted text (html2text indents <pre> by four spaces)
            continue
        kind = seen.get(ln.text)
        if kind is None:
            kind = seen[ln.text] = _classify(ln, stop_words, counts[ln.text.lower()])
        ln.kind = kind
    _mark_tables(raw_lines, lines)
    return lines


def _mark_tables(raw_lines: list[str], lines: list[_Line]) -> None:
    """Rows of Markdown tables (html2text's "a | b" lines around a "---|---" rule) are content
    like preformatted text: neither body nor boilerplate on their own."""
    by_index = {ln.index: ln for ln in lines}
    for ln in lines:
        if ln.kind != CODE or not _TABLE_RULE.match(ln.raw):
            continue
        for step in (-1, 1):
            i = ln.index + step
            while i in by_index and "|" in raw_lines[i] and not _TABLE_RULE.match(raw_lines[i]):
                by_index[i].kind = CODE
                i += step


def _plain(raw: str) -> str:
    """The words of a line without Markdown prefixes, link targets or emphasis marks."""
    text = _MD_LINK.sub(r"\1", raw) if "](" in raw else raw
    text = _MD_PREFIX.sub("", text)
    text = _EMPHASIS.sub("", text)
    return " ".join(text.split())


def _word_count(text: str) -> float:
    """Words in a line; CJK text, written without spaces, counts one word per two characters."""
    cjk = len(_CJK.findall(text))
    if not cjk:
        return len(_WORD.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + cjk / 2


def _classify(ln: _Line, stop_words: frozenset[str], repeats: int) -> str:
    """The kind of one line, judged on its own words and how often the page repeats it."""
    text = ln.text
    lower = text.lower()
    letters = len(text) - len("".join(_NOT_LETTER.findall(text)))
    if _COMMENTS_START.match(text) or ("@" in text and _EMAIL.search(text)):
        return BAD
    if "<" in text and sum(len(tag) for tag in _HTML.findall(text)) >= 0.2 * len(text):
        return BAD
    if ln.words <= 8 and _END_MARKER.match(text):
        return MARKER
    if ln.words <= 30 and _FURNITURE.search(lower):
        return BAD
    if ln.words < 8 and (_URL.search(lower) or _PHONE.search(text)):
        return BAD
    if letters < 0.5 * len(text):
        return CODE  # numbers, prices, separators, code
    if ln.words < 10 and (_FURNITURE_WORDS.search(lower) or _BYLINE.match(lower)):
        return JUNK
    if ln.words < 8 and _DATE.search(lower):
        return JUNK
    if repeats > 1 and ln.words < GOOD_WORDS:
        return REPEAT  # menu entries and labels repeated through the page
    separators = len(_SEPARATOR.findall(text))
    if separators and ln.words < 4 * separators + 3:
        return JUNK  # "Home | News | Sport" menus
    cjk = _CJK.search(text) is not None
    sentence = _SENTENCE_MARK.search(text) is not None or _SENTENCE_END.search(text) is not None
    if ln.words >= GOOD_WORDS and sentence:
        if cjk or not stop_words:
            return GOOD
        tokens = _WORD.findall(lower)
        density = sum(t in stop_words for t in tokens) / max(1, len(tokens))
        if density >= STOP_DENSITY:
            return GOOD
        return NEUTRAL
    if ln.words < 5 or len(text) < 30:
        return SHORT
    return NEUTRAL


def _article_span(lines: list[_Line], title: str, excerpt: str) -> tuple[int, int]:
    """Indexes (into ``lines``) of the first and past-the-last line of the article."""
    start, end = _best_run(lines)
    title_at = _find_line(lines, title, end) if title else _title_index(lines, start)
    if title_at is not None and title_at < end:
        start = title_at + 1
    if excerpt:
        excerpt_at = _find_line(lines, excerpt[:80], len(lines), prefix=True)
        if (
            excerpt_at is not None
            and excerpt_at < start
            and (title_at is None or excerpt_at > title_at)
        ):
            start = excerpt_at
    heading = _headline_heading(lines, start, end)
    if heading is not None:
        start = heading + 1
    first_good = next((i for i in range(start, end) if lines[i].kind == GOOD), None)
    if first_good is None:
        return 0, len(lines)  # no running text anywhere: keep all but clear boilerplate
    # the article ends where its comments begin, and with its last paragraph; a comment count
    # beside the byline or in a stats box, with most of the text still to come, is no end
    total = sum(ln.words for ln in lines[start:end] if ln.kind == GOOD)
    above = 0.0
    for i in range(first_good, end):
        if _COMMENTS_START.match(lines[i].text) and above >= max(60, total - above):
            end = i
            break
        if lines[i].kind == MARKER and above >= END_MIN and not _body_follows(lines, i + 1):
            end = i
            break
        if lines[i].kind == GOOD:
            above += lines[i].words
    while end > start and lines[end - 1].kind != GOOD:
        end -= 1
    return start, end


def _headline_heading(lines: list[_Line], start: int, end: int) -> int | None:
    """A top-level Markdown heading (``# ``, html2text's ``<h1>``) near the start of the
    stretch, with little of its body text above: the page's headline, below which the article
    begins. What comes above it is teasers, cookie notices, menus."""
    total = sum(ln.words for ln in lines[start:end] if ln.kind == GOOD)
    above = 0.0
    for i in range(start, end):
        ln = lines[i]
        if ln.raw.startswith("# "):
            if ln.kind not in (GOOD, NEUTRAL, SHORT):
                return None
            # an article that gives its sections top-level headings has no one headline
            later = any(other.raw.startswith("# ") for other in lines[i + 1 : end])
            return None if later else i
        if ln.kind == GOOD:
            above += ln.words
            if above > HEADLINE_SHARE * total:
                return None
    return None


def _body_follows(lines: list[_Line], at: int) -> bool:
    """Whether running text goes on soon after ``at``: two body paragraphs in a row, of
    FOLLOW_WORDS words together, as an article has and lists of teasers, bylines, comments and
    forum posts do not."""
    window = lines[at : at + END_WINDOW]
    return any(
        a.kind == GOOD and b.kind == GOOD and a.words + b.words >= FOLLOW_WORDS
        for a, b in pairwise(window)
    )


def _best_run(lines: list[_Line]) -> tuple[int, int]:
    """The run of lines with the largest sum of body weight (Kadane's maximum subarray)."""
    best, best_span = 0.0, (0, len(lines))
    total, run_start = 0.0, 0
    for i, ln in enumerate(lines):
        if total <= 0:
            total, run_start = 0.0, i
        total += _weight(ln)
        if total > best:
            best, best_span = total, (run_start, i + 1)
    return best_span


def _weight(ln: _Line) -> float:
    if ln.kind == GOOD:
        return ln.words
    if ln.kind in (BAD, JUNK, REPEAT, MARKER):
        return -BAD_WEIGHT
    if ln.kind == CODE:
        return -CODE_WEIGHT
    if ln.kind == SHORT:
        return -SHORT_WEIGHT
    return -NEUTRAL_WEIGHT


def _find_line(lines: list[_Line], needle: str, before: int, prefix: bool = False) -> int | None:
    """Index of the last line before ``before`` equal to (or starting with) ``needle``."""
    want = _norm(needle)
    if not want:
        return None
    for i in range(min(before, len(lines)) - 1, -1, -1):
        have = _norm(lines[i].text)
        if have == want or (
            prefix and (have.startswith(want) or want.startswith(have) and len(have) > 40)
        ):
            return i
    return None


def _title_index(lines: list[_Line], start: int) -> int | None:
    """The most headline-like line among the few before ``start`` (the article's first line)."""
    best, best_score = None, 0.0
    whole = _NON_WORDS.sub(" ", "\n".join(ln.text for ln in lines).lower())
    for i in range(max(0, start - 12), min(start + 1, len(lines))):
        ln = lines[i]
        score = _title_score(ln)
        if score <= 0:
            continue
        if whole.count(_norm(ln.text)) > 1:
            score += 2  # a headline is repeated by breadcrumbs, share bars and comment headers
        score -= 0.15 * (start - i)
        if score > best_score:
            best, best_score = i, score
    return best


def _title_score(ln: _Line) -> float:
    text = ln.text
    if ln.kind in (BAD, JUNK, CODE, REPEAT, MARKER) or not 3 <= ln.words <= 30 or len(text) > 250:
        return 0.0
    if text.endswith((".", ",", ";")) or " / " in text or "›" in text or "»" in text:
        return 0.0
    if not (text[0].isupper() or text[0].isdigit() or _CJK.match(text)):
        return 0.0
    words = text.split()
    capitalised = sum(w[:1].isupper() for w in words) / len(words)
    return 1.0 + capitalised + min(ln.words, 12) / 12


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


@lru_cache(maxsize=1)
def _stoplists() -> tuple[list[str], dict[str, int | tuple[int, ...]]]:
    """justext's languages by name, and for each of their 154,000 stop words the language
    holding it (its number) or the languages (a tuple of numbers). Sorted: justext gives a
    frozenset, whose order (so which list wins a tie) would change with the hash seed from
    one run to the next, and with it the text and id of an article. A number below 257 is
    one shared object, so this holds little more than the words: 18 MB, where a set per
    language took 41 MB in every parse worker."""
    languages = sorted(justext.get_stoplists())
    holders: dict[str, int | tuple[int, ...]] = {}
    for number, language in enumerate(languages):
        for word in frozenset(justext.get_stoplist(language)):
            held = holders.get(word)
            holders[word] = (
                number
                if held is None
                else (*held, number)
                if isinstance(held, tuple)
                else (held, number)
            )
    return languages, holders


@lru_cache(maxsize=8)
def _stoplist(language: str) -> frozenset[str]:
    return frozenset(justext.get_stoplist(language))


def _stop_words(sample: str) -> frozenset[str]:
    """The stop words of the sample's language: the justext list covering most of its words."""
    tokens = Counter(w.lower() for w in _WORD.findall(sample))
    total = sum(tokens.values())
    if total < 20:
        return frozenset()
    languages, holders = _stoplists()
    # Each word adds its count to the lists holding it: one lookup a word, where intersecting
    # the sample with each of justext's hundred lists cost a tenth of a page dump's parse.
    covered = [0] * len(languages)
    for word, count in tokens.items():
        held = holders.get(word)
        if held is None:
            continue
        for number in held if isinstance(held, tuple) else (held,):
            covered[number] += count
    best, best_share = "", 0.0
    for language, count in zip(languages, covered, strict=True):
        share = count / total
        if share > best_share:
            best, best_share = language, share
    return _stoplist(best) if best_share >= 0.15 else frozenset()
