"""YAML import files read straight from the C parser's events into dicts and lists, with no node tree in
between: PyYAML's loader keeps a node and two position marks per value until the end, so a 20 MB file
took about 1 GB and most of a minute. Aliases are counted as the values they repeat: an alias bomb (a
few lines that expand to billions of values) is refused at the first alias past the limit, in
milliseconds, instead of being expanded; so is a file past the values, records or nesting a file may
hold (relance.limits), at the first value past the limit. Scalars keep the safe loader's rules (null,
booleans, numbers, merge keys), except that dates stay text: an impossible date is then named by its
record and field.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml import events
from yaml.constructor import ConstructorError

from relance import limits

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str", "binary"))
STR, MERGE_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"
COLLECTION_TAGS = (None, "!", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")


class _Loader(_BaseLoader):
    """The safe loader's parser and scalar rules, without the timestamp resolver."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Open:
    """A mapping or a sequence being read: its values so far, where its own size began."""

    __slots__ = ("anchor", "event", "items", "key", "merges", "started_at")

    def __init__(self, event: events.CollectionStartEvent, started_at: int):
        self.event, self.anchor, self.started_at = event, event.anchor, started_at
        self.items: list = []
        self.key: Any = _NO_KEY
        self.merges: list[dict] = []


_NO_KEY, _MERGE = object(), object()  # no key read yet; the key `<<`


def load_yaml(text: str) -> Any:
    """The single document of `text` (None when empty); yaml.YAMLError naming the line on any problem."""
    loader = _Loader(text)
    try:
        return _Reader(loader).document()
    finally:
        loader.dispose()


class _Reader:
    def __init__(self, loader: _Loader):
        self.loader = loader
        self.values = 0  # every value read, an alias counting as all the values it repeats
        self.repeated = 0  # of which, by aliases
        self.records = 0  # mappings written in the file (an alias repeats no record of its own)
        self.anchors: dict[str, tuple[Any, int]] = {}  # name -> (value, its size in values)
        self.open_anchors: set[str] = set()

    def document(self) -> Any:
        root, documents, stack = None, 0, []
        while True:
            event = self.loader.get_event()
            if isinstance(event, events.StreamEndEvent):
                return root
            if isinstance(event, events.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise ConstructorError(None, None, "expected a single document in the file, found another",
                                           event.start_mark)
                continue
            if isinstance(event, events.StreamStartEvent | events.DocumentEndEvent):
                continue
            if isinstance(event, events.CollectionStartEvent):
                if len(stack) >= limits.MAX_FILE_DEPTH:
                    raise ConstructorError(None, None, f"lists and mappings are nested more than "
                                           f"{limits.MAX_FILE_DEPTH} deep", event.start_mark)
                stack.append(self._open(event))
                continue
            value = self._closed(stack.pop()) if isinstance(event, events.CollectionEndEvent) else self._leaf(event)
            if stack:
                _add(stack[-1], value, event)
            else:
                root = value

    def _open(self, event: events.CollectionStartEvent) -> _Open:
        if event.tag not in COLLECTION_TAGS:
            raise ConstructorError(None, None, f"unsupported tag {event.tag!r}", event.start_mark)
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self._count(1, event)
        if isinstance(event, events.MappingStartEvent):
            self.records += 1
            if self.records > limits.MAX_FILE_RECORDS:
                raise ConstructorError(None, None, f"the file holds more than {limits.MAX_FILE_RECORDS:,} records "
                                       "(mappings): split the sync into several files", event.start_mark)
        return _Open(event, self.values)

    def _closed(self, node: _Open) -> Any:
        if isinstance(node.event, events.SequenceStartEvent):
            value: Any = node.items
        else:
            value = {}
            for merged in reversed(node.merges):  # the first merged mapping wins, the mapping's own keys over all
                value.update(merged)
            value.update(zip(node.items[::2], node.items[1::2], strict=True))
        if node.anchor is not None:
            self.open_anchors.discard(node.anchor)
            self.anchors[node.anchor] = (value, self.values - node.started_at + 1)
        return value

    def _leaf(self, event: events.Event) -> Any:
        if isinstance(event, events.AliasEvent):
            return self._repeat(event)
        tag = event.tag
        if tag in (None, "!"):
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        self._count(1, event)
        if tag == STR:
            value: Any = event.value
        elif tag == MERGE_TAG:
            value = _MERGE
        elif tag in SCALAR_TAGS:
            value = self.loader.yaml_constructors[tag](
                self.loader, yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style))
        else:
            raise ConstructorError(None, None, f"unsupported tag {tag!r}", event.start_mark)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1)
        return value

    def _repeat(self, event: events.AliasEvent) -> Any:
        if event.anchor in self.open_anchors:
            raise ConstructorError(None, None, f"the alias *{event.anchor} is inside its own anchor &{event.anchor}",
                                   event.start_mark)
        if event.anchor not in self.anchors:
            raise ConstructorError(None, None, f"unknown alias *{event.anchor}", event.start_mark)
        value, size = self.anchors[event.anchor]
        self.repeated += size
        if self.repeated > limits.MAX_ALIAS_VALUES:
            raise ConstructorError(None, None, f"aliases repeat more than {limits.MAX_ALIAS_VALUES:,} values "
                                   "(an alias bomb?)", event.start_mark)
        self._count(size, event)
        return value

    def _count(self, values: int, event: events.Event) -> None:
        self.values += values
        if self.values > limits.MAX_FILE_VALUES:
            raise ConstructorError(None, None, f"the file holds more than {limits.MAX_FILE_VALUES:,} values",
                                   event.start_mark)


def _add(parent: _Open, value: Any, event: events.Event) -> None:
    if isinstance(parent.event, events.SequenceStartEvent):
        parent.items.append(value)
    elif parent.key is _NO_KEY:
        if isinstance(value, list | dict):
            raise ConstructorError(None, None, "a mapping key must be a plain value, found a list or a mapping",
                                   event.start_mark)
        parent.key = value
    elif parent.key is _MERGE:
        merged = value if isinstance(value, list) else [value]
        if not all(isinstance(m, dict) for m in merged):
            raise ConstructorError(None, None, "a merge key (<<) takes a mapping or a list of mappings",
                                   event.start_mark)
        parent.merges += merged
        parent.key = _NO_KEY
    else:
        parent.items += (parent.key, value)
        parent.key = _NO_KEY
