"""The topic tree: All, Unread, Starred, stories, series, feeds, topics, sources and saved
searches, with counts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from newsreader.ingest.sanitize import clean_line
from newsreader.model import Counts, View
from newsreader.tui.commands import move_bindings

MAX_NODES = 2000


#: Branches open the first time they are shown, unless they hold more than OPEN_MAX entries
#: (173 stories of a big folder would push every other branch out of sight).
OPEN = ("Stories", "Feeds", "Topics", "Saved searches")
OPEN_MAX = 20
#: Characters of a feed's last error shown in its label (the whole of it when it is chosen).
ERROR_CHARS = 40


@dataclass
class TreeData:
    """What the tree hands the screen: the view, and the name of it for the title bar."""

    view: View
    name: str
    #: The saved search this node is (its name), for delete and rename.
    saved: str = ""
    #: Why the feed this node is failed the last time it was fetched.
    error: str = ""


@dataclass(frozen=True)
class SavedCount:
    """A saved search with its counts."""

    name: str
    query: str
    total: int
    unread: int


@dataclass(frozen=True)
class FeedCount:
    """A subscribed feed: its title, the folder its items are written to, its counts and the
    last fetch's error ("" when it worked)."""

    title: str
    url: str
    folder: str
    total: int
    unread: int
    error: str = ""


@dataclass(frozen=True)
class TreeContents:
    """Everything the tree shows: totals, topics, sources, saved searches, feeds, and extra
    branches (the stories, the series) as (title, [(label, data)])."""

    totals: dict[str, int]
    topics: list[Counts]
    sources: list[Counts]
    saved: list[SavedCount]
    extra: list[tuple[str, list[tuple[str, TreeData]]]] = field(default_factory=list)
    feeds: list[FeedCount] = field(default_factory=list)


class TopicTree(Tree[TreeData]):
    """Where to look: a view per node. Labels are plain text: names come from untrusted files."""

    BINDINGS = move_bindings(
        {
            "list_down": "cursor_down",
            "list_up": "cursor_up",
            "list_first": "scroll_home",
            "list_last": "scroll_end",
            "list_page_down": "page_down",
            "list_page_up": "page_up",
        }
    )

    @dataclass
    class ViewChosen(Message):
        """A node was selected."""

        data: TreeData

    #: What the tree shows; the screen binds it (``data_bind``) and the tree rebuilds on change.
    contents: reactive[TreeContents | None] = reactive(None, always_update=True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Library", id=id)
        self.show_root = False
        self.guide_depth = 2
        #: The node the cursor goes to at the next fill (a saved search just renamed).
        self._next: str | None = None

    def process_label(self, label: str | Text) -> Text:
        text = Text(label) if isinstance(label, str) else label
        return text.split()[0] if text.plain else text

    def watch_contents(self, contents: TreeContents | None) -> None:
        if contents is not None:
            self.fill(contents)

    def nodes(self) -> Iterator[TreeNode[TreeData]]:
        """Every node below the root, branches and leaves (the tree is two levels deep)."""
        for node in self.root.children:
            yield node
            yield from node.children

    def fill(self, contents: TreeContents) -> None:
        """Rebuild the tree, keeping the expanded branches and the cursor where they were."""
        totals, topics, sources = contents.totals, contents.topics, contents.sources
        # Branches as the user left them; a branch seen for the first time as OPEN says.
        expanded = {self._key(n): n.is_expanded for n in self.root.children if n.data is None}
        selected = self._next or (self._key(self.cursor_node) if self.cursor_node else "All")
        self._next = None
        line = self.cursor_line
        self.clear()
        root = self.root
        root.add_leaf(self._label("All", totals["all"], totals["unread"]), TreeData(View(), "All"))
        root.add_leaf(
            self._label("Unread", totals["unread"]), TreeData(View(unread=True), "Unread")
        )
        root.add_leaf(
            self._label("Starred", totals["starred"]), TreeData(View(starred=True), "Starred")
        )
        groups: list[tuple[str, list[tuple[str, TreeData]]]] = [
            *contents.extra,
            ("Feeds", [self._feed(f) for f in contents.feeds]),
            (
                "Topics",
                [
                    (
                        self._label(c.name, c.total, c.unread),
                        TreeData(View(topic=c.name), f"Topic: {c.name}"),
                    )
                    for c in topics[:MAX_NODES]
                ],
            ),
            (
                "Sources",
                [
                    (
                        self._label(c.name, c.total, c.unread),
                        TreeData(View(source=c.name), f"Source: {c.name}"),
                    )
                    for c in sources[:MAX_NODES]
                ],
            ),
            (
                "Saved searches",
                [
                    (
                        self._label(s.name, s.total, s.unread),
                        TreeData(View(query=s.query), f"Search: {s.name}", saved=s.name),
                    )
                    for s in contents.saved
                ],
            ),
        ]
        for title, entries in groups:
            if not entries:
                continue
            branch = root.add(
                Text(f"{title} ({len(entries)})"),
                None,
                expand=expanded.get(
                    _branch(title), _branch(title) in OPEN and len(entries) <= OPEN_MAX
                ),
            )
            for label, data in entries:
                branch.add_leaf(label, data)
        # The lines as drawn (a node's own line is known only once the tree has drawn it).
        names = [
            self._key(node)
            for branch in root.children
            for node in (branch, *(branch.children if branch.is_expanded else ()))
        ]
        # Gone (a saved search deleted): the cursor stays on its line, not at the top.
        self.cursor_line = names.index(selected) if selected in names else line

    @staticmethod
    def _key(node: TreeNode[TreeData]) -> str:
        """What names a node across fills: its view's name, or its branch's title."""
        return node.data.name if node.data else _branch(str(node.label))

    def select_next(self, name: str) -> None:
        """Put the cursor on the node of this name when the tree is next filled."""
        self._next = name

    @classmethod
    def _feed(cls, feed: FeedCount) -> tuple[str, TreeData]:
        """A feed's leaf: title and counts, and a short warning when its last fetch failed."""
        label = cls._label(feed.title, feed.total, feed.unread)
        if feed.error:
            label += f"  ⚠ {clean_line(feed.error, ERROR_CHARS)}"
        data = TreeData(View(feed=feed.folder), f"Feed: {feed.title}", error=feed.error)
        return label, data

    @staticmethod
    def _label(name: str, total: int | None = None, unread: int | None = None) -> str:
        if total is None:
            return name
        if unread is None:
            return f"{name}  {total}"
        return f"{name}  {unread}/{total}"

    def on_tree_node_selected(self, event: Tree.NodeSelected[TreeData]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.ViewChosen(event.node.data))

    def node_named(self, name: str) -> TreeNode[TreeData] | None:
        """The node whose view has this name."""
        return next((n for n in self.nodes() if n.data and n.data.name == name), None)


def _branch(label: str) -> str:
    """A branch's title without its counts: "Stories, 1,234 in all (200)" -> "Stories"."""
    return label.split(" (")[0].split(",")[0]
