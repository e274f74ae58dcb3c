"""Many rows of typed cells into an xlsxwriter worksheet, written as sheet XML a block at a time.

xlsxwriter's own cell path is slow per cell (argument decorators, a cell tuple, dimension
checks, then one XML call per attribute), too slow for a county's graded list. Here a
row is one string built from its cells' values and their formats' style indices, appended to the
worksheet's row file in blocks, and text goes to the workbook's shared-string table (Excel's own
layout: each distinct text is stored once; xlsxwriter escapes it when it writes the table). The
sheet keeps everything else from xlsxwriter: formats, merges, widths, print set-up, autofilter.

Only for worksheets in `constant_memory` mode whose rows are written top to bottom, which is how
xlsxwriter itself streams rows; a row with its own height or format is left to xlsxwriter.
"""

from __future__ import annotations

import functools
import math
import threading
import zipfile
from collections.abc import Sequence
from typing import Any

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.format import Format
from xlsxwriter.sharedstrings import SharedStringTable
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

BLOCK_ROWS = 2000  # rows held as text before they go to the row file


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
        self._pending: list[str] = []
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
        self.row += 1
        if len(self._pending) >= BLOCK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        ws = self.ws
        if ws.row_data_fh_closed:
            ws._opt_reopen()
        ws.row_data_fh.write("".join(self._pending))
        self._pending.clear()

    def close(self) -> None:
        """Write what is held and tell the worksheet where its rows now end."""
        self.flush()
        ws = self.ws
        if self.row > self.first_row:
            ws._check_dimensions(self.first_row, 0)
            ws._check_dimensions(self.row - 1, self.n_cols - 1)
        ws.previous_row = self.row  # later xlsxwriter writes continue below these rows


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


class Workbook(xlsxwriter.Workbook):
    """xlsxwriter's workbook, zipped at deflate level 1 instead of 6.

    A county's graded list is hundreds of MB of sheet XML: level 1 compresses it several times
    faster than level 6 for a slightly larger file (XML compresses well at any level). xlsxwriter
    names its ZipFile at module level and has no option for the level, so the name is bound to
    one with the level for the duration of the save, under a lock.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.str_table = _SharedStrings()  # before any sheet is added: the sheets share this table

    def _store_workbook(self) -> None:
        with _zip_lock:
            saved = xlsxwriter.workbook.ZipFile
            xlsxwriter.workbook.ZipFile = functools.partial(zipfile.ZipFile, compresslevel=ZIP_LEVEL)  # type: ignore[misc]
            try:
                super()._store_workbook()
            finally:
                xlsxwriter.workbook.ZipFile = saved  # type: ignore[misc]
