"""Many rows of typed cells into an xlsxwriter worksheet, written as sheet XML a block at a time.

xlsxwriter's own cell path is slow per cell (argument decorators, a cell tuple, dimension
checks, then one XML call per attribute), too slow for a county's graded list. Here a
row is one string built from its cells' values and their formats' style indices (`add`), or a
block of rows is built a column at a time (`add_columns`), appended to the worksheet's row file
in blocks, and text goes to the workbook's shared-string table (Excel's own layout: each distinct
text is stored once; escaped when the table is written). The sheet keeps everything else from
xlsxwriter: formats, merges, widths, print set-up, autofilter.

Only for worksheets in `constant_memory` mode whose rows are written top to bottom, which is how
xlsxwriter itself streams rows; a row with its own height or format is left to xlsxwriter.
"""

from __future__ import annotations

import functools
import math
import os
import re
import shutil
import threading
import zipfile
import zlib
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain, repeat
from typing import Any

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.format import Format
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

BLOCK_ROWS = 2000  # rows held as text before they go to the row file
_INF = math.inf


class RowWriter:
    """Rows `first_row`, `first_row + 1`, … of `ws`; `add` one row, `close` when the sheet's rows end.

    A value is a number (int/float: finite numbers only, others blank), a non-empty str (shared
    string; never a formula) or None/"" (blank cell that keeps its format, as borders need).
    """

    def __init__(self, ws: Worksheet, first_row: int, n_cols: int) -> None:
        if not ws.constant_memory:
            raise ValueError("RowWriter needs a worksheet in constant_memory mode")
        self.ws = ws
        self.row = first_row
        self.first_row = first_row
        self.n_cols = n_cols
        self.letters = [xl_col_to_name(j) for j in range(n_cols)]
        self._xf: dict[int, str] = {}
        self._pending: list[str] = []  # rows, or blocks of rows, as text
        self._pending_rows = 0
        self._sst = ws.str_table
        ws._write_single_row(first_row)  # what xlsxwriter still holds (the header row) goes first

    def attr(self, fmt: Format | None) -> str:
        """A format as the cell attribute that names it (` s="7"`, or "" for the default)."""
        key = id(fmt)
        s = self._xf.get(key)
        if s is None:
            xf = fmt._get_xf_index() if fmt is not None else 0
            s = self._xf[key] = f' s="{xf}"' if xf else ""
        return s

    def add(self, values: Sequence[Any], formats: Sequence[Format | None], height: float | None = None) -> None:
        """One row; `height` in points for a row of wrapped text (LibreOffice and WPS do not grow it)."""
        self.add_styled(values, [self.attr(f) for f in formats], height)

    def add_styled(self, values: Sequence[Any], attrs: Sequence[str], height: float | None = None) -> None:
        """`add` with each cell's format already made an attribute (`attr`), as a sheet writing
        the same few formats on every row keeps them."""
        r = str(self.row + 1)
        cells = [f'<row r="{r}" ht="{height:g}" customHeight="1">' if height else f'<row r="{r}">']
        append = cells.append
        sst = self._sst
        table = sst.string_table
        texts = 0
        for letter, v, s in zip(self.letters, values, attrs):
            if type(v) is str:
                if v:
                    i = table.get(v)
                    if i is None:
                        i = table[v] = sst.unique_count
                        sst.unique_count += 1
                    texts += 1
                    append(f'<c r="{letter}{r}"{s} t="s"><v>{i}</v></c>')
                elif s:
                    append(f'<c r="{letter}{r}"{s}/>')
            elif v is not None and math.isfinite(v):
                append(f'<c r="{letter}{r}"{s}><v>{v:.16G}</v></c>')
            elif s:
                append(f'<c r="{letter}{r}"{s}/>')
        append("</row>")
        sst.count += texts
        self._pending.append("".join(cells))
        self._pending_rows += 1
        self.row += 1
        if self._pending_rows >= BLOCK_ROWS:
            self.flush()

    def add_columns(self, columns: Sequence[Sequence[Any]], is_text: Sequence[bool], attrs: Sequence[str | Sequence[str]],
                    heights: Sequence[float | None] | None = None, shared: bool = False) -> None:
        """Rows given column by column: the cells `add_styled` writes, one comprehension per column.

        A text column holds str only ("" blank), any other column numbers or None. A column's
        attribute is one str for all its cells or one per cell (a tier's fill). Shared strings
        get their indices in row order, as `add_styled` gives them, so the file is the same;
        `shared`: the texts were given to `share` already."""
        n = len(columns[0])
        first = self.row + 1
        rows = [str(r) for r in range(first, first + n)]
        if heights is None:
            heads: Iterable[str] = [f'<row r="{r}">' for r in rows]
        else:
            heads = [f'<row r="{r}" ht="{h:g}" customHeight="1">' if h else f'<row r="{r}">' for r, h in zip(rows, heights)]
        if not shared:
            self.share([c for c, t in zip(columns, is_text) if t])
        self._sst.count += sum(len(c) - c.count("") for c, t in zip(columns, is_text) if t)
        table = self._sst.string_table
        cells: list[Iterable[str]] = [heads]
        for letter, values, text, a in zip(self.letters, columns, is_text, attrs):
            if text:
                cells.append(_text_cells(letter, rows, values, a, table))
            else:
                cells.append(_number_cells(letter, rows, values, a))
        cells.append(repeat("</row>", n))
        self._pending.append("".join(["".join(r) for r in zip(*cells)]))  # a row at a time: the lock is let go between rows
        self._pending_rows += n
        self.row += n
        if self._pending_rows >= BLOCK_ROWS:
            self.flush()

    def share(self, texts: Sequence[Sequence[str]]) -> None:
        """Give each new non-empty text of these columns the next shared-string index, in row order
        (row by row, left to right: the order `add_styled` gives them). Sheets written side by side
        share their columns together first, so the file is the same as when they were written a row each in turn."""
        sst = self._sst
        table = sst.string_table
        new = [v for v in dict.fromkeys(chain.from_iterable(zip(*texts))) if v and v not in table]
        table.update(zip(new, range(sst.unique_count, sst.unique_count + len(new))))
        sst.unique_count += len(new)

    def flush(self) -> None:
        if not self._pending:
            return
        ws = self.ws
        if ws.row_data_fh_closed:
            ws._opt_reopen()
        ws.row_data_fh.write("".join(self._pending))
        self._pending.clear()
        self._pending_rows = 0

    def close(self) -> None:
        """Write what is held and tell the worksheet where its rows now end."""
        self.flush()
        ws = self.ws
        if self.row > self.first_row:
            ws._check_dimensions(self.first_row, 0)
            ws._check_dimensions(self.row - 1, self.n_cols - 1)
        ws.previous_row = self.row  # later xlsxwriter writes continue below these rows


def _text_cells(letter: str, rows: Sequence[str], values: Sequence[str], attrs: str | Sequence[str],
                table: dict[str, int]) -> list[str]:
    """A column of shared-string cells (every text already in `table`); "" is a blank that keeps its format."""
    return [f'<c r="{letter}{r}"{s} t="s"><v>{table[v]}</v></c>' if v else f'<c r="{letter}{r}"{s}/>' if s else ""
            for r, v, s in zip(rows, values, _each_cell(attrs))]


def _number_cells(letter: str, rows: Sequence[str], values: Sequence[Any], attrs: str | Sequence[str]) -> list[str]:
    """A column of number cells; None, NaN and infinities are blanks that keep their format."""
    return [f'<c r="{letter}{r}"{s}><v>{v:.16G}</v></c>' if v is not None and -_INF < v < _INF
            else f'<c r="{letter}{r}"{s}/>' if s else "" for r, v, s in zip(rows, values, _each_cell(attrs))]


def _each_cell(attrs: str | Sequence[str]) -> Iterable[str]:
    """A column's cell attributes: one for all its cells, or one each (a tier's fill)."""
    return repeat(attrs) if isinstance(attrs, str) else attrs


ZIP_LEVEL = 1  # deflate level of the .xlsx parts
_zip_lock = threading.Lock()


class _SharedStrings(SharedStringTable):
    """xlsxwriter's shared strings, put in index order without a sort.

    Every string gets the next index when first stored (by xlsxwriter and by `RowWriter` alike)
    and a dict keeps insertion order, so the table's keys are already in index order. xlsxwriter
    sorts them by index with a key function: one call that holds the interpreter lock for a
    quarter of a second over a county's hundreds of thousands of strings, freezing the window.
    """

    def _sort_string_data(self) -> None:
        table = self.string_table
        if len(table) != self.unique_count:  # not as built by sequential indices: sort as xlsxwriter does
            super()._sort_string_data()
            return
        self.string_array = list(table)
        self.string_table = {}


# What xlsxwriter's `_write_si` changes in a text other than &, < and >: its _xHHHH_ escapes,
# control characters and the two non-characters (a match across two joined texts only costs time).
_SPECIAL = re.compile("_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_SST_BLOCK = 20000  # texts escaped at once


class _SharedStringsFile(SharedStrings):
    """sharedStrings.xml, written a block of texts at a time.

    xlsxwriter writes each text with a few regular-expression calls, a second of a county's list.
    Here a block is escaped in one pass (joined by NUL, which no text in such a block contains) and
    each text is written as `_write_si` writes it, with `xml:space="preserve"` for leading or
    trailing white space. A block with any text `_SPECIAL` finds is left to xlsxwriter's own escaping.

    Every text is written as text: xlsxwriter writes a text of the form `<r>…</r>` unescaped, taking
    it for one of its rich strings, so a firm named so would make the file unreadable; the lists
    hold no rich strings."""

    def _write_si(self, string: str) -> None:
        string = self._escape_control_characters(string)
        self._xml_si_element(string, [("xml:space", "preserve")] if _edge_space(string) else [])

    def _write_sst_strings(self) -> None:
        strings = self.string_table.string_array
        for start in range(0, len(strings), _SST_BLOCK):
            block = strings[start:start + _SST_BLOCK]
            if _SPECIAL.search("".join(block)):
                for string in block:
                    self._write_si(string)
            else:
                self.fh.write("".join(_si_elements(block)))


def _si_elements(texts: list[str]) -> list[str]:
    joined = "\x00".join(texts)
    if "&" in joined or "<" in joined or ">" in joined:
        joined = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return [f'<si><t xml:space="preserve">{e}</t></si>' if _edge_space(t) else f"<si><t>{e}</t></si>"
            for t, e in zip(texts, joined.split("\x00"))]


def _edge_space(text: str) -> bool:
    """Leading or trailing white space, which Excel keeps only under `xml:space="preserve"`."""
    return text[:1].isspace() or text[-1:].isspace()


class _Packager(Packager):
    def _write_shared_strings_file(self) -> None:
        if not self.workbook.str_table.count:
            return
        sst = _SharedStringsFile()
        sst.string_table = self.workbook.str_table
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


PIECE = 4 << 20  # bytes of a part deflated as one piece


class _Deflater:
    """What zipfile compresses a part with: a raw deflate stream made, as pigz makes it, of pieces
    of `PIECE` bytes deflated on worker threads, each by a compressor of its own, each but the last
    ended on a byte boundary by a sync flush. zlib lets go of the interpreter lock while it works,
    so pieces compress side by side and beside the thread that reads the part; a piece costs a few
    bytes of output. A part smaller than a piece is deflated by the calling thread. The threads
    belong to the zip file being written (`_ZipFile`) and end with it."""

    def __init__(self, level: int, pool: ThreadPoolExecutor) -> None:
        self._level = level
        self._pool = pool
        self._held: list[bytes] = []
        self._size = 0
        self._pending: deque[Future[bytes]] = deque()

    def compress(self, data: bytes | memoryview) -> bytes:
        self._held.append(bytes(data))
        self._size += len(data)
        if self._size >= PIECE:
            self._pending.append(self._pool.submit(_deflate, self._take(), self._level, False))
        return self._ready()

    def flush(self) -> bytes:
        if not self._pending:
            return _deflate(self._take(), self._level, True)
        self._pending.append(self._pool.submit(_deflate, self._take(), self._level, True))
        out = b"".join(f.result() for f in self._pending)
        self._pending.clear()
        return out

    def _take(self) -> bytes:
        piece = b"".join(self._held)
        self._held.clear()
        self._size = 0
        return piece

    def _ready(self) -> bytes:
        """The pieces done, in order; waits for the oldest while more than two a thread are queued,
        so a part is never held whole in memory."""
        out = []
        while self._pending and (self._pending[0].done() or len(self._pending) > 2 * _WORKERS):
            out.append(self._pending.popleft().result())
        return b"".join(out)


def _deflate(data: bytes, level: int, last: bool) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


_WORKERS = max(1, min(2, os.cpu_count() or 1))


class _ZipFile(zipfile.ZipFile):
    """zipfile's writer with its parts deflated by `_Deflater` and read in 1 MB blocks.

    Its deflating threads start with the first part and end when the file is closed: no thread
    outlives a save (letter batches fork their workers only while no other thread runs)."""

    _deflate_pool: ThreadPoolExecutor | None = None

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._deflate_pool is not None:
                self._deflate_pool.shutdown(wait=True, cancel_futures=True)
                self._deflate_pool = None

    def write(self, filename: Any, arcname: Any = None, compress_type: int | None = None,
              compresslevel: int | None = None) -> None:
        """zipfile's `write`, the file read in blocks of 1 MB instead of 8 KB: a thread that wants
        the interpreter lock back after each small block would wait on the deflating threads."""
        zinfo = zipfile.ZipInfo.from_file(filename, arcname, strict_timestamps=self._strict_timestamps)  # type: ignore[attr-defined]
        if zinfo.is_dir() or not self.fp or self._writing:  # type: ignore[attr-defined]
            super().write(filename, arcname, compress_type, compresslevel)
            return
        zinfo.compress_type = self.compression if compress_type is None else compress_type
        zinfo._compresslevel = self.compresslevel if compresslevel is None else compresslevel  # type: ignore[attr-defined]
        with open(filename, "rb") as src, self.open(zinfo, "w") as dest:
            shutil.copyfileobj(src, dest, 1 << 20)

    def _open_to_write(self, zinfo: zipfile.ZipInfo, force_zip64: bool = False) -> Any:
        handle = super()._open_to_write(zinfo, force_zip64)  # type: ignore[misc]
        if zinfo.compress_type == zipfile.ZIP_DEFLATED:
            if self._deflate_pool is None:
                self._deflate_pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="xlsx-deflate")
            level = getattr(zinfo, "_compresslevel", None)
            level = level if level is not None else self.compresslevel if self.compresslevel is not None else ZIP_LEVEL
            handle._compressor = _Deflater(level, self._deflate_pool)
        return handle


class _Worksheet(Worksheet):
    """xlsxwriter's worksheet, writing every in-line text as text (see `_SharedStringsFile`)."""

    def _xml_rich_inline_string(self, string: str, attributes: Any = ()) -> None:
        self._xml_inline_string(string, _edge_space(string), list(attributes))


class Workbook(xlsxwriter.Workbook):
    """xlsxwriter's workbook, zipped at deflate level 1 instead of 6 in pieces on worker threads
    (`_Deflater`), its shared strings written a block at a time (`_SharedStringsFile`). Texts are
    always written as texts: xlsxwriter writes one of the form `<r>…</r>` unescaped (its rich
    strings, which these workbooks never use), and a firm named so would damage the file.

    A county's graded list is hundreds of MB of sheet XML: level 1 compresses it several times
    faster than level 6 for a slightly larger file (XML compresses well at any level). xlsxwriter
    names its ZipFile at module level and has no option for the level, so the name is bound to
    one with the level for the duration of the save, under a lock: saves of these workbooks take
    turns (a small list waits while a county's graded list is zipped), and a plain xlsxwriter save
    made at that moment zips the same way. Every workbook of the product goes through this class.
    """

    worksheet_class = _Worksheet

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.str_table = _SharedStrings()  # before any sheet is added: the sheets share this table

    def _get_packager(self) -> Packager:
        return _Packager()

    def _store_workbook(self) -> None:
        with _zip_lock:
            saved = xlsxwriter.workbook.ZipFile
            xlsxwriter.workbook.ZipFile = functools.partial(_ZipFile, compresslevel=ZIP_LEVEL)  # type: ignore[misc]
            try:
                super()._store_workbook()
            finally:
                xlsxwriter.workbook.ZipFile = saved  # type: ignore[misc]
