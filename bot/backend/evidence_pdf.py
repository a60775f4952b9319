"""A PDF is kept only when nothing in it can run: no JavaScript, no automatic or additional actions, no launched
programs, no embedded files, no rich media, no XFA forms.

No PDF library is installed, and a full parser would be a large new attack surface of its own; this scanner
reads names the way a reader does instead. Every name (`/JS`) is read with its #xx escapes decoded
(`/J#61vaScript` is `/JavaScript`), in the file's bytes and in every stream that inflates with zlib (object
streams hide whole dictionaries there). A stream is scanned inflated, not raw, so the bytes of compressed data
can't pose as names. What can't be read this way is refused rather than guessed at: encrypted files, streams
whose type, filters or parameters are indirect references, an encoding other than Flate or a predictor on a
stream that may hold objects, a Flate stream that breaks off, more than `MAX_INFLATED` bytes inflated.
An `/OpenAction` that is a destination array (open at a page; LaTeX's hyperref writes one) runs nothing and is
accepted; any other `/OpenAction` is refused.
"""

from __future__ import annotations

import re
import zlib

from bot.backend.errors import ApiError

ACTIVE_NAMES = frozenset({b"JavaScript", b"JS", b"OpenAction", b"AA", b"Launch", b"EmbeddedFile", b"EmbeddedFiles",
                          b"RichMedia", b"XFA", b"SubmitForm", b"ImportData"})
MAX_INFLATED = 64 * 1024 * 1024
# Filters that re-encode bytes we would not read (the scanner inflates Flate only); Crypt is encryption.
_UNREAD_FILTERS = frozenset({b"ASCIIHexDecode", b"ASCII85Decode", b"LZWDecode", b"RunLengthDecode", b"AHx", b"A85",
                             b"LZW", b"RL", b"Crypt"})
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r /<>\[\](){}%]*)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
_INDIRECT = re.compile(rb"[\x00\t\n\x0c\r ]*\d+[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+R")
_LENGTH = re.compile(rb"/Length[\x00\t\n\x0c\r ]+(\d{1,10})(?!\d|[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+R)")
_OBJECT = re.compile(rb"\d+[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+obj")
_INDIRECT_KEYS = frozenset({b"Type", b"Subtype", b"Filter", b"DecodeParms"})
_CHUNK = 64 * 1024


def check_pdf(data: bytes) -> None:
    """Raise ApiError 422 `pdf_active_content` or `pdf_uncheckable`; return for a PDF that runs nothing."""
    raw, inflated = _layers(data)
    found = set().union(*(_active(text) for text in (raw, *inflated)))
    if found:
        raise ApiError(422, "pdf_active_content",
                       "The PDF contains scripts, embedded files or automatic actions, which we don't accept. "
                       "Please print it to a new PDF, or send a screenshot, and try again.",
                       {"found": sorted(name.decode("latin-1") for name in found)})
    if b"Encrypt" in _names(raw):
        raise _uncheckable("it is encrypted")


def _layers(data: bytes) -> tuple[bytes, list[bytes]]:
    """The file's bytes less the data of streams we could delimit, and what each stream inflated to.

    A stream's data is left out of the raw scan when it inflated (its output is scanned instead), or when its
    direct /Length ends right at `endstream` with no `endstream` and no object header (`9 0 obj`, where a
    cross-reference offset could point a reader) inside: every reader then takes it as data only, and a photo's
    random bytes can't pose as names."""
    view = memoryview(data)
    kept: list[bytes] = []
    inflated: list[bytes] = []
    budget = MAX_INFLATED
    resume = 0
    for match in _STREAM.finditer(data):
        start = match.end()
        if match.start() < resume:
            continue  # "stream" inside data already delimited
        window = data[resume:match.start()]
        names = _names(window)
        _check_stream_dictionary(window, names)
        output, end = _inflate(view, start, budget, declared=b"FlateDecode" in names)
        budget -= len(output)
        if output:
            inflated.append(output)
        length = _direct_length(window)
        if length is not None:
            delimited = (data.startswith(b"endstream", _skip_space(data, start + length))
                         and data.find(b"endstream", start, start + length) == -1
                         and not _OBJECT.search(data, start, start + length))
            if end is None and delimited and b"ObjStm" not in names:
                end = start + length
            elif end is not None:
                end = min(end, start + length)
        if end is not None:
            kept.append(data[resume:start])
            resume = end
    kept.append(data[resume:])
    return b" ".join(kept), inflated


def _direct_length(window: bytes) -> int | None:
    """The last direct /Length in the window (this stream's), or None for none or an indirect one."""
    lengths = _LENGTH.findall(window)
    return int(lengths[-1]) if lengths else None


def _skip_space(data: bytes, position: int) -> int:
    while position < len(data) and data[position] in b"\x00\t\n\x0c\r ":
        position += 1
    return position


def _check_stream_dictionary(window: bytes, names: set[bytes]) -> None:
    """`window` runs from the end of the last delimited stream to this one, so it holds this stream's dictionary
    (and maybe more: a stricter reading, never a laxer one)."""
    for match in _NAME.finditer(window):
        if _decoded(match.group(1)) in _INDIRECT_KEYS and _INDIRECT.match(window, match.end()):
            raise _uncheckable("a stream's type or filters are indirect references")
    recoded = bool(names & _UNREAD_FILTERS) or b"Predictor" in names
    pixels_or_offsets = (b"Image" in names or b"XRef" in names) and b"ObjStm" not in names
    if recoded and not pixels_or_offsets:
        raise _uncheckable("a stream uses an encoding we don't read")


def _inflate(view: memoryview, start: int, budget: int, declared: bool) -> tuple[bytes, int | None]:
    """What the zlib data at `start` inflates to, and where the compressed data ends (None when it isn't zlib
    data, or runs to the end of the file)."""
    inflater = zlib.decompressobj()
    out = bytearray()
    position = start
    try:
        while position < len(view) and not inflater.eof:
            chunk = view[position:position + _CHUNK]
            position += len(chunk)
            out += inflater.decompress(chunk, budget + 1 - len(out))
            if len(out) > budget:
                raise _uncheckable("it inflates to more than we read")
    except zlib.error:
        if out or declared:
            raise _uncheckable("a compressed stream is damaged") from None
        return b"", None
    return bytes(out), position - len(inflater.unused_data) if inflater.eof else None


def _active(text: bytes) -> set[bytes]:
    found = set()
    for match in _NAME.finditer(text):
        name = _decoded(match.group(1))
        if name in ACTIVE_NAMES and not (name == b"OpenAction" and text[match.end():].lstrip()[:1] == b"["):
            found.add(name)
    return found


def _names(text: bytes) -> set[bytes]:
    return {_decoded(match.group(1)) for match in _NAME.finditer(text)}


def _decoded(name: bytes) -> bytes:
    return _ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), name) if b"#" in name else name


def _uncheckable(why: str) -> ApiError:
    return ApiError(422, "pdf_uncheckable",
                    "We can't check this PDF for scripts, so we can't accept it. Please print it to a new PDF, or "
                    "send a screenshot, and try again.", {"reason": why})
