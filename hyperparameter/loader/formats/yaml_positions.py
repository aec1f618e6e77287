"""The positions of every value and key of a YAML text (the slow path of errors): the text
composed again into ruamel's node graph, ``<<`` merges followed as the builder does."""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ...errors import Loc
from .common import MAX_ALIAS_NODES, Position
from .yaml_read import _MERGE, _NULL, _Constructor, _new_yaml, _yaml_depth_guard, _yaml_run

__all__ = ["yaml_positions"]


def yaml_positions(text: str, path: str) -> dict[Loc, Position]:
    def compose(pure: bool) -> tuple[YAML, Any]:
        _yaml_depth_guard(text, pure)
        yaml = _new_yaml(pure)
        return yaml, yaml.compose(text)

    yaml, root = _yaml_run(text, path, compose)  # the parser parse() reads the text with
    if root is None:
        return {(): Position(1, 1, 1, 1)}
    keys = _Constructor(loader=yaml)
    line, col = root.start_mark.line + 1, root.start_mark.column + 1
    out: dict[Loc, Position] = {(): Position(line, col, line, col)}
    stack: list[tuple[Loc, Any]] = [((), root)]
    while stack and len(out) <= MAX_ALIAS_NODES:
        loc, node = stack.pop()
        if isinstance(node, MappingNode):
            for key, (key_node, value_node) in _effective_pairs(node, keys).items():
                child = (*loc, key)
                out[child] = _node_position(value_node, key_node)
                stack.append((child, value_node))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                child = (*loc, i)
                out[child] = _node_position(item, item)
                stack.append((child, item))
    return out


def _effective_pairs(node: Any, keys: _Constructor) -> dict[Any, tuple[Any, Any]]:
    """A mapping node's keys after ``<<`` merges (own keys win, earlier merge sources win),
    without changing the node."""
    pairs: dict[Any, tuple[Any, Any]] = {}
    own: list[tuple[Any, Any]] = []
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE:
            own.append((key_node, value_node))
            continue
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in reversed(sources):
            if isinstance(source, MappingNode):
                pairs.update(_effective_pairs(source, keys))
    for key_node, value_node in own:
        key = keys.construct_object(key_node, deep=True)
        if not isinstance(key, (list, dict)):
            pairs[key] = (key_node, value_node)
    return pairs


def _node_position(node: Node, key_node: Node) -> Position:
    key_line, key_col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
    if isinstance(node, ScalarNode) and node.tag == _NULL and node.value == "":
        # An empty value has no text of its own; the C and pure parsers disagree where it is.
        return Position(key_line, key_col, key_line, key_col)
    return Position(node.start_mark.line + 1, node.start_mark.column + 1, key_line, key_col)
