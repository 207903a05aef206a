"""The tree's own commands: delete and rename a saved search (with a confirmation and a prompt),
and a failing feed's error said when it is chosen.

A saved search is the user's own: it lives in the state database, and nothing here replaces
one (a rename onto a taken name is refused).
"""

from __future__ import annotations

from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from newsreader.ingest.sanitize import clean_line
from newsreader.tui.messages import Notice, StateChanged, ViewRequest
from newsreader.tui.screens.feeds_worker import FeedsState
from newsreader.tui.screens.modals import TextPrompt
from newsreader.tui.widgets.topic_tree import TopicTree


class ConfirmPrompt(ModalScreen[bool]):
    """A yes-or-no question: ``y`` answers yes; ``n`` or Escape, no. The keys are the
    screen's own, so a ``y`` typed in the same burst as the key that asked is not lost."""

    DEFAULT_CSS = "ConfirmPrompt { align: center middle; }"
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm_no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question
        self._answered = False

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(Content(self.question))  # holds a name from the user: never markup
            yield Static(Content.assemble(("y", "bold"), ": yes · ", ("n", "bold"), "/Esc: no"))

    def action_answer(self, yes: bool) -> None:
        if not self._answered:  # y typed twice at once must not dismiss twice
            self._answered = True
            self.dismiss(yes)


class TreeActions(FeedsState):
    """The main screen's state, with the tree's commands."""

    @on(TopicTree.ViewChosen)
    def _say_feed_error(self, event: TopicTree.ViewChosen) -> None:
        if event.data.error:
            text = f"{event.data.name}: the last fetch failed: {event.data.error}"
            self.status(clean_line(text, 300))
            self.notify(
                event.data.error,
                title="Last fetch failed",
                severity="warning",
                timeout=10,
                markup=False,
            )

    # -- saved searches ---------------------------------------------------------------------------

    def saved_target(self) -> str | None:
        """The saved search a command acts on: the tree's highlighted one when the tree has
        focus, else the one whose list is shown."""
        tree = self.query_one(TopicTree)
        node = tree.cursor_node
        if self.focused is tree and node is not None and node.data and node.data.saved:
            return node.data.saved
        contents = self.tree_contents
        for saved in contents.saved if contents else []:
            if self.view_name == f"Search: {saved.name}" and self.view.query == saved.query:
                return saved.name
        return None

    def _no_target(self) -> None:
        self.notify(
            "Highlight a saved search in the tree (or open one) first.",
            severity="warning",
            timeout=4,
        )

    def _typing(self) -> bool:
        """A box has focus: the key is text (the commands here are priority bindings)."""
        return isinstance(self.focused, Input)

    def action_delete_search(self) -> None:
        if self._typing():
            raise SkipAction
        name = self.saved_target()
        if name is None:
            self._no_target()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete_search(name)

        question = f"Delete the saved search “{name}”? Its articles stay; only the search goes."
        self.app.push_screen(ConfirmPrompt(question), answered)

    def action_rename_search(self) -> None:
        if self._typing():
            raise SkipAction
        old = self.saved_target()
        if old is None:
            self._no_target()
            return

        def named(new: str | None) -> None:
            if new and new != old:
                self._rename_search(old, new)

        self.app.push_screen(TextPrompt(f"New name for the saved search “{old}”:", old), named)

    @work(thread=True, exit_on_error=False, group="state")
    def _delete_search(self, name: str) -> None:
        self.library.delete_search(name)
        self.post_message(StateChanged(f"Deleted the saved search “{name}”"))

    @work(thread=True, exit_on_error=False, group="state")
    def _rename_search(self, old: str, new: str) -> None:
        if not self.library.rename_search(old, new):
            self.post_message(
                Notice(
                    f"There is a saved search named “{new}” already: nothing renamed.", "warning"
                )
            )
            return
        self.app.call_from_thread(self._renamed, old, new)
        self.post_message(StateChanged(f"Renamed “{old}” to “{new}”"))

    def _renamed(self, old: str, new: str) -> None:
        """The tree's cursor and the list's title follow the new name."""
        self.query_one(TopicTree).select_next(f"Search: {new}")
        if self.view_name == f"Search: {old}":
            self.load_view(ViewRequest(self.view, f"Search: {new}"))
