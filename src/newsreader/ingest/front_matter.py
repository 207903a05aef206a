"""Front matter's YAML, read safely: bounded in size, nesting and aliases before any node is
built, by yaml_rs where it reads exactly as PyYAML would, else by a forgiving PyYAML loader."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from newsreader.ingest.sanitize import clean_line

#: libyaml's safe loader where PyYAML was built with it (what python-frontmatter used to hand us).
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Front matter larger or deeper than this is refused before YAML nodes are built: PyYAML's C
#: composer recurses once per level and segfaults at tens of thousands of levels, which no
#: try/except can catch. 1 MiB holds thousands of related links; it parses in about 0.2 s.
MAX_FRONT_MATTER = 1024 * 1024
MAX_NESTING = 64
MAX_ALIASES = 64
_BRACKETS = re.compile(r"[\[\]{}]")


class BadArticle(ValueError):
    """The file looks like an article but can't be read as one; the message says why."""


def load_yaml(raw: str, first_line: int = 1, *, any_shape: bool = False) -> dict[str, Any]:
    """Parse front matter with the C safe loader, after bounding what it can be made to do.
    ``first_line`` is the file's line number of the text's first line, for error messages;
    with ``any_shape`` a list is no error either (as ``{"": list}``): a data file may be one.

    Size and nesting are first measured on the text, then exactly on libyaml's event stream
    (its parser keeps its own stack, so it is safe at any depth); only then are nodes built.
    """
    if len(raw) > MAX_FRONT_MATTER:
        raise BadArticle(f"front matter too large ({len(raw)} characters)")
    flow, lead = _text_nesting(raw)
    if max(flow, lead // 2) > MAX_NESTING:
        raise BadArticle("front matter nested too deeply")
    try:
        # The exact check costs a second parse. Without a ``*`` there is no alias, and the
        # text's brackets and indentation bound the nesting from above (each block level
        # takes at least one column, a compact sequence under a key none): most files
        # need no second look.
        if "*" in raw or flow + lead + 2 > MAX_NESTING:
            _check_events(raw)
            meta = _SLOW
        else:
            meta = _fast_yaml(raw)
        if meta is _SLOW:
            meta = yaml.load(raw, Loader=_Loader)  # noqa: S506 - a safe loader (C-accelerated)
    except yaml.YAMLError as error:
        message = str(error).strip()
        first = message.splitlines()[0] if message else type(error).__name__
        # "while scanning a quoted scalar": the context is where the broken value starts,
        # the problem where the scanner gave up, often lines later
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        where = f" (line {mark.line + first_line})" if mark is not None else ""
        raise BadArticle(f"invalid YAML front matter{where}: {clean_line(first, 120)}") from None
    if meta is None:
        return {}
    if isinstance(meta, list) and any_shape:
        return {"": meta}
    if not isinstance(meta, dict):
        raise BadArticle(f"front matter is a {type(meta).__name__}, not a mapping")
    return meta


#: What _fast_yaml returns when PyYAML must read the text.
_SLOW: Any = object()
#: Anchors, aliases and tags at a node's start, and merge keys: PyYAML reads those.
_NODE_MARK = re.compile(r"(?:^|[\s\[\]{},])[&*!]|<<", re.M)
#: A number with a leading zero (octal to YAML 1.1, decimal to 1.2) or ``0o``, if it starts
#: a scalar (see _fast_yaml: searching for the zero alone is five times faster).
_ZERO = re.compile(r"0[0-9_o]")
_SCALAR_START = frozenset(" \t\r\n[]{},")
_RESOLVERS = Resolver.yaml_implicit_resolvers
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_STAMPER = SafeConstructor()


def rust_yaml() -> Any:
    """The yaml_rs module in a process's main thread (the parse pool's workers, the CLI), else
    None: then PyYAML reads everything.

    yaml_rs (0.1.6) segfaults when it is first imported in a thread that then ends and is
    called again from a later thread: one of its thread-locals is left dangling
    (tests/test_parse_threads.py). The TUI parses only in worker threads, so it never loads it.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    return _import_rust_yaml()


@lru_cache(maxsize=1)
def _import_rust_yaml() -> Any:
    """Imported on first use: a process that parses nothing, such as the sync's writer, is 7 MB
    smaller without it."""
    try:
        import yaml_rs
    except ImportError:  # pragma: no cover - PyYAML then reads everything
        return None
    return yaml_rs


def _fast_yaml(raw: str) -> Any:
    """Front matter read by yaml_rs (Rust, several times PyYAML's speed), exactly as _Loader
    would read it, or _SLOW where it might not be: then PyYAML reads it. yaml_rs speaks YAML
    1.2, so what 1.1 reads otherwise (``yes``, ``010``, ``1:20``, ``1e3``, a date without
    seconds, a key ``1``) is screened out on the text or found on the result."""
    yaml_rs = rust_yaml()
    if yaml_rs is None:
        return _SLOW
    if "\t" in raw:  # PyYAML refuses tabs where YAML does, yaml_rs not always
        return _SLOW
    if ("&" in raw or "!" in raw or "<<" in raw) and _NODE_MARK.search(raw):
        return _SLOW
    for match in _ZERO.finditer(raw):
        at = match.start()
        if at and raw[at - 1] in "+-":
            at -= 1
        if not at or raw[at - 1] in _SCALAR_START:
            return _SLOW
    try:
        data = yaml_rs.loads(
            raw, parse_datetime=False, duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.LastWins
        )
    except Exception:  # noqa: BLE001 - PyYAML reads it again, and words any error itself
        return _SLOW
    return _as_pyyaml(data, raw)


def _as_pyyaml(value: Any, raw: str) -> Any:
    """yaml_rs's value as PyYAML's, or _SLOW if the value alone can't tell."""
    if isinstance(value, str):
        if value:
            for tag, pattern in _RESOLVERS.get(value[0], ()):
                if pattern.match(value):
                    # PyYAML types this text if it was written plain. A date is, if the text
                    # holds it as written and never quoted; anything else PyYAML decides.
                    quoted = f"'{value}" in raw or f'"{value}' in raw
                    if tag != _TIMESTAMP or quoted or value not in raw:
                        return _SLOW
                    return _timestamp(_STAMPER, yaml.ScalarNode(tag, value))
        return value
    # A string no resolver could claim, the most common value, is checked here and kept in
    # place (yaml_rs's containers are this call's own): a third of the cost of a call for each.
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return _SLOW  # PyYAML keys are the text as written: ``1``, ``true``, ``~``
            if type(item) is not str or (item and item[0] in _RESOLVERS):
                item = _as_pyyaml(item, raw)
                if item is _SLOW:
                    return _SLOW
                value[key] = item
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            if type(item) is not str or (item and item[0] in _RESOLVERS):
                item = _as_pyyaml(item, raw)
                if item is _SLOW:
                    return _SLOW
                value[index] = item
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else _SLOW
    return _SLOW  # floats (``1e3`` is text to YAML 1.1), and anything else


def _text_nesting(raw: str) -> tuple[int, int]:
    """The deepest flow-bracket nesting and the widest line lead, measured on the text alone.

    Block nesting is the run of indentation and indicators (``-``, ``?``, ``:``) that starts a
    line: ``- - - x`` and ``? ? ? x`` nest as deeply as indentation does.
    """
    depth = deepest = 0
    for match in _BRACKETS.finditer(raw):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    if _ODD_BREAK.search(raw):  # line breaks other than "\n" (splitlines knows them all)
        lead = max((len(line) - len(line.lstrip(" -?:")) for line in raw.splitlines()), default=0)
    else:
        lead = max(map(len, _LEAD.findall(raw)), default=0)
    return deepest, lead


_LEAD = re.compile(r"^[ ?:-]*", re.M)
_ODD_BREAK = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _check_events(raw: str) -> None:
    """Refuse documents nested deeper than MAX_NESTING or with more than MAX_ALIASES aliases."""
    depth = aliases = 0
    for event in yaml.parse(raw, Loader=SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise BadArticle("front matter nested too deeply")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise BadArticle("front matter uses too many YAML aliases")


class _Loader(SafeLoader):  # type: ignore[misc,valid-type]  # CSafeLoader or SafeLoader
    """The safe loader, made forgiving: one odd value must not cost the whole article.

    An impossible date (``2021-02-30``) or an integer too long for 64 bits stays a string;
    unknown tags (``!custom``, ``!!python/...``) are read as the plain data they tag, so
    nothing is ever constructed from a tag. Every mapping key is the text it was written as
    (``1``, ``true``, ``2021-01-01``, ``[1, 2]``): as Python values ``1`` and ``true`` would be
    one key, and a list none at all.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
        self.flatten_mapping(node)  # merge keys (``<<: *base``) first, as the safe loader does
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
            else:
                key = str(self.construct_object(key_node, deep=True))
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


def _timestamp(loader: SafeConstructor, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


def _int(loader: SafeConstructor, node: yaml.ScalarNode) -> Any:
    try:
        number = loader.construct_yaml_int(node)
    except ValueError:  # more than 4300 digits
        return loader.construct_scalar(node)
    return number if abs(number) < 2**63 else loader.construct_scalar(node)


def _untagged(loader: SafeConstructor, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor(None, _untagged)
