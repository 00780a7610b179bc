"""JSON and JSON Lines readers that remember the line each record starts on.

``json.load`` forgets positions, so an error about the 40th volunteer could only say "[39]".
These readers walk the top-level array (or the dataset document) with
``JSONDecoder.raw_decode`` and keep the line of every record, so every problem can name
the file and the line, as the CSV reader does.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._exceptions import Problem

__all__ = [
    "FileProblem",
    "line_of",
    "parse_document",
    "parse_json_array",
    "parse_jsonl",
]

_DECODER = json.JSONDecoder()
_WS = " \t\n\r"
KINDS = ("volunteers", "organisations", "needs")


class FileProblem(Exception):
    """A problem that stops the reading of one file (it is reported, never raised to users)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def line_of(text: str, pos: int) -> int:
    """1-based line number of character ``pos`` in ``text``."""
    return text.count("\n", 0, pos) + 1


def _column_of(text: str, pos: int) -> int:
    return pos - (text.rfind("\n", 0, pos) + 1) + 1


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _syntax(text: str, pos: int, source: str, what: str) -> FileProblem:
    line, col = line_of(text, pos), _column_of(text, pos)
    found = repr(text[pos]) if pos < len(text) else "the end of the file"
    return FileProblem(
        Problem(
            f"malformed JSON at line {line}, column {col}: expected {what}, found {found}; "
            "fix the syntax there (a JSON validator points at it)",
            source=source,
            row=line,
        )
    )


def _decode(text: str, pos: int, source: str) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as err:
        raise FileProblem(
            Problem(
                f"malformed JSON at line {err.lineno}, column {err.colno}: {err.msg}; "
                + _syntax_hint(err.doc, err.pos),
                source=source,
                row=err.lineno,
            )
        ) from None


def _syntax_hint(text: str, pos: int) -> str:
    r"""What to do about the JSON syntax error at ``text[pos]``.

    A trailing comma and single quotes, which JavaScript and Python accept and JSON does
    not, are named; otherwise the place is pointed at.

    Examples
    --------
    >>> _syntax_hint('[{"id": "v1"},\n]', 15)
    "remove the ',' before ']' (JSON allows no comma after the last item)"
    >>> _syntax_hint("[{'id': 'v1'}]", 2)
    'write text in double quotes ("v1", not \'v1\')'
    """
    before = text[:pos].rstrip(_WS)
    here = text[pos] if pos < len(text) else ""
    if before.endswith(",") and here in "]}" and here:
        return f"remove the ',' before {here!r} (JSON allows no comma after the last item)"
    if here == "'":
        return "write text in double quotes (\"v1\", not 'v1')"
    return "fix the syntax there (a JSON validator points at it)"


def _array(text: str, pos: int, source: str) -> tuple[list[tuple[int, Any]], int]:
    """Parse the array starting at ``text[pos] == '['``; return (line, item) pairs and the end."""
    items: list[tuple[int, Any]] = []
    pos = _skip(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        return items, pos + 1
    counted, line = 0, 1  # newlines are counted once, from the last record on
    while True:
        pos = _skip(text, pos)
        start = pos
        value, pos = _decode(text, pos, source)
        line += text.count("\n", counted, start)
        counted = start
        items.append((line, value))
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] == "]":
            return items, pos + 1
        else:
            raise _syntax(text, pos, source, "',' or ']'")


def _end(text: str, pos: int, source: str) -> None:
    pos = _skip(text, pos)
    if pos < len(text):
        raise _syntax(
            text, pos, source, "the end of the file (one JSON value per file)"
        )


def parse_json_array(text: str, source: str) -> list[tuple[int, Any]]:
    """Records of a ``.json`` file holding one array; each with the line it starts on."""
    pos = _skip(text, 0)
    if pos >= len(text):
        raise FileProblem(
            Problem(
                "the file is empty; write a JSON array of records, '[]' for none",
                source=source,
                row=1,
            )
        )
    if text[pos] != "[":
        value, _ = _decode(text, pos, source)
        hint = ""
        if isinstance(value, dict) and set(value) & set(KINDS):
            hint = (
                "; this looks like a whole-dataset document, which is loaded by giving its "
                "path to load_dataset instead of the folder"
            )
        raise FileProblem(
            Problem(
                f"expected a JSON array of records ([{{...}}, {{...}}]), found a "
                f"{_json_type(value)}{hint}",
                source=source,
                row=line_of(text, pos),
            )
        )
    items, pos = _array(text, pos, source)
    _end(text, pos, source)
    return items


def parse_jsonl(
    text: str, source: str, problems: list[Problem], unread: set[str] | None = None
) -> list[tuple[int, Any]]:
    """Records of a ``.jsonl`` file (one per line; blank lines are skipped).

    A malformed line is appended to ``problems`` and the other lines are still read, so one
    pass reports every bad line. The id a malformed line seems to hold is added to
    ``unread``, so records naming it are not told that it does not exist.
    """
    items: list[tuple[int, Any]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip(_WS):
            continue
        try:
            value, end = _DECODER.raw_decode(line, len(line) - len(line.lstrip(_WS)))
        except json.JSONDecodeError as err:
            if unread is not None:
                unread |= _id_in(line)
            hint = _syntax_hint(line, err.pos)
            if hint.startswith("fix the syntax"):
                hint = "each line must hold one complete JSON object"
            problems.append(
                Problem(
                    f"malformed JSON at line {number}, column {err.colno}: {err.msg}; {hint}",
                    source=source,
                    row=number,
                )
            )
            continue
        if line[end:].strip(_WS):
            if unread is not None:
                unread |= _id_in(line)
            problems.append(
                Problem(
                    f"malformed JSON at line {number}, column {end + 1}: more than one value on "
                    "the line; put each record on its own line",
                    source=source,
                    row=number,
                )
            )
            continue
        items.append((number, value))
    return items


_ID = re.compile(r'"id"\s*:\s*("(?:[^"\\]|\\.)*")')


def _id_in(line: str) -> set[str]:
    """The ids (``"id": "..."``) written on a line that is not valid JSON."""
    out = set()
    for quoted in _ID.findall(line):
        try:
            rid = json.loads(quoted).strip()
        except json.JSONDecodeError:
            continue
        if rid:
            out.add(rid)
    return out


def parse_document(
    text: str, source: str, kinds: tuple[str, ...] = KINDS
) -> dict[str, list[tuple[int, Any]]]:
    """A whole-dataset document ``{"volunteers": [...], "organisations": [...], "needs": [...]}``.

    Every key is optional (a missing kind has no records); any other key is refused.
    """
    pos = _skip(text, 0)
    if pos >= len(text):
        raise FileProblem(
            Problem(
                'the file is empty; write a dataset document such as {"volunteers": [], '
                '"organisations": [], "needs": []}',
                source=source,
                row=1,
            )
        )
    if text[pos] != "{":
        value, _ = _decode(text, pos, source)
        raise FileProblem(
            Problem(
                "expected a dataset document, a JSON object with the keys 'volunteers', "
                f"'organisations' and 'needs', found a {_json_type(value)}",
                source=source,
                row=line_of(text, pos),
            )
        )
    out: dict[str, list[tuple[int, Any]]] = {}
    pos = _skip(text, pos + 1)
    if pos < len(text) and text[pos] == "}":
        _end(text, pos + 1, source)
        return out
    while True:
        pos = _skip(text, pos)
        key_pos = pos
        if pos >= len(text) or text[pos] != '"':
            raise _syntax(text, pos, source, "a key in double quotes")
        key, pos = _decode(text, pos, source)
        pos = _skip(text, pos)
        if pos >= len(text) or text[pos] != ":":
            raise _syntax(text, pos, source, "':'")
        pos = _skip(text, pos + 1)
        if key not in kinds:
            raise FileProblem(
                Problem(
                    f"{key!r} is not a part of a dataset document; the keys are "
                    + ", ".join(repr(k) for k in kinds)
                    + "; remove it or correct its spelling",
                    source=source,
                    row=line_of(text, key_pos),
                    field=key,
                )
            )
        if key in out:
            raise FileProblem(
                Problem(
                    f"{key!r} appears twice in the document; merge the two arrays",
                    source=source,
                    row=line_of(text, key_pos),
                    field=key,
                )
            )
        if pos >= len(text) or text[pos] != "[":
            raise _syntax(text, pos, source, f"an array of {key}")
        out[key], pos = _array(text, pos, source)
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] == "}":
            _end(text, pos + 1, source)
            return out
        else:
            raise _syntax(text, pos, source, "',' or '}'")


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "JSON object"
    if isinstance(value, list):
        return "JSON array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"
