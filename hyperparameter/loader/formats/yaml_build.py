"""YAML values built straight from parser events (no node graph), with the bounds of
DESIGN §8. The positions of values and keys, for errors, are in ``yaml_positions``."""

from __future__ import annotations

from array import array
from types import SimpleNamespace
from typing import Any

from ruamel.yaml.docinfo import DocInfo
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from ...errors import Loc
from .common import MAX_ALIAS_NODES, MAX_DEPTH, _kind
from .yaml_read import (
    _MERGE,
    _ONE_DOCUMENT,
    _PURE,
    _Constructor,
    _count_documents,
    _Fail,
    _new_yaml,
    _raise_duplicate,
    _tag_text,
)
from .yaml_scalars import _MAP, _SCALAR_TAGS, _SEQ, _STR, construct_scalar, resolve_tag

# ------------------------------------------------------------------------ YAML: fast path

# parse() builds the data straight from the parser's events: no node graph is kept (a node
# with its marks costs hundreds of bytes, a file of small scalars ~80x its size), nesting is
# checked as containers open (nothing recurses), and aliases share the object built for their
# anchor. positions() (the slow path) still composes nodes.

_CAP = MAX_ALIAS_NODES + 1  # node counts saturate here


class _Open:
    """A mapping or sequence being built from events."""

    __slots__ = (
        "added",
        "anchor",
        "ignored",
        "inner",
        "is_map",
        "item_sizes",
        "key",
        "key_at",
        "key_merge",
        "mark",
        "merge_at",
        "merge_ctx",
        "merges",
        "positions",
        "refused",
        "size",
        "sizes",
        "value",
    )

    def __init__(self, is_map: bool, mark: Any, anchor: str | None, ignored: bool) -> None:
        self.is_map = is_map
        self.mark = mark
        self.anchor = anchor
        self.ignored = ignored  # under a refused tag: nothing is built or checked
        self.refused = False  # this container's own tag is refused (it becomes None)
        self.value: Any = {} if is_map else []
        self.size = 1  # nodes with every alias expanded (saturating at _CAP)
        self.added = 0  # of those, the nodes that aliases inside it stand for
        self.inner = 0  # the height of the highest child
        self.key: Any = _NO_KEY  # a mapping's pending key
        self.key_at: Any = None
        self.key_merge = False
        # where each own key is written, packed, in insertion order (for duplicate messages)
        self.positions: array[int] | None = array("q") if is_map else None
        self.merge_ctx = False  # the value of a `<<` key (or an item of one)
        self.sizes: dict[Any, int] | None = None  # key -> 1 + value size, for merge sources
        self.item_sizes: list[dict[Any, int] | None] | None = None
        self.merges: list[tuple[dict[Any, Any], dict[Any, int] | None]] | None = None
        self.merge_at: Any = None


_NO_KEY: Any = object()


class _Anchor:
    __slots__ = ("height", "open", "size", "sizes", "value")

    def __init__(self, value: Any, size: int, height: int, sizes: Any, open: Any) -> None:
        self.value = value
        self.size = size
        self.height = height
        self.sizes = sizes
        self.open = open  # the frame still being built (an alias to it is recursive)


def _pack(mark: Any) -> int:
    return mark.line << 32 | mark.column  # type: ignore[no-any-return]


class _Builder:
    """One YAML document built from parser events: core tags only (all refused tags of the
    document listed in one error), duplicate keys named with both positions, ``<<`` merges
    (own keys win, then earlier sources), nesting checked as containers open, aliases sharing
    their anchor's object and bounded by what they stand for, one document per file."""

    def __init__(self, text: str, pure: bool | None = None) -> None:
        self.text = text
        self.pure = _PURE if pure is None else pure
        self.yaml = _new_yaml(self.pure)
        self.ctor = _Constructor(loader=self.yaml)
        self.stack: list[_Open] = []
        self.anchors: dict[str, _Anchor] = {}  # name -> its latest definition
        self.refused: list[tuple[str, Any]] = []
        self.merged = 0
        self.too_high: Any = None  # the first node nested deeper than MAX_DEPTH through aliases
        self.too_many: Any = None  # the first node whose aliases stand for too many nodes
        self.root: Any = None
        self.root_mark: Any = None
        self.documents = 0
        self.resolved: dict[str, str] = {}  # plain scalar -> its tag

    def run(self) -> Any:
        scalar_event, alias_event = ScalarEvent, AliasEvent
        starts = {MappingStartEvent: True, SequenceStartEvent: False}
        ends = (MappingEndEvent, SequenceEndEvent)
        # what YAML.parse() does first: the pure scanner records a %YAML directive there
        self.yaml.doc_infos.append(DocInfo(requested_version=None))
        _, parser = self.yaml.get_constructor_parser(self.text)
        get_event, scalar = parser.get_event, self.scalar
        try:
            while True:
                event = get_event()
                kind = type(event)
                if kind is scalar_event:
                    scalar(event)
                elif kind is StreamEndEvent:
                    return self.finish()
                else:
                    self.other(event, kind, starts, ends, alias_event)
        finally:
            parser.dispose()

    def other(self, event: Any, kind: Any, starts: Any, ends: Any, alias_event: Any) -> None:
        """Every event but a scalar."""
        if kind in starts:
            self.start(event, starts[kind])
        elif kind in ends:
            self.end()
        elif kind is alias_event:
            self.alias(event)
        elif kind is DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                message = f"{_count_documents(self.text, self.pure)} documents; {_ONE_DOCUMENT}"
                raise _Fail(message, event.start_mark)

    def finish(self) -> Any:
        if self.refused:
            self.refused.sort(key=lambda r: (r[1].line, r[1].column))
            tag, mark = self.refused[0]
            message = (
                f"unsupported tag {tag!r}: only plain YAML data is loaded; "
                "application and Python tags are refused"
            )
            if len(self.refused) > 1:
                more = ", ".join(f"{m.line + 1}:{m.column + 1} {t!r}" for t, m in self.refused[1:])
                message += f" (also refused: {more})"
            raise _Fail(message, mark)
        if self.too_high is not None:
            message = f"nesting deeper than {MAX_DEPTH:,} levels (through aliases)"
            raise _Fail(message, self.too_high)
        if self.too_many is not None:
            raise _Fail(f"alias expansion exceeds {MAX_ALIAS_NODES:,} nodes", self.too_many)
        data = self.root
        if data is not None and not isinstance(data, dict):
            raise _Fail(f"expected a mapping at the top level, got {_kind(data)}", self.root_mark)
        return data

    # -- events ----------------------------------------------------------------------------

    def scalar(self, event: Any) -> None:
        stack = self.stack
        top = stack[-1] if stack else None
        if top is not None and top.ignored:
            if event.anchor is not None:
                self.anchors[event.anchor] = _Anchor(None, 1, 0, None, None)
            return
        tag = event.tag
        value = event.value
        if tag is None or tag == "!":
            if event.implicit[0]:
                tag = self.resolved.get(value)
                if tag is None:
                    tag = self.resolve(value)
            else:
                tag = _STR
        merge = False
        if tag is _STR:
            pass
        elif tag in _SCALAR_TAGS:
            if tag != _STR:
                value = self.construct(tag, value, event)
        elif tag == _MAP:
            raise _Fail("expected a mapping, found a scalar", event.start_mark)
        elif tag == _SEQ:
            raise _Fail("expected a sequence node, but found scalar", event.start_mark)
        elif tag == _MERGE and top is not None and top.is_map and top.key is _NO_KEY:
            merge = True
        else:
            self.refused.append((_tag_text(tag), event.start_mark))
            value = None
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(value, 1, 0, None, None)
        if top is not None and not top.is_map and top.item_sizes is None:
            top.value.append(value)  # the common case, inlined
            top.size += 1
            return
        self.add(value, 1, 0, event.start_mark, False, None, merge=merge)

    def start(self, event: Any, is_map: bool) -> None:
        top = self.stack[-1] if self.stack else None
        if len(self.stack) >= MAX_DEPTH:
            raise _Fail(f"nesting deeper than {MAX_DEPTH:,} levels", event.start_mark)
        ignored = top is not None and top.ignored
        refused = False
        tag = event.tag
        if not ignored and tag is not None and tag != "!" and tag != (_MAP if is_map else _SEQ):
            found = "mapping" if is_map else "sequence"
            if tag in _SCALAR_TAGS:
                raise _Fail(f"expected a scalar node, but found {found}", event.start_mark)
            if tag == _MAP:
                raise _Fail(f"expected a mapping, found a {found}", event.start_mark)
            if tag == _SEQ:
                raise _Fail(f"expected a sequence node, but found {found}", event.start_mark)
            self.refused.append((_tag_text(tag), event.start_mark))
            ignored = refused = True
        frame = _Open(is_map, event.start_mark, event.anchor, ignored)
        frame.refused = refused
        if top is not None and not ignored:
            frame.merge_ctx = (top.is_map and top.key is not _NO_KEY and top.key_merge) or (
                not top.is_map and top.merge_ctx
            )
            if frame.merge_ctx or event.anchor is not None:
                if is_map:
                    frame.sizes = {}
                else:
                    frame.item_sizes = []
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(None, 1, 0, None, frame)
        self.stack.append(frame)

    def end(self) -> None:
        frame = self.stack.pop()
        anchor = frame.anchor
        if anchor is not None and self.anchors[anchor].open is not frame:
            # redefined inside its own node (`&x [&x 1]`): an alias refers to the definition
            # written last, the inner one
            anchor = None
        if frame.ignored:
            if anchor is not None:
                self.anchors[anchor] = _Anchor(None, 1, 0, None, None)
            if frame.refused:
                self.add(None, 1, 1, frame.mark, False, None)
            return
        value = frame.value
        if frame.merges is not None:
            value = self.merge(frame)
        frame.size = min(frame.size, _CAP)  # sizes saturate: a billion laughs stays small
        frame.added = min(frame.added, _CAP)
        height = frame.inner + 1
        if height > MAX_DEPTH and self.too_high is None:
            self.too_high = frame.mark
        if frame.added > MAX_ALIAS_NODES and self.too_many is None:
            self.too_many = frame.mark
        sizes = frame.sizes if frame.is_map else frame.item_sizes
        if anchor is not None:
            self.anchors[anchor] = _Anchor(value, frame.size, height, sizes, None)
        self.add(value, frame.size, height, frame.mark, True, sizes, added=frame.added)

    def alias(self, event: Any) -> None:
        found = self.anchors.get(event.anchor)
        if found is None:
            raise _Fail(f"found undefined alias {event.anchor!r}", event.start_mark)
        top = self.stack[-1] if self.stack else None
        if top is not None and top.ignored:
            return
        if found.open is not None:
            raise _Fail("recursive alias: the node contains itself", found.open.mark)
        container = isinstance(found.value, (dict, list))
        mark = event.start_mark
        self.add(found.value, found.size, found.height, mark, container, found.sizes, found.size)

    # -- building --------------------------------------------------------------------------

    def add(
        self,
        value: Any,
        size: int,
        height: int,
        mark: Any,
        container: bool,
        sizes: Any,
        added: int = 0,
        merge: bool = False,
    ) -> None:
        """Adds a finished node to the open container (or makes it the document)."""
        if not self.stack:
            self.root, self.root_mark = value, mark
            return
        top = self.stack[-1]
        if added:
            top.added += added
        if not top.is_map:
            top.value.append(value)
            top.size += size
            if height > top.inner:
                top.inner = height
            if top.item_sizes is not None:
                top.item_sizes.append(sizes)
            return
        if top.key is _NO_KEY:  # this node is a key
            if container:
                raise _Fail("a mapping key must be a scalar", mark)
            if merge and top.merges is not None:
                _raise_duplicate(self.loc("<<"), top.merge_at, mark)
            top.key, top.key_at, top.key_merge = value, mark, merge
            return
        key, top.key = top.key, _NO_KEY
        if top.key_merge:
            self.merge_source(top, value, sizes, height)
            return
        mapping = top.value
        if key in mapping:
            assert top.positions is not None
            packed = top.positions[list(mapping).index(key)]
            first = SimpleNamespace(line=packed >> 32, column=packed & 0xFFFF_FFFF)
            _raise_duplicate(self.loc(key), first, top.key_at)
        mapping[key] = value
        assert top.positions is not None
        top.positions.append(_pack(top.key_at))
        top.size += 1 + size
        if height > top.inner:
            top.inner = height
        if top.sizes is not None:
            top.sizes[key] = 1 + size

    def loc(self, key: Any) -> Loc:
        """The ``loc`` of ``key`` in the innermost open mapping."""
        path = [f.key if f.is_map else len(f.value) for f in self.stack[:-1]]
        return (*path, key)

    def merge_source(self, top: _Open, value: Any, sizes: Any, height: int) -> None:
        message = "a '<<' merge key needs a mapping or a list of mappings"
        if isinstance(value, dict):
            sources = [(value, sizes)]
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            sources = list(zip(value, sizes or [None] * len(value), strict=True))
            height -= 1
        else:
            raise _Fail(message, top.key_at)
        top.merges, top.merge_at = sources, top.key_at
        top.inner = max(top.inner, height - 1)

    def merge(self, frame: _Open) -> dict[Any, Any]:
        """The mapping with its `<<` sources under its own keys; earlier sources win."""
        assert frame.merges is not None
        merged: dict[Any, Any] = {}
        sizes: dict[Any, int] = {}
        for source, source_sizes in reversed(frame.merges):
            merged.update(source)
            if source_sizes is not None:
                sizes.update(source_sizes)
        self.merged += len(merged)
        if self.merged > MAX_ALIAS_NODES:
            message = f"'<<' merges expand to more than {MAX_ALIAS_NODES:,} keys"
            raise _Fail(message, frame.mark)
        frame.size += min(sum(sizes.get(k, 2) for k in merged), _CAP)
        if frame.sizes is not None:
            frame.sizes = {**sizes, **frame.sizes}
        merged.update(frame.value)
        return merged

    def resolve(self, value: str) -> str:
        """The tag of a plain scalar (cached: configs repeat their keys and small values)."""
        tag = resolve_tag(value)
        if len(value) <= 32 and len(self.resolved) < 4096:
            self.resolved[value] = tag
        return tag

    def construct(self, tag: str, value: str, event: Any) -> Any:
        return construct_scalar(self.ctor, tag, value, event)
