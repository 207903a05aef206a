"""Feed documents for the tests: one per format and per hostile case."""

from __future__ import annotations

import json

RSS091 = """<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
 "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old School</title><link>http://old.example/</link>
<description>d</description><language>en</language>
<item><title>First old item</title><link>http://old.example/1</link>
<description>The first item of an RSS 0.91 feed.</description></item>
<item><title>Second old item</title><link>http://old.example/2</link></item>
</channel></rss>"""

RSS20 = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Two News</title><link>https://two.example/</link>
<item><title>Koalas sleep twenty hours</title><link>https://two.example/koalas</link>
<guid isPermaLink="false">two-1</guid><pubDate>Mon, 06 Sep 2021 16:45:00 +0000</pubDate>
<description>Koalas sleep most of the day, say researchers.</description>
<content:encoded><![CDATA[<p>Koalas sleep <b>most</b> of the day, the researchers said on Monday.</p>
<p>They eat eucalyptus leaves, which hold little energy.</p>]]></content:encoded>
<category>Animals</category><category>Science</category>
<enclosure url="https://two.example/koala.jpg" type="image/jpeg" length="100"/>
<media:thumbnail url="https://two.example/koala-small.jpg"/></item>
<item><title>Second story</title><link>https://two.example/second</link><guid>two-2</guid>
<pubDate>Tue, 07 Sep 2021 08:00:00 GMT</pubDate><description>Short.</description></item>
</channel></rss>"""

RDF = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://rdf.example/"><title>RDF Site</title><link>http://rdf.example/</link>
<description>d</description></channel>
<item rdf:about="http://rdf.example/a"><title>An RDF item</title><link>http://rdf.example/a</link>
<description>Written in RSS 1.0.</description><dc:date>2021-04-11T20:51:00Z</dc:date>
<dc:subject>Semantic Web</dc:subject></item>
</rdf:RDF>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Times</title>
<link href="https://atom.example/"/><id>urn:atom</id><updated>2021-04-12T05:44:00Z</updated>
<entry><title type="html">&lt;em&gt;Atom&lt;/em&gt; entry</title>
<link rel="alternate" href="https://atom.example/e1"/><id>urn:atom:e1</id>
<updated>2021-04-12T05:44:00Z</updated><summary>The summary.</summary>
<content type="html">&lt;p&gt;The full content of the Atom entry.&lt;/p&gt;</content>
<category term="Atoms"/></entry>
</feed>"""

JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON Daily",
        "home_page_url": "https://json.example/",
        "items": [
            {
                "id": "j1",
                "url": "https://json.example/j1",
                "title": "A JSON item",
                "content_html": "<p>JSON content in HTML.</p>",
                "date_published": "2021-04-09T09:01:00Z",
                "tags": ["Data"],
                "image": "https://json.example/j1.png",
            },
            {"id": "j2", "url": "/j2", "content_text": "Only text, <not a tag>."},
        ],
    }
)


def rss(
    items: str, title: str = "Feed", prolog: str = '<?xml version="1.0" encoding="utf-8"?>'
) -> str:
    """An RSS 2.0 document around ``items``."""
    return f'{prolog}\n<rss version="2.0"><channel><title>{title}</title><link>/</link>\n{items}\n</channel></rss>'


def item(n: int, host: str = "https://gen.example", extra: str = "") -> str:
    """An ordinary item."""
    return (
        f"<item><title>Item number {n}</title><link>{host}/items/{n}</link><guid>id-{n}</guid>"
        f"<pubDate>Mon, 06 Sep 2021 16:{n % 60:02d}:00 +0000</pubDate>"
        f"<description>The body of item {n}, long enough to read as a sentence here.</description>"
        f"{extra}</item>"
    )


MISSING = rss(
    "<item><title>No guid</title><link>https://m.example/no-guid</link>"
    "<pubDate>Mon, 06 Sep 2021 16:45:00 +0000</pubDate><description>a</description></item>"
    "<item><title>No link</title><guid isPermaLink='false'>no-link</guid>"
    "<description>An item with a guid but without a link.</description></item>"
    "<item><title>No date</title><link>https://m.example/no-date</link><guid>no-date</guid></item>"
    "<item><description>Nothing but a description: no title, guid, link or date.</description></item>"
)

DUPLICATES = rss(
    "<item><title>First copy</title><link>https://d.example/1</link><guid>same</guid></item>"
    "<item><title>Second copy</title><link>https://d.example/2</link><guid>same</guid></item>"
    "<item><title>Other</title><link>https://d.example/3</link><guid>other</guid></item>"
)

RELATIVE = rss(
    "<item><title>Relative</title><link>../posts/rel.html</link><guid isPermaLink='false'>r1</guid>"
    '<description>&lt;p&gt;See &lt;a href="/about"&gt;about&lt;/a&gt; and '
    '&lt;img src="img/pic.png"&gt;&lt;/p&gt;</description></item>'
    "<item><title>Bad scheme</title><link>javascript:alert(1)</link><guid>r2</guid></item>"
)

HOSTILE_TITLES = rss(
    "<item><title>\x1b[31mRed\x1b[0m \x1b]52;c;cHduZWQ=\x07clip &lt;b&gt;bold&lt;/b&gt; "
    "[bold red]rich[/] \u202eevil</title><link>https://h.example/1</link><guid>h1</guid></item>",
    title="Feed \x1b]0;pwned\x07 [link=http://x]t[/link]",
)

LEGACY = rss(
    "<item><title>Caf\xe9 cr\xe8me \u2019quoted\u2019</title><link>https://l.example/1</link>"
    "<guid>l1</guid><description>Na\xefve r\xe9sum\xe9.</description></item>",
    title="L\xe9gacy",
    prolog='<?xml version="1.0" encoding="windows-1252"?>',
).encode("cp1252")

MALFORMED = rss(item(1) + item(2) + "<item><title>Broken & unclosed <b></title>" + item(3))

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "aaaaaaaaaa">\n'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(9))
    + ']>\n<rss version="2.0"><channel><title>Bomb</title>'
    "<item><title>&j;</title><link>https://b.example/1</link></item></channel></rss>"
)

QUADRATIC = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "'
    + "x" * 100_000
    + '">]>\n<rss version="2.0"><channel><title>Blowup</title><item><title>'
    + "&a;" * 10_000
    + "</title></item></channel></rss>"
)

HTML_PAGE = """<!doctype html><html><head><title>A blog</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/blog/feed.xml">
</head><body><p>Welcome.</p></body></html>"""

ARTICLE_PAGE = """<!doctype html><html><head><title>Saved page title - Site</title>
<meta property="og:title" content="Saved page title">
<link rel="canonical" href="https://saved.example/story">
</head><body><nav>menu menu menu</nav><article><h1>Saved page title</h1>
<p>This is the first paragraph of a saved article, with enough words to be kept as the body.</p>
<p>This is the second paragraph, which also says something worth reading later on.</p>
<p>And a third paragraph, so the extractor sees an article rather than a stub page.</p>
</article><footer>footer links</footer></body></html>"""
