"""Input bytes to a parsed JSON document: size limits, UTF-8 and its byte order mark, and errors that name the
file, line and column of the problem."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from jakcheck.errors import InputError

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


def read_bytes(path: Path, name: str, max_bytes: int) -> bytes:
    """The bytes of a file, refused (InputError naming `name`) when it is a folder, unreadable or over the limit."""
    try:
        if path.is_dir():
            raise InputError("is a directory, not a file", file=name)
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=name) from exc
    if size > max_bytes:
        raise InputError(f"file is {size} bytes, more than the limit of {max_bytes} bytes", file=name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=name) from exc
    if len(data) > max_bytes:
        raise InputError(f"file is more than the limit of {max_bytes} bytes", file=name)
    return data


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text without its byte order mark; InputError naming the first bad byte otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=name) from None


def parse_json(text: str | bytes, *, source_name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> object:
    """Parse JSON text (str or UTF-8 bytes, with or without a byte order mark); InputError with the line and
    column of the first error."""
    if len(text) > max_bytes:
        raise InputError(f"input is more than the limit of {max_bytes} bytes", file=source_name)
    if isinstance(text, bytes):
        # Valid UTF-8 JSON parses the same from bytes, without decoding it to str first; anything else takes
        # the str path below, which names the problem.
        try:
            return orjson.loads(_strip_bom(_strip_bom(text)))
        except orjson.JSONDecodeError:
            text = decode_text(text, source_name)
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        line, col, msg = exc.lineno, exc.colno, exc.msg
        try:
            json.loads(text)
        except json.JSONDecodeError as exc2:
            line, col, msg = exc2.lineno, exc2.colno, exc2.msg
        except (ValueError, RecursionError):
            pass
        raise InputError(f"not valid JSON: {msg}", file=source_name, line=line, column=col) from None


def _strip_bom(data: bytes) -> bytes:
    return data[3:] if data.startswith(_BOM) else data
