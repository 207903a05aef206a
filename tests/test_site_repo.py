"""A site's repository (Jekyll-style, tests/fixtures/site_repo) lists exactly its articles: its
configuration, build file, data files, profile stubs, layout pages and JSON mirrors are skipped
as "not an article" with their reason (issue 19, items 1, 3 and 10)."""

from __future__ import annotations

from pathlib import Path

from newsreader.ingest.clean import to_text
from newsreader.ingest.load import load_file
from newsreader.model import Article, Problem

SITE = Path(__file__).parent / "fixtures" / "site_repo"

ARTICLES = {
    "_posts/2024-01-05-council-parks.md": "Council overspends on parks",
    "_posts/2024-01-06-dated-title.md": "2024-01-06",
    "_posts/2024-01-07-templates.md": "How we write our pages",
}
SKIPPED = {
    "_config.yml": "not an article: YAML data",
    "Gemfile": "not an article: source code",
    "_data/navigation.yml": "not an article: YAML data",
    "_data/authors.yml": "not an article: YAML data",
    "_people/jane-doe.md": "not an article: front matter with no title, body or URL",
    "index.html": "not an article: front matter with no title, body or URL",
    "api/posts/council-parks/index.json": "not an article: JSON data under front matter",
    "api/posts/dated-title/index.json": "not an article: JSON data",
}


def read_site() -> dict[str, Article | Problem]:
    return {
        str(path.relative_to(SITE)): load_file(str(path))
        for path in sorted(SITE.rglob("*"))
        if path.is_file()
    }


def test_exactly_the_articles_are_listed() -> None:
    results = read_site()
    articles = {name: r.title for name, r in results.items() if isinstance(r, Article)}
    assert articles == ARTICLES
    problems = {name: r.reason for name, r in results.items() if isinstance(r, Problem)}
    assert set(problems) == set(SKIPPED)
    for name, reason in SKIPPED.items():
        assert problems[name].startswith(reason), (name, problems[name])


def test_template_markup_leaves_bodies_and_titles() -> None:
    results = read_site()
    parks = results["_posts/2024-01-05-council-parks.md"]
    assert isinstance(parks, Article)
    assert "Residents can read it at /reports once it is out." in parks.body
    assert "{{" not in parks.body and "{%" not in parks.body and "link checked" not in parks.body
    page = results["_posts/2024-01-07-templates.md"]
    assert isinstance(page, Article)
    text = to_text(page.body)
    # the raw block's text is kept as written, the rest of the template code goes
    assert "Our pages show a headline with {{ page.title }} in the template." in text
    assert "Comments are open." in text
    assert "{%" not in text and "{can-spam}" not in text


def test_a_plain_text_article_keeps_its_headline(tmp_path: Path) -> None:
    paragraph = (
        "the committee published its findings on Thursday, concluding that the project had "
        "run over budget because of poor planning and repeated changes to its scope."
    )
    path = tmp_path / "story.txt"
    path.write_text(f"council overspends on parks\n\n{paragraph.capitalize()}\n\n{paragraph}\n")
    article = load_file(str(path))
    assert isinstance(article, Article)
    assert article.title == "council overspends on parks"
