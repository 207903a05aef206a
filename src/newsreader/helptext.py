"""The command line's help: what each command does, the search syntax and examples.

Kept apart from ``cli.py`` so that the parser reads as a list of options; the man page and the
shell completions are generated from the same parser (``scripts/manpage.py``,
``newsreader completion SHELL``), so this text is the one place it is written.
"""

from __future__ import annotations

DESCRIPTION = """\
A fast, keyboard-driven terminal reader for a folder of news articles.

  newsreader DIR            open the reader on a folder (press ? in it for the keys)
  newsreader COMMAND ...    script it: list, search, export and more (below)"""

EPILOG = """\
Examples:
  newsreader ~/news                              open the reader
  newsreader list ~/news --query is:unread       what you have not read yet
  newsreader search ~/news clearview nypd        the best hits, with snippets
  newsreader export ~/news --story ID -f html -o story.html
  newsreader completion bash > ~/.local/share/bash-completion/completions/newsreader

Environment:
  NEWSREADER_CONFIG     the config file (default: config.toml in the user config dir,
                        ~/.config/newsreader on Linux; 'newsreader config --path' prints it)
  NEWSREADER_DATA_DIR   where the cache and your state live (--data-dir wins over it, and it
                        over the config file's data_dir)
  BROWSER               the browser for links, unless the config file's 'browser' is set
  NO_COLOR              a reader without colours

Exit status: 0 done, 1 failed, 2 a usage error. 'newsreader COMMAND --help' tells more."""

SEARCH_SYNTAX = """\
Search syntax:
  clearview nypd             both words (ranked by relevance)
  "internal affairs"         the phrase (quote the quotes in a shell: '"a phrase"')
  -koala                     without the word
  clearview OR koala         either
  topic:AI                   in a topic
  source:nypost              by provider name or domain
  is:unread, is:read, is:starred
                             by your state
  after:2021-04-01, before:2021-05-01
                             by publication date (also 2021-04, 2021, or a time
                             ago: after:7d, before:2w, 3m, 1y)
Anything else is searched as words: C++, AT&T or a stray " never cause an error."""

SEARCH_EPILOG = f"""\
{SEARCH_SYNTAX}

Examples:
  newsreader search ~/news clearview nypd
  newsreader search ~/news '"facial recognition"' -koala source:nypost after:2021-04-01 --json"""

QUERY_HELP = "only the articles this search finds (syntax: 'newsreader search --help')"
NO_SYNC_HELP = (
    "answer from the cache as it is, without looking for new or changed files first"
    " (for scripts that have just run 'newsreader index')"
)

#: name -> (one line for the command list, the description at the top of its --help)
COMMANDS = {
    "list": (
        "list every article in a folder, newest first",
        "List the articles of a folder, newest first (or those a query finds), one a line:\n"
        "a mark (N unread, * starred), the date, the title and the source. The folder is\n"
        "synced into the cache first.",
    ),
    "show": (
        "parse files and print them as articles",
        "Parse files as the reader would and print them: title, source, date, URL and the\n"
        "cleaned body. Nothing is cached; handy to see what a file becomes.",
    ),
    "index": (
        "sync a folder into the cache and say what changed",
        "Sync a folder into the cache (new, changed and removed files) and print what\n"
        "changed. The reader and every command do this on their own; this does only it.",
    ),
    "search": (
        "full-text search: the best hits, each with a snippet",
        "Search a folder's articles and print the best hits, best first, each with a snippet\n"
        "with the matches in [brackets].",
    ),
    "problems": (
        "files that were skipped, and why",
        "List the files of a folder that were skipped (binary, broken YAML, unreadable, too\n"
        "big...) with the reason for each, or say that there are none.",
    ),
    "stories": (
        "stories: reports of the same event, with their articles",
        "List stories, the groups of articles that report the same event, biggest and newest\n"
        "first, each with its id (for 'export --story') and its articles.",
    ),
    "export": (
        "write articles as Markdown, JSON Lines, OPML or HTML",
        "Write articles to a file or stdout: all of a folder, those a search finds, one story\n"
        "or chosen ids.",
    ),
    "config": (
        "the config file: where it is, write a default one, check it",
        "The config file (TOML): print where it is, write a commented default one, or check\n"
        "it for unknown settings, wrong values, unknown themes and binding ids.",
    ),
    "cache": (
        "the caches in the data dir: list them, remove those of vanished folders",
        "Each folder you read has a cache in the data dir (rebuildable from the folder). List\n"
        "them with their size and whether their folder still exists, or remove the caches of\n"
        "folders that are gone. Your read and starred state is never touched.",
    ),
    "completion": (
        "print a shell completion script (bash, zsh or fish)",
        "Print a completion script for your shell, generated from this command's options.\n\n"
        "  bash: newsreader completion bash > ~/.local/share/bash-completion/completions/newsreader\n"
        "  zsh:  newsreader completion zsh > ~/.zfunc/_newsreader\n"
        "        (with fpath+=(~/.zfunc); autoload -Uz compinit; compinit in ~/.zshrc)\n"
        "  fish: newsreader completion fish > ~/.config/fish/completions/newsreader.fish",
    ),
}

EXPORT_FORMAT_HELP = (
    "markdown (default): each article, its body and related links; jsonl: one JSON object a"
    " line, with the body; opml, html: a link list of the articles that have a URL"
)
