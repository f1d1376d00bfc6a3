"""Strict YAML reading that remembers the line of every value, so messages can name it (site, taxonomy files)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from fairwatch.errors import ConfigError


class LineDict(dict[Any, Any]):
    """A YAML mapping; `line` is where it starts, `lines[key]` where each value starts (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[Any, int] = {}
        self.key_lines: dict[Any, int] = {}


class LineList(list[Any]):
    """A YAML sequence; `line` is where it starts, `lines[i]` where item i starts (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: list[int] = []


class _Loader(yaml.SafeLoader):
    """SafeLoader building LineDict/LineList; duplicate keys are errors (PyYAML would keep the last)."""

    source = "<string>"


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise ConfigError([f"{loader.source}:{line}: keys must be strings (got {key!r})"])
        if key in out:
            first = out.key_lines[key]
            raise ConfigError([f"{loader.source}:{line}: duplicate key '{key}' (first at line {first})"])
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = value_node.start_mark.line + 1
        out.key_lines[key] = line
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(node.start_mark.line + 1)
    for item in node.value:
        out.append(loader.construct_object(item, deep=True))
        out.lines.append(item.start_mark.line + 1)
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def load_yaml(text: str, source: str) -> Any:
    """One YAML document as plain values, LineDict and LineList; syntax errors become ConfigError."""
    loader = _Loader(text)
    loader.source = source
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError([f"{source}:{line}: invalid YAML: {exc.problem or exc.context}"]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([f"{source}:1: invalid YAML: {exc}"]) from exc
    finally:
        loader.dispose()


# -- composed-node helpers, for readers that walk YAML nodes (rules, notification, rule-test files) ------------
Node = yaml.Node
_NODE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(text: str, filename: str) -> tuple[Node | None, str | None]:
    """Compose one YAML document; return (root, None) or (None, an error message with the line)."""
    try:
        return yaml.compose(text, Loader=_NODE_LOADER), None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        return None, f"{filename}:{line}: invalid YAML: {exc.problem or exc.context}"
    except yaml.YAMLError as exc:
        return None, f"{filename}:1: invalid YAML: {exc}"


def line_of(node: Node) -> int:
    """The 1-based line where `node` starts."""
    return int(node.start_mark.line) + 1


def join(path: str, key: str) -> str:
    """Extend a dotted field path."""
    return f"{path}.{key}" if path else key


def one_of(names: Sequence[str]) -> str:
    """`a` or `one of a, b, c`, for messages."""
    return names[0] if len(names) == 1 else "one of " + ", ".join(names)
