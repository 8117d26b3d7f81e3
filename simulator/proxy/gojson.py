"""The Go-compatible JSON codec the proxy's wire models use (spec §2).

Rule 1: bodies are decoded the way Go's ``encoding/json`` Decoder fills the server's structs:
the first JSON value only (trailing bytes ignored), unknown keys ignored, keys matched
case-insensitively, ``null`` leaves the zero value, a wrong JSON type is an error with Go's text.
Rule 2: bodies are encoded the way Go's ``json.Marshal`` writes them: compact, ``<``, ``>``, ``&``,
U+2028 and U+2029 escaped, struct field order (or sorted keys for Go maps). Byte counts then
match the real proxy's, which matters for the 4096-byte APNs and FCM limits.
No I/O here.
"""

from __future__ import annotations

import json
import re
from json.encoder import c_make_encoder, encode_basestring as c_encode_basestring  # type: ignore[attr-defined]
from typing import Any, Callable, Final, Mapping

from .errors import BadRequestBody


# --- encoding (Go json.Marshal) ------------------------------------------------------------

_GO_HTML_UNSAFE = re.compile("[<>&\u2028\u2029]")
_GO_ESCAPES: Final = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                      "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unserializable(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _encoder(sort_keys: bool) -> Callable[[object], str]:
    # One encoder made once: json.dumps with options builds a JSONEncoder (and its C encoder)
    # per call, which costs more than the encoding itself on a push-sized payload.
    if c_make_encoder is None:  # no C accelerator: the pure-Python encoder, same output
        return json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys).encode
    encode = c_make_encoder(None, _unserializable, c_encode_basestring, None, ":", ",", sort_keys, False, True)
    return lambda value: "".join(encode(value, 0))


_ENCODE: Final = {False: _encoder(False), True: _encoder(True)}


def marshal_like_go(value: object, *, sort_keys: bool = False) -> bytes:
    """Serialize ``value`` byte-for-byte as Go's ``json.Marshal`` would (use sort_keys for Go maps)."""
    text = _ENCODE[sort_keys](value)
    if _GO_HTML_UNSAFE.search(text):
        text = _GO_HTML_UNSAFE.sub(lambda m: _GO_ESCAPES[m.group()], text)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: Go writes U+FFFD for invalid text
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")


# --- decoding (Go json.Decoder.Decode into a struct) -------------------------------------------

class _Object(list):  # type: ignore[type-arg]
    """A decoded JSON object: its (key, value) pairs in document order, duplicates kept."""

    __slots__ = ()


class _FloatLiteral(str):
    """A JSON number that Python would make a float, kept exactly as written."""

    __slots__ = ()


class _Mismatch(Exception):
    """A JSON value of the wrong type for a field; args[0] is Go's description of the value."""


def _reject_constant(name: str) -> object:
    # Python accepts NaN / Infinity / -Infinity; Go does not.
    if name.startswith("-"):
        raise BadRequestBody("invalid character 'I' in numeric literal")
    raise BadRequestBody(f"invalid character '{name[0]}' looking for beginning of value")


_DECODER: Final = json.JSONDecoder(object_pairs_hook=_Object, parse_float=_FloatLiteral,
                                   parse_constant=_reject_constant)
_JSON_SPACE: Final = " \t\n\r"
_INT64: Final = 1 << 63
_INT_TYPES: Final = frozenset({"int", "int64"})
_LITERALS: Final = {"t": "true", "f": "false", "n": "null"}
_WHERE: Final = {
    "Expecting value": "looking for beginning of value",
    "Expecting property name enclosed in double quotes": "looking for beginning of object key string",
    "Expecting ':' delimiter": "after object key",
    "Invalid control character at": "in string literal",
    "Invalid \\escape": "in string escape code",
    "Invalid \\uXXXX escape": "in \\u hexadecimal character escape",
}


def _go_quote_char(ch: str) -> str:
    """Go's quoteChar: how its JSON scanner names an offending byte."""
    if "\udc80" <= ch <= "\udcff":  # an invalid UTF-8 byte kept by surrogateescape: Go names the byte
        ch = chr(ord(ch) - 0xDC00)
    elif ord(ch) > 0x7F:  # Go reports the first byte of the UTF-8 sequence as a Latin-1 rune
        ch = chr(ch.encode("utf-8", "surrogatepass")[0])
    if ch in "'\"":
        return "'\\''" if ch == "'" else "'\"'"
    if ch.isprintable():
        return f"'{ch}'"
    named = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    if ch in named:
        return f"'{named[ch]}'"
    return f"'\\x{ord(ch):02x}'" if ord(ch) < 0x80 else f"'\\u{ord(ch):04x}'"


def _innermost_container(doc: str, pos: int) -> str:
    """The bracket ("{" or "[") enclosing ``pos``, skipping string contents."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in doc[:pos]:
        if in_string:
            escaped, in_string = (False, True) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
        elif ch in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _go_syntax_error(e: json.JSONDecodeError) -> str:
    """Translate Python's JSON syntax error into the text Go's Decoder would give."""
    doc, pos = e.doc, e.pos
    if pos >= len(doc) or e.msg.startswith("Unterminated string"):
        return "unexpected EOF"
    ch = doc[pos]
    if e.msg == "Expecting value" and ch == "-":
        nxt = doc[pos + 1:pos + 2]
        return f"invalid character {_go_quote_char(nxt)} in numeric literal" if nxt else "unexpected EOF"
    if e.msg == "Expecting value" and ch in _LITERALS:
        return _bad_literal(doc, pos, _LITERALS[ch])
    if e.msg == "Expecting ',' delimiter":
        inside_object = _innermost_container(doc, pos) == "{"
        return f"invalid character {_go_quote_char(ch)} " + (
            "after object key:value pair" if inside_object else "after array element")
    if e.msg == "Invalid \\escape":
        ch = doc[pos + 1]
    elif e.msg == "Invalid \\uXXXX escape":
        ch = next((c for c in doc[pos + 1:pos + 5] if c not in "0123456789abcdefABCDEF"), ch)
    return f"invalid character {_go_quote_char(ch)} {_WHERE.get(e.msg, 'looking for beginning of value')}"


def _bad_literal(doc: str, pos: int, literal: str) -> str:
    for i, expected in enumerate(literal):
        if pos + i >= len(doc):
            return "unexpected EOF"
        if doc[pos + i] != expected:
            got, want = _go_quote_char(doc[pos + i]), _go_quote_char(expected)
            return f"invalid character {got} in literal {literal} (expecting {want})"
    return f"invalid character {_go_quote_char(doc[pos])} looking for beginning of value"


def _parse_first_value(body: bytes) -> object:
    """Decode the first JSON value of ``body`` as Go's json.Decoder does (rest ignored)."""
    # Invalid bytes stay visible (surrogateescape) so a syntax error names them as Go does;
    # inside strings they become U+FFFD like Go's (see _field_value).
    text = body.decode("utf-8", "surrogateescape")
    start = len(text) - len(text.lstrip(_JSON_SPACE))
    if start == len(text):
        raise BadRequestBody("EOF")
    try:
        return _DECODER.raw_decode(text, start)[0]
    except json.JSONDecodeError as e:
        raise BadRequestBody(_go_syntax_error(e)) from None
    except RecursionError:
        raise BadRequestBody("exceeded max depth") from None
    except ValueError as e:  # e.g. an integer literal longer than Python's digit limit
        raise BadRequestBody(f"invalid number: {e}") from None


def _kind(value: object) -> str:
    """How Go's UnmarshalTypeError names a JSON value."""
    if value is True or value is False:
        return "bool"
    if type(value) is str:
        return "string"
    if type(value) is _Object:
        return "object"
    return "array" if isinstance(value, list) else "number"


def _field_value(raw: object, go_type: str) -> object:
    """The Python value for a Go field of ``go_type``, or raise _Mismatch."""
    if go_type == "bool":
        if raw is True or raw is False:
            return raw
    elif go_type in _INT_TYPES:
        if type(raw) is int:
            if -_INT64 <= raw < _INT64:
                return raw
            raise _Mismatch(f"number {raw}")
        if type(raw) is _FloatLiteral:
            raise _Mismatch(f"number {raw}")
    elif type(raw) is str:
        if raw.isascii():
            return raw
        return _SURROGATE.sub("\ufffd", raw)  # Go decodes a lone \ud800 escape as U+FFFD
    raise _Mismatch(_kind(raw))


def decode_like_go(body: bytes, struct: str, fields: Mapping[str, str]) -> dict[str, Any]:
    """Decode ``body`` into ``{json_key: value}`` for the Go struct ``model.<struct>``.

    ``fields`` maps each JSON key to its Go type name (``string``, ``int``, ``int64``, ``bool``
    or a named string type). Raises BadRequestBody with Go's error text.
    """
    value = _parse_first_value(body)
    if value is None:  # JSON null into a struct is a no-op in Go
        return {}
    if type(value) is not _Object:
        raise BadRequestBody(f"json: cannot unmarshal {_kind(value)} into Go value of type model.{struct}")
    out: dict[str, Any] = {}
    for key, raw in value:
        go_type = fields.get(key)
        if go_type is None:
            key = key.lower()  # Go matches keys case-insensitively
            go_type = fields.get(key)
            if go_type is None:
                continue
        if go_type == "string" and type(raw) is str and raw.isascii():  # most fields: taken as they are
            out[key] = raw
            continue
        if raw is None:
            continue
        try:
            out[key] = _field_value(raw, go_type)
        except _Mismatch as m:
            raise BadRequestBody(f"json: cannot unmarshal {m.args[0]} into Go struct field "
                                 f"{struct}.{key} of type {go_type}") from None
    return out


# --- models --------------------------------------------------------------------------------
