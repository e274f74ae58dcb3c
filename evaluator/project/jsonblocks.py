"""JSON for big documents, written and read a block at a time.

`json.dumps` / `json.loads` and `zlib` on a county's project are single C calls that hold the
interpreter lock throughout, and the desktop app saves and autosaves in a worker thread: the
window would freeze that long. Here long lists are encoded in
blocks of `BLOCK` items, compressed block by block into one ordinary zlib stream, and grids are
read back block by block, so no single call runs long. The text is plain JSON either way:
files written before this module read the same (in one block), and blocks are separated by
",\n", which JSON allows and `json.dumps` never writes inside a string (it escapes newlines).
"""

from __future__ import annotations

import codecs
import itertools
import json
import zlib
from collections.abc import Callable, Iterator
from typing import Any

BLOCK = 500  # list items per json call: few calls, none holding the interpreter lock long
READ_CHUNK = 1 << 20  # compressed bytes per zlib call when reading
SEPARATOR = ",\n"


def dumps(obj: Any, *, default: Callable[[Any], Any] | None = None,
          separators: tuple[str, str] = (", ", ": ")) -> Iterator[str]:
    """Pieces of `json.dumps(obj, ensure_ascii=False)`; long lists come in blocks of items.

    Dicts with string keys, lists and iterators (consumed) are walked down to two levels; below
    that, or for anything else, one `json.dumps` call encodes the value. Joined, the pieces parse
    to the same value (an iterator's items as a list).
    """
    yield from _pieces(obj, default, separators, depth=0)


def _pieces(obj: Any, default: Callable[[Any], Any] | None, seps: tuple[str, str], depth: int) -> Iterator[str]:
    item, key = seps
    if depth < 3 and isinstance(obj, dict) and obj and all(isinstance(k, str) for k in obj):
        yield "{"
        for i, (k, v) in enumerate(obj.items()):
            yield (item if i else "") + json.dumps(k, ensure_ascii=False) + key
            yield from _pieces(v, default, seps, depth + 1)
        yield "}"
    elif depth < 3 and isinstance(obj, list) and len(obj) > BLOCK:
        yield "["
        for i in range(0, len(obj), BLOCK):
            block = json.dumps(obj[i:i + BLOCK], ensure_ascii=False, default=default, separators=seps)[1:-1]
            yield (SEPARATOR if i else "") + block
        yield "]"
    elif depth < 3 and isinstance(obj, Iterator):  # made as consumed: only one block exists at a time
        yield "["
        first = True
        while block_items := list(itertools.islice(obj, BLOCK)):
            yield ("" if first else SEPARATOR) + json.dumps(block_items, ensure_ascii=False, default=default,
                                                             separators=seps)[1:-1]
            first = False
        yield "]"
    else:
        yield json.dumps(obj, ensure_ascii=False, default=default, separators=seps)


def compress(pieces: Iterator[str], level: int) -> bytes:
    """One zlib stream of the UTF-8 text of `pieces`, fed a piece at a time."""
    z = zlib.compressobj(level)
    out = [z.compress(p.encode("utf-8", "surrogatepass")) for p in pieces]
    out.append(z.flush())
    return b"".join(out)


INFLATE_MIN = 64 << 20  # a stored blob may always inflate to this much
INFLATE_RATIO = 200  # beyond that, at most this many times its stored size (JSON packs 3–10×)


def _text_chunks(blob: bytes) -> Iterator[str]:
    """The text a chunk at a time; a crafted blob that inflates beyond any real project is refused
    (`ValueError`) before it takes the memory, never one giant allocation."""
    z = zlib.decompressobj()
    utf8 = codecs.getincrementaldecoder("utf-8")("surrogatepass")
    budget = max(INFLATE_MIN, INFLATE_RATIO * len(blob))
    for i in range(0, len(blob), READ_CHUNK):
        data = blob[i:i + READ_CHUNK]
        while data:
            out = z.decompress(data, READ_CHUNK * 16)
            budget -= len(out)
            if budget < 0:
                raise ValueError("a stored block inflates beyond any real project")
            yield utf8.decode(out)
            data = z.unconsumed_tail
    yield utf8.decode(z.flush(), final=True)


def loads_list(blob: bytes, object_hook: Callable[[dict[str, Any]], Any] | None = None,
               convert: Callable[[Any], Any] | None = None) -> list[Any]:
    """The top-level JSON list compressed in `blob`, parsed a block at a time; `convert` is
    applied to each item as its block is parsed (rows to tuples: lists would stay tracked)."""
    out: list[Any] = []
    buf = ""
    scan = 0  # where the next separator search starts: text before it has been searched
    started = False
    for chunk in _text_chunks(blob):
        buf += chunk
        if not started:
            buf = buf.lstrip()
            if not buf:
                continue
            if not buf.startswith("["):
                raise ValueError("not a JSON list")
            buf, started = buf[1:], True
        start, pos = 0, buf.find(SEPARATOR, scan)
        while pos >= 0:
            out.extend(_parse("[" + buf[start:pos] + "]", object_hook, convert))
            start = pos + len(SEPARATOR)
            pos = buf.find(SEPARATOR, start)
        buf = buf[start:]
        scan = max(0, len(buf) - len(SEPARATOR) + 1)
    buf = buf.rstrip()
    if not started or not buf.endswith("]"):
        raise ValueError("truncated JSON list")
    out.extend(_parse("[" + buf[:-1] + "]", object_hook, convert))
    return out


def _parse(text: str, object_hook: Callable[[dict[str, Any]], Any] | None,
           convert: Callable[[Any], Any] | None) -> list[Any]:
    items = json.loads(text, object_hook=object_hook)
    return items if convert is None else [convert(x) for x in items]
