"""The OData subset SensorThings clients send: ``$filter`` comparisons joined by
``and``/``or``/``not`` with parentheses, ``$orderby`` and ``$top``/``$skip``.

Parsing is pure; :mod:`smartcity.flood.repository` turns the tree into SQL against a map of
allowed property paths, so a client can only ever filter on what that map exposes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from smartcity.core.i18n import N_
from smartcity.flood.errors import BadQuery

COMPARISONS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
Literal = float | int | str | bool | datetime | None


@dataclass(frozen=True)
class Path:
    name: str


@dataclass(frozen=True)
class Value:
    value: Literal


@dataclass(frozen=True)
class Compare:
    op: str
    left: Path | Value
    right: Path | Value


@dataclass(frozen=True)
class Logical:
    op: str  # and | or
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


Node = Compare | Logical | Not

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<string>'(?:[^']|'')*')
      | (?P<paren>[()])
      | (?P<word>[A-Za-z_@][A-Za-z0-9_@.]*(?:/[A-Za-z_@][A-Za-z0-9_@.]*)*)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise BadQuery(
                N_("Không hiểu $filter ở vị trí {position}: {rest}"),
                position=position,
                rest=text[position : position + 20],
            )
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise BadQuery(N_("$filter kết thúc đột ngột."))
        self.index += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.index += 1
            return True
        return False

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            raise BadQuery(N_("Thừa nội dung trong $filter: {rest}"), rest=self.peek()[1])  # type: ignore[index]
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.keyword("or"):
            node = Logical("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.keyword("and"):
            node = Logical("and", node, self.not_expr())
        return node

    def not_expr(self) -> Node:
        if self.keyword("not"):
            return Not(self.not_expr())
        token = self.peek()
        if token == ("paren", "("):
            self.take()
            node = self.or_expr()
            if self.take() != ("paren", ")"):
                raise BadQuery(N_("Thiếu dấu ')' trong $filter."))
            return node
        left = self.operand()
        kind, op = self.take()
        if kind != "word" or op.lower() not in COMPARISONS:
            raise BadQuery(N_("Phép so sánh không được hỗ trợ: {op}"), op=op)
        return Compare(op.lower(), left, self.operand())

    def operand(self) -> Path | Value:
        kind, text = self.take()
        if kind == "number":
            return Value(float(text) if any(c in text for c in ".eE") else int(text))
        if kind == "string":
            return Value(text[1:-1].replace("''", "'"))
        if kind == "datetime":
            return Value(datetime.fromisoformat(text))
        if kind == "word":
            lowered = text.lower()
            if lowered in ("true", "false"):
                return Value(lowered == "true")
            if lowered == "null":
                return Value(None)
            return Path(text)
        raise BadQuery(N_("Không hiểu $filter gần: {rest}"), rest=text)


def parse_filter(text: str) -> Node:
    return _Parser(text).parse()


def parse_orderby(text: str) -> list[tuple[str, bool]]:
    """``"phenomenonTime desc, id"`` → ``[("phenomenonTime", True), ("id", False)]``."""
    order: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise BadQuery(N_("$orderby không hợp lệ: {part}"), part=part.strip())
        order.append((words[0], len(words) == 2 and words[1] == "desc"))
    return order
