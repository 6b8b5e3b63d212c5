"""What every value from outside must be before any other rule reads it.

Text is valid Unicode without NUL; JSON is I-JSON (RFC 7493): finite numbers, integers a
double holds exactly, no lone surrogates, and bounded nesting. SQLite stores some of these
and PostgreSQL refuses them, so both databases accept the same inputs only if mpo refuses
them first, with exit 2 rather than an unexpected error (issue 11, defect 1).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from mpo.core.domain.errors import ValidationError

#: I-JSON: integers beyond this lose precision in a double, and in other readers.
JSON_INT_MAX = 2**53 - 1
#: Arrays and objects inside each other, at most (metadata is a flat bag in practice).
JSON_DEPTH_MAX = 32
#: `--limit` and other counts: what a 64-bit SQL integer holds, on both databases.
COUNT_MAX = 2**63 - 1
#: Ids of integer-keyed rows (webhooks, deliveries): a 32-bit SQL integer on PostgreSQL.
ROW_ID_MAX = 2**31 - 1
#: Lone surrogates are how Python spells bytes that were not UTF-8 (os.fsdecode).
_SURROGATE = re.compile("[\ud800-\udfff]")


def text(field: str, value: str) -> str:
    """`value` if it is valid Unicode without NUL characters."""
    if "\x00" in value:
        raise ValidationError(field, "must not contain NUL characters")
    if not value.isascii() and _SURROGATE.search(value):
        raise ValidationError(field, f"is not valid UTF-8: {ascii_preview(value)}")
    return value


def ascii_preview(value: str, width: int = 40) -> str:
    """`value` shown safely on any terminal: bytes that were not UTF-8 as \\xNN."""
    shown = _SURROGATE.sub(_escaped, value).encode().decode("ascii", "backslashreplace")
    return repr(shown if len(shown) <= width else shown[:width] + "...")


def _escaped(match: re.Match[str]) -> str:
    """A lone surrogate as text: \\xNN for a byte os.fsdecode kept, else \\uNNNN."""
    code = ord(match.group())
    return f"\\x{code - 0xdc00:02x}" if 0xdc80 <= code <= 0xdcff else f"\\u{code:04x}"


def decode(field: str, raw: bytes) -> str:
    """UTF-8 bytes (a file, stdin) as text, or a ValidationError saying where they break."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ValidationError(
            field, f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} on line {line})"
        ) from None


def _integer(raw: str) -> int:
    # Checked before int() so a 5,000-digit number never meets Python's own digit limit.
    if len(raw.lstrip("-")) > len(str(JSON_INT_MAX)) or abs(int(raw)) > JSON_INT_MAX:
        raise ValueError(f"integer {raw[:20]}{'...' if len(raw) > 20 else ''} is beyond "
                         f"+/-{JSON_INT_MAX} (2^53 - 1)")
    return int(raw)


def _number(raw: str) -> float:
    number = float(raw)
    if not math.isfinite(number):
        raise ValueError(f"number {raw[:20]} is beyond a double's range")
    return number


def _constant(raw: str) -> Any:
    raise ValueError(f"{raw} is not a JSON number")


def _plain(raw: str) -> bool:
    """Whether no string in the JSON text `raw` can hold a NUL or a lone surrogate (no
    escapes, no raw ones) and it cannot nest `JSON_DEPTH_MAX` deep: then parsing with the
    number hooks checked all there is, and the walk of `checked` can be skipped. Substring
    scans in C: a bulk create parses 100,000 lines."""
    return ("\\u" not in raw and "\x00" not in raw
            and (raw.isascii() or not _SURROGATE.search(raw))
            and raw.count("[") + raw.count("{") < JSON_DEPTH_MAX)


#: One decoder for every parse: `json.loads` with hooks builds a new decoder (and its C
#: scanner) per call, half the time of parsing a bulk create's short lines.
_DECODER = json.JSONDecoder(parse_int=_integer, parse_float=_number, parse_constant=_constant)


def loads(field: str, raw: str) -> Any:
    """Parse JSON from outside; refuse what is not I-JSON or nests deeper than allowed."""
    try:
        value = _DECODER.decode(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            field, f"is not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    except RecursionError:
        raise ValidationError(field, f"nests more than {JSON_DEPTH_MAX} levels") from None
    except ValueError as exc:
        raise ValidationError(field, str(exc)) from None
    return value if _plain(raw) else checked(field, value)


def checked(field: str, value: Any) -> Any:
    """`value` (parsed JSON, or a structure a library caller built) if it is I-JSON:
    walked without recursion, so any depth is refused cleanly."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if depth >= JSON_DEPTH_MAX:
                raise ValidationError(field, f"nests more than {JSON_DEPTH_MAX} levels")
            if isinstance(item, dict):
                for key in item:
                    if isinstance(key, str):
                        text(field, key)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            text(field, item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int) and abs(item) > JSON_INT_MAX:
            raise ValidationError(field, f"integers must be within +/-{JSON_INT_MAX}")
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValidationError(field, "numbers must be finite (no NaN or Infinity)")
    return value

