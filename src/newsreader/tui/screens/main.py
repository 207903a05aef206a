"""The main screen: topic tree and article list, reader, related links, and every key's action.

A key's path: its binding (from ``commands.py``, or a widget's own for the moves) runs an
``action_*`` here or in the focused widget; the action starts a worker of ``MainState``
(``state.py``), which calls the library and posts what it found; the handler there sets a
reactive, and the widget bound to it (``data_bind``) redraws.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from textual import on, work
from textual.actions import SkipAction
from textual.app import SuspendNotSupported
from textual.notifications import SeverityLevel
from textual.widgets import Input

from newsreader import config as config_module
from newsreader import paths
from newsreader.ingest.urls import safe_url
from newsreader.model import Article, View
from newsreader.tui import external, settings
from newsreader.tui.commands import NEEDS, Command, bindings
from newsreader.tui.help import help_rows
from newsreader.tui.messages import (
    BrowserFinished,
    Notice,
    ProblemsLoaded,
    SyncFinished,
    UnreadFound,
    ViewRequest,
)
from newsreader.tui.screens import state
from newsreader.tui.screens.links import Links
from newsreader.tui.screens.modals import ChoicePrompt, HelpScreen, NumberPrompt, TextPrompt

#: Articles a list export writes at most.
MAX_EXPORT = 5000
#: Seconds the "last article" notice stands: Space held down at the end shows it once.
LAST_NOTICE = 3.0


class MainScreen(Links):
    """The reader's one screen: three panes, a search box, the status line and the footer."""

    BINDINGS = bindings()

    #: When the "last article" notice was last shown (``time.monotonic()``).
    _last_notice_at = -LAST_NOTICE

    # -- what can run -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        need = NEEDS.get(action)
        if need == "article" and self.article is None and self.articles.current is None:
            return False
        if need == "query" and not self.view.query:
            return False
        return True

    def offered(self, command: Command) -> bool:
        """Whether the palette offers a command now: it can run, and what it needs is set up.

        The key of an unconfigured command still works, to say what to configure.
        """
        if command.setting and not getattr(self.config, command.setting):
            return False
        return self.check_action(command.action, ()) is True

    def _current_id(self) -> str | None:
        """The article a key acts on: the reader's when it has focus, else the cursor's."""
        if self.focused is self.reader and self.article is not None:
            return self.article.id
        if self.articles.on_placeholder:
            return None  # a row not read yet: not the article the reader last showed
        row = self.articles.current
        return row.id if row else (self.article.id if self.article else None)

    def _still_loading(self) -> bool:
        """Say so when the list holds only its first page yet (a moment at startup)."""
        if self.articles.partial:
            self.notify("The list is still loading: try again in a moment.", timeout=3)
            return True
        return False

    # -- marks ------------------------------------------------------------------------------------

    def action_toggle_read(self) -> None:
        article_id = self._current_id()
        if article_id:
            self._stop_read_timer()
            self._marked_by_hand = article_id
            self.toggle_read(article_id)

    def action_toggle_star(self) -> None:
        article_id = self._current_id()
        if article_id:
            self.toggle_star(article_id)

    def action_mark_all_read(self) -> None:
        self.mark_all_read(self.view)

    def action_mark_below_read(self) -> None:
        row = self.articles.current
        if row is not None:
            self.mark_below_read(self.view, row.rowid)

    def action_undo_mark(self) -> None:
        if not self._undo:
            self.notify("Nothing to undo.", timeout=3)
            return
        ids, self._undo = list(self._undo), ()
        self.set_read(ids, False)
        self.notify(f"Marked {len(ids):,} unread again", timeout=3)

    # -- reading ----------------------------------------------------------------------------------

    def action_open_original(self) -> None:
        url = self.article.url or self.article.web_url if self.article else ""
        if url:
            self.open_url(url)
        else:
            self.notify("This article has no original URL.", severity="warning")

    def action_copy_url(self) -> None:
        url = self.article.url or self.article.web_url if self.article else ""
        if url:
            self.app.copy_to_clipboard(url)
            self.notify(f"Copied {url}", markup=False, timeout=3)
        else:
            self.notify("This article has no URL to copy.", severity="warning", timeout=3)

    def action_follow_link(self) -> None:
        if isinstance(self.focused, Input):
            raise SkipAction  # f typed in the search or find box is text
        links = self.reader.links
        if not links:
            self.notify("This article has no numbered links.", severity="warning")
            return

        def chosen(number: int | None) -> None:
            if number:
                self.open_url(links[number - 1][1])

        self.app.push_screen(NumberPrompt(len(links)), chosen)

    def action_page_reader(self) -> None:
        if not self.reader.at_end:
            self.reader.scroll_page_down(animate=False)
            return
        articles = self.articles
        if articles.cursor >= len(articles.rowids) - 1:
            # Space held down at the end would stack one toast per key repeat.
            if time.monotonic() - self._last_notice_at > LAST_NOTICE:
                self._last_notice_at = time.monotonic()
                self.notify("This is the last article: nothing after it.", timeout=LAST_NOTICE)
            return
        if articles.rowids[articles.cursor + 1] == 0 and self._still_loading():
            return
        self.go_to(articles.cursor + 1)

    def action_next_article(self) -> None:
        self._step(1)

    def action_prev_article(self) -> None:
        self._step(-1)

    def _step(self, direction: int) -> None:
        """J/K: the next or previous row, read or not, opened."""
        articles = self.articles
        index = articles.cursor + direction
        if not 0 <= index < len(articles.rowids):
            where = "last" if direction > 0 else "first"
            self.notify(f"This is the {where} article.", timeout=3)
            return
        if articles.rowids[index] == 0 and self._still_loading():
            return
        self.go_to(index)

    def action_next_unread(self) -> None:
        if not self._still_loading():
            self._find_unread(self.view, list(self.articles.rowids), self.articles.cursor, 1)

    def action_prev_unread(self) -> None:
        if not self._still_loading():
            self._find_unread(self.view, list(self.articles.rowids), self.articles.cursor, -1)

    @work(thread=True, exit_on_error=False, exclusive=True, group="unread")
    def _find_unread(self, view: View, rowids: list[int], cursor: int, direction: int) -> None:
        if not rowids:
            self.post_message(UnreadFound(rowids, None))
            return
        unread = set(self.library.rowids(replace(view, unread=True)))
        start = min(cursor, len(rowids) - 1)
        order: Iterable[int] = (
            range(start + 1, len(rowids)) if direction > 0 else range(start - 1, -1, -1)
        )
        found = next((index for index in order if rowids[index] in unread), None)
        if found is None:
            # Round the end to the other side, up to where the cursor is.
            around = range(0, start) if direction > 0 else range(len(rowids) - 1, start, -1)
            found = next((index for index in around if rowids[index] in unread), None)
            if found is not None:
                side = "first" if direction > 0 else "last"
                self.post_message(Notice(f"Wrapped around to the {side} unread article."))
        self.post_message(UnreadFound(rowids, found))

    def action_zoom(self) -> None:
        self.toggle_class("-zoom")
        if self.has_class("-zoom"):
            self.reader.focus()

    # -- the folder and the app -------------------------------------------------------------------

    def action_rescan(self) -> None:
        self.run_sync()

    @on(SyncFinished)
    def _refresh_reader(self, event: SyncFinished) -> None:
        """A sync that changed articles may have changed the one being read: show it anew."""
        if event.changed and self.article is not None:
            self._reload_if_changed(self.article)

    @work(thread=True, exit_on_error=False, group="refresh-reader")
    def _reload_if_changed(self, shown: Article) -> None:
        fresh = self.library.article(shown.id)
        if fresh is not None and fresh != shown:
            self.app.call_from_thread(self._reload_shown, shown.id)

    def _reload_shown(self, article_id: str) -> None:
        if self.article is not None and self.article.id == article_id:
            self.load_article(article_id)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(help_rows(self.config.keys)))

    @work(thread=True, exit_on_error=False, group="problems")
    def action_problems(self) -> None:
        self.post_message(ProblemsLoaded(self.library.problems()))

    def action_toggle_unread_only(self) -> None:
        self.load_view(ViewRequest(replace(self.view, unread=not self.view.unread), self.view_name))

    def action_save_search(self) -> None:
        query = self.view.query

        def named(name: str | None) -> None:
            if name:
                self.save_search(name, query)

        self.app.push_screen(TextPrompt("Name for this saved search:", query), named)

    def action_export(self) -> None:
        whole_list = self.focused is self.articles or self.article is None
        if whole_list and (not self.articles.rowids or self._still_loading()):
            return
        title = self.view_name if whole_list else self.article.title if self.article else ""
        from newsreader.export import free_name  # xml.sax and more: not before the first paint

        default = str(free_name(Path.cwd() / f"{_slug(title)}.md"))  # never an existing file
        rowids = list(self.articles.rowids[:MAX_EXPORT]) if whole_list else []
        article = None if whole_list else self.article
        name = self.view_name

        def chosen(path: str | None) -> None:
            if path:
                self._export(Path(path).expanduser(), rowids, article, name)

        what = (
            f"the {len(self.articles.rowids):,} articles in this list"
            if whole_list
            else "this article"
        )
        self.app.push_screen(TextPrompt(f"Save {what} as Markdown to:", default), chosen)

    @work(thread=True, exit_on_error=False, group="export")
    def _export(self, path: Path, rowids: list[int], article: Article | None, name: str) -> None:
        from newsreader.export import render, write_new

        lib = self.library
        articles = [a for r in rowids if (a := lib.article(r)) is not None] if rowids else []
        if article is not None:
            articles = [article]
        try:
            write_new(path, render(articles, "markdown", name))
        except FileExistsError:
            self.post_message(Notice(f"{path} exists: nothing was written", "warning"))
            return
        except OSError as error:
            self.post_message(Notice(f"Could not write {path}: {error}", "error"))
            return
        self.post_message(Notice(f"Saved {len(articles)} article(s) to {path}"))

    def action_view_in_pager(self) -> None:
        if self.article is None:
            return
        argv = external.pager_argv()
        # The text is read before the terminal is handed over: the pager waits on nothing.
        problem = self.hand_terminal(argv, external.article_text(self.article))
        if problem:
            self.notify(problem, severity="warning", markup=False)

    def open_url(self, url: str) -> None:
        """A text-mode browser gets the terminal (the app waits for it); any other browser is
        started in a worker without blocking (``MainState.open_url``)."""
        safe = safe_url(url)
        command = external.terminal_browser(self.config.browser) if safe else ""
        if safe is None or not command:
            super().open_url(url)
            return
        problem = self.hand_terminal(external.browser_argv(command, safe), None)
        self.post_message(BrowserFinished(safe, not problem))

    def hand_terminal(self, argv: list[str], text: str | None) -> str:
        """Run a program that needs the terminal: the app steps aside (``App.suspend``) until
        it ends, then draws itself again. What went wrong ("" when it ran)."""
        try:
            with self.app.suspend():
                problem = external.run_in_terminal(argv, text)
        except SuspendNotSupported:
            return "This terminal cannot be handed to another program."
        self.app.refresh(layout=True)
        return problem

    def action_pipe(self) -> None:
        command = self.config.pipe_command
        if not command:
            self.notify(
                "Set pipe_command in the config file first (C edits it).",
                severity="warning",
            )
            return
        if self.article is None:
            return
        if self.config.pipe_in_terminal:
            try:
                argv = shlex.split(command)
            except ValueError as error:
                self.notify(f"pipe_command cannot be read: {error}", severity="error")
                return
            problem = self.hand_terminal(argv, external.article_text(self.article))
            if problem:
                self.notify(problem, severity="warning", markup=False)
            return
        self._pipe(command, self.article)

    def action_sort(self) -> None:
        if isinstance(self.focused, Input):
            raise SkipAction  # O typed in the search box is text

        def chosen(sort: str | None) -> None:
            if sort is None or sort == self.config.sort:
                return
            self.config.sort = sort
            self.load_view(ViewRequest(self.view, self.view_name))
            label = dict(settings.SORT_CHOICES)[sort]
            if self.config.path is None:
                self.notify(f"Sorted: {label}", timeout=3)
                return
            try:
                config_module.save_setting(self.config.path, "sort", sort)
            except OSError as error:
                self.notify(f"Sorted: {label}; not saved: {error}", severity="warning")
                return
            self.notify(f"Sorted: {label} (saved in the config)", timeout=3, markup=False)

        prompt = ChoicePrompt("Order the lists by:", settings.SORT_CHOICES, self.config.sort)
        self.app.push_screen(prompt, chosen)

    def action_edit_config(self) -> None:
        path = self.config.path or paths.config_file()
        argv = settings.editor_argv()
        if not argv:
            self.notify(f"Set $EDITOR to edit {path}.", severity="warning", markup=False)
            return
        try:
            settings.ensure_file(path)
        except OSError as error:
            self.notify(f"Could not write {path}: {error}", severity="error", markup=False)
            return
        problem = self.hand_terminal([*argv, str(path)], None)
        if problem:
            self.notify(problem, severity="warning", markup=False)
            return
        changed, problems = settings.reload(self.app, self.config, path)
        self.config.path = path
        if "sort" in changed:
            self.load_view(ViewRequest(self.view, self.view_name))
        if "reader_max_width" in changed and self.article is not None:
            self.load_article(self.article.id)
        note = ("Config applied: " + ", ".join(changed)) if changed else "Config unchanged"
        if problems:
            self.notify("\n".join(problems), title=note, severity="warning", markup=False)
        else:
            self.notify(note, timeout=3, markup=False)

    @work(thread=True, exit_on_error=False, group="pipe")
    def _pipe(self, command: str, article: Article) -> None:
        """Run the pipe command on the article's text and show what it printed."""
        result = external.run_pipe(command, external.article_text(article))
        severity: SeverityLevel = "error" if result.failed else "information"
        self.post_message(Notice(result.text, severity, result.title, 10 if result.title else None))

    # -- search -----------------------------------------------------------------------------------

    def action_search(self) -> None:
        focused = self.focused
        if focused is self.reader:
            # Its own /, run now: the word typed with it must reach its prompt, not the keys
            # after it (f, a priority key, would otherwise run first).
            self.reader.action_find()
            return
        if isinstance(focused, Input) or (
            focused is not None and focused._bindings.key_to_bindings.get("slash")
        ):
            raise SkipAction  # a box takes / as text, a widget with its own / keeps it
        search = self.query_one("#search", Input)
        if self._before_search is None:
            current = self.article.id if self.article else None
            self._before_search = (self.view, self.view_name, current)
        search.add_class("-active")
        # At once, not after the queued keys (``focus()`` waits its turn): a word typed right
        # after / in one burst belongs in the box, not in the list.
        self.set_focus(search)

    @on(Input.Changed, "#search")
    def _filter(self, event: Input.Changed) -> None:
        if self._before_search is None:
            return
        view, name, _ = self._before_search
        self.load_view(
            ViewRequest(replace(view, quick=event.value), name, delay=state.PREVIEW_DELAY)
        )

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            request = ViewRequest(View(query=text), f"Search: {text}", open_first=True)
            self.load_view(replace(request, focus_list=True))

    def action_escape(self) -> None:
        if self.has_class("-zoom"):
            self.remove_class("-zoom")
            return
        if self._before_search is not None:
            view, name, article_id = self._before_search
            self._before_search = None
            search = self.query_one("#search", Input)
            search.value = ""
            search.remove_class("-active")
            self.load_view(ViewRequest(view, name, keep=article_id, focus_list=True))
            if article_id:
                self.load_article(article_id)


def _slug(text: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in slug.split("-") if part)[:60] or "export"
