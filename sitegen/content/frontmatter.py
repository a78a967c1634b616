"""Split a report into front matter and body, keeping the file's own line numbers."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, YAMLHandler

from sitegen.errors import ContentError, SourceLocation

# python-frontmatter's own boundaries end in \s*, which swallows a blank line after the
# delimiter and shifts every line number; these stop at the end of the line.
_YAML_HANDLER = YAMLHandler(re.compile(r"^-{3,}[ \t]*$", re.MULTILINE))
_TOML_HANDLER = BaseHandler(re.compile(r"^\+{3,}[ \t]*$", re.MULTILINE), "+++", "+++")
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FrontMatterLoader(_BaseLoader):  # type: ignore[misc]
    """PyYAML's safe loader (C where present), reading as YAML 1.2 would.

    Only `true`/`false` are booleans, and dates stay text, so sitegen can check them and
    name the file's line.
    """


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_FrontMatterLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The parsed front matter of one file, its key lines, and the body after it."""

    data: dict[str, Any]
    key_lines: dict[str, int]
    body: str
    body_line: int
    item_lines: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Top-level key -> the line of each item of its list (in a block list, the item's own)."""


MAX_EXPANDED_NODES = 10_000
"""How many values front matter may hold once anchors and aliases are expanded."""


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _oversized_node(root: yaml.Node) -> yaml.Node | None:
    """The first value that, with every alias expanded, holds too many values, if any.

    A value that holds itself holds too many.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            open_nodes.discard(id(node))
            total = 1 + sum(sizes[id(c)] for c in _children(node))
            if total > MAX_EXPANDED_NODES:
                return node
            sizes[id(node)] = total
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_nodes:
            return node
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)
    return None


def _check_mapping_keys(
    node: yaml.Node, where: Path, first_line: int, *, has_aliases: bool
) -> None:
    oversized = _oversized_node(node) if has_aliases else None
    if oversized is not None:
        raise ContentError(
            "front matter expands to too many values through anchors and aliases",
            SourceLocation(where, oversized.start_mark.line + first_line),
            "write the values out; front matter needs no anchors",
        )
    seen_nodes: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen_nodes:
            continue
        seen_nodes.add(id(current))
        if isinstance(current, yaml.MappingNode):
            keys: dict[Any, int] = {}
            for key_node, value_node in current.value:
                line = key_node.start_mark.line + first_line
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
                if key in keys:
                    raise ContentError(
                        f"'{key}' is given twice (first on line {keys[key]})",
                        SourceLocation(where, line),
                        "keep one of them",
                    )
                keys[key] = line
                stack.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


_Parsed = tuple[Any, dict[str, int], dict[str, tuple[int, ...]]]


def _parse_yaml(text: str, where: Path, first_line: int) -> _Parsed:
    loader = _FrontMatterLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, {}
        _check_mapping_keys(node, where, first_line, has_aliases="*" in text)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        context = error.context or ""
        if error.context_mark is not None and "quoted scalar" in context:
            mark, problem = error.context_mark, "a quote opened here is never closed"
        elif "nesting depth" in problem:
            problem = "front matter nests too deeply"
        elif error.context_mark is not None and "flow" in context:
            opener = "[" if "sequence" in context else "{"
            mark, problem = error.context_mark, f"the {opener} opened here is never closed"
        line = None if mark is None else mark.line + first_line
        if "could not determine a constructor" in problem:
            problem = "YAML tags like '!!python/...' are not allowed in front matter"
        raise ContentError(
            f"invalid front matter: {problem}", SourceLocation(where, line)
        ) from None
    except yaml.YAMLError as error:
        raise ContentError(f"invalid front matter: {error}", SourceLocation(where)) from None
    except RecursionError:
        raise ContentError(
            "front matter nests too deeply", SourceLocation(where, first_line)
        ) from None
    finally:
        loader.dispose()
    key_lines: dict[str, int] = {}
    item_lines: dict[str, tuple[int, ...]] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key_lines.setdefault(str(key_node.value), key_node.start_mark.line + first_line)
                if isinstance(value_node, yaml.SequenceNode):
                    item_lines.setdefault(
                        str(key_node.value),
                        tuple(item.start_mark.line + first_line for item in value_node.value),
                    )
    return data, key_lines, item_lines


def _parse_toml(text: str, where: Path, first_line: int) -> _Parsed:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        line = int(match.group(1)) + first_line - 1 if match else None
        message = re.sub(r"\s*\(at line.*\)$", "", str(error))
        raise ContentError(
            f"invalid front matter: {message}", SourceLocation(where, line)
        ) from None
    key_lines: dict[str, int] = {}
    for number, line_text in enumerate(text.split("\n")):
        match = re.match(r"\s*([A-Za-z_][\w-]*)\s*=", line_text)
        if match:
            key_lines.setdefault(match.group(1), number + first_line)
    return data, key_lines, {}


def split_front_matter(text: str, where: Path) -> FrontMatter:
    """Parse the front matter (YAML between `---`, or TOML between `+++`) of a report's text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ContentError(
            "the file is empty", SourceLocation(where, 1), "start it with front matter"
        )
    for handler, parse in ((_YAML_HANDLER, _parse_yaml), (_TOML_HANDLER, _parse_toml)):
        if not handler.detect(text):
            continue
        try:
            matter, body = handler.split(text)
        except ValueError:
            raise ContentError(
                "front matter is not closed",
                SourceLocation(where, 1),
                f"end it with a line of {handler.END_DELIMITER}",
            ) from None
        # The front matter text starts right after the opening delimiter, on line 1.
        data, key_lines, item_lines = parse(matter, where, 1)
        body_offset = len(text) - len(body)
        body_line = text.count("\n", 0, body_offset) + 1
        if body.startswith("\n"):
            body, body_line = body[1:], body_line + 1
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ContentError(
                f"front matter must be a set of 'key: value' lines, not {_kind(data)}",
                SourceLocation(where, 2),
            )
        return FrontMatter(data, key_lines, body, body_line, item_lines)
    raise ContentError(
        "no front matter",
        SourceLocation(where, 1),
        "start the file with a line of --- and the fields title and date, then another line of ---",
    )


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a single text"
    return type(value).__name__
