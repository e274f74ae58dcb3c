"""The block row writer: the same cells, values and formats xlsxwriter's own cell calls made."""

from __future__ import annotations

import datetime as dt
import math
import types
import threading
import zipfile

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from evaluator.outputs import workbook as workbook_module
from evaluator.outputs.workbook import write_workbook
from evaluator.outputs.xlsx_fast import RowWriter, Workbook

from .outputs_fixtures import hostile_result, settings


class CellByCell:
    """The writer before: one xlsxwriter call per cell (write_number / write_string / write_blank)."""

    def __init__(self, ws, first_row: int, n_cols: int) -> None:
        self.ws, self.row = ws, first_row

    def add(self, values, formats, height=None) -> None:
        if height:
            self.ws.set_row(self.row, height)
        for j, (v, f) in enumerate(zip(values, formats)):
            if v is None or v == "" or (not isinstance(v, str) and not math.isfinite(v)):
                self.ws.write_blank(self.row, j, None, f)
            elif isinstance(v, str):
                self.ws.write_string(self.row, j, v, f)
            else:
                self.ws.write_number(self.row, j, v, f)
        self.row += 1

    def attr(self, fmt):  # type: ignore[no-untyped-def]  # the formats themselves stand for their attributes
        return fmt

    def add_styled(self, values, attrs, height=None) -> None:  # type: ignore[no-untyped-def]
        self.add(values, attrs, height)

    def add_columns(self, columns, is_text, attrs, heights=None, shared=False) -> None:  # type: ignore[no-untyped-def]
        n = len(columns[0])
        per_cell = [a if isinstance(a, list) else [a] * n for a in attrs]
        for i in range(n):
            self.add([c[i] for c in columns], [a[i] for a in per_cell], heights[i] if heights else None)

    def share(self, texts) -> None:  # type: ignore[no-untyped-def]  # xlsxwriter's own calls share as they write
        pass

    def close(self) -> None:
        pass


def _style(c) -> tuple:
    return (c.number_format, c.font.b, c.font.name, c.font.sz, c.fill.fgColor.rgb if c.fill.fill_type else None,
            c.alignment.horizontal, c.alignment.vertical, c.alignment.wrap_text, c.border.left.style)


def _cells(path) -> dict:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": [[(c.value, _style(c)) for c in row] for row in ws.iter_rows()],
            "filter": ws.auto_filter.ref, "freeze": ws.freeze_panes, "merged": sorted(map(str, ws.merged_cells.ranges)),
            "print": (ws.print_title_rows, ws.page_setup.orientation, ws.page_setup.paperSize, ws.oddFooter.center.text),
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
        }
    return out


@pytest.mark.parametrize("which", ["sample", "hostile"])
def test_workbook_same_cells_and_formats_as_cell_by_cell(which, sample_result, tmp_path, monkeypatch):
    result = sample_result if which == "sample" else hostile_result(tmp_path)
    fast = write_workbook(result, tmp_path / "fast.xlsx", settings())
    monkeypatch.setattr(workbook_module, "RowWriter", CellByCell)
    slow = write_workbook(result, tmp_path / "slow.xlsx", settings())
    a, b = _cells(fast), _cells(slow)
    assert a.keys() == b.keys()
    for sheet in a:
        assert a[sheet] == b[sheet], sheet


def test_rows_values_blanks_and_shared_text(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("s")
    bold = wb.add_format({"bold": True, "border": 1})
    ws.write_string(0, 0, "表头", bold)
    rows = RowWriter(ws, 1, 4)
    rows.add([1.5, "=1+1", None, float("nan")], [None, bold, bold, bold])
    rows.add([2, "甲 ", "", math.inf], [bold, None, None, bold])
    rows.add(["=1+1", "<b>&</b>", 1e-7, 12345678901234567.0], [None, None, None, None])
    rows.close()
    ws.write_string(rows.row, 0, "合计", bold)  # xlsxwriter goes on below the block
    wb.close()
    got = [[c.value for c in r] for r in openpyxl.load_workbook(path)["s"].iter_rows()]
    assert got == [["表头", None, None, None],
                   [1.5, "=1+1", None, None],
                   [2, "甲 ", None, None],
                   ["=1+1", "<b>&</b>", 1e-7, 1.234567890123457e16],
                   ["合计", None, None, None]]
    sheet = openpyxl.load_workbook(path)["s"]
    assert sheet["C2"].font.b and sheet["C2"].border.left.style == "thin"  # a blank keeps its format
    assert sheet.max_row == 5 and sheet.max_column == 4


def test_shared_strings_in_index_order_without_a_sort(tmp_path, monkeypatch):
    # Strings stored by xlsxwriter's calls and by the row writer, on two sheets, repeated: each cell
    # reads back its own text although the table is put in order without xlsxwriter's sort.
    from xlsxwriter.sharedstrings import SharedStringTable

    def no_sort(self):
        raise AssertionError("xlsxwriter's sort of the shared strings was called")

    monkeypatch.setattr(SharedStringTable, "_sort_string_data", no_sort)
    path = tmp_path / "t.xlsx"
    wb = Workbook(str(path), {"constant_memory": True})
    a, b = wb.add_worksheet("甲"), wb.add_worksheet("乙")
    a.write_string(0, 0, "表头")
    rows = RowWriter(a, 1, 2)
    for i in range(300):
        rows.add([f"企业{i % 70}", f"乡镇{i % 7}"], [None, None])
    rows.close()
    b.write_string(0, 0, "乡镇3")
    b.write_string(1, 0, "只在乙表")
    wb.close()
    book = openpyxl.load_workbook(path)
    got = [[c.value for c in r] for r in book["甲"].iter_rows()]
    assert got == [["表头", None]] + [[f"企业{i % 70}", f"乡镇{i % 7}"] for i in range(300)]
    assert [r[0].value for r in book["乙"].iter_rows()] == ["乡镇3", "只在乙表"]


class RowByRow(RowWriter):
    """The writer before columns: `add_styled` a row at a time, each text shared as it is met."""

    def share(self, texts) -> None:  # type: ignore[no-untyped-def]
        pass

    def add_columns(self, columns, is_text, attrs, heights=None, shared=False) -> None:  # type: ignore[no-untyped-def]
        n = len(columns[0])
        per_cell = [[a] * n if isinstance(a, str) else a for a in attrs]
        for i in range(n):
            self.add_styled([c[i] for c in columns], [a[i] for a in per_cell], heights[i] if heights else None)


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core.xml: the time of writing


@pytest.mark.parametrize("which", ["sample", "hostile"])
def test_workbook_by_columns_is_byte_for_byte_the_workbook_by_rows(which, sample_result, tmp_path, monkeypatch):
    # Every sheet's XML, the shared strings (their order too), the styles (tier fills are numbered
    # as first used): the same bytes as a workbook written a row of each sheet in turn.
    class FixedTime(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def]
            return cls(2026, 3, 1, 9, 30)

    monkeypatch.setattr(workbook_module, "dt", types.SimpleNamespace(datetime=FixedTime))
    result = sample_result if which == "sample" else hostile_result(tmp_path)
    by_columns = _parts(write_workbook(result, tmp_path / "columns.xlsx", settings()))
    monkeypatch.setattr(workbook_module, "RowWriter", RowByRow)
    monkeypatch.setattr(workbook_module, "BLOCK", 1)
    by_rows = _parts(write_workbook(result, tmp_path / "rows.xlsx", settings()))
    assert by_columns.keys() == by_rows.keys()
    for name in by_rows:
        assert by_columns[name] == by_rows[name], name
    assert which == "sample" or "A&amp;B&lt;i&gt;镇".encode() in by_rows["xl/sharedStrings.xml"]


def test_columns_write_the_cells_rows_write(tmp_path):
    # Numbers, NaN/inf/None blanks, texts shared across columns and rows, "" blanks with and without
    # a format (a cell without one is left out), per-cell formats and row heights; in two blocks.
    columns = [[1.5, float("nan"), None, math.inf, -0.0, 12345678901234567.0, 1e-7],
               ["甲", "", "乙", "甲", "<&>", " 空格", "乙"],
               ["乙", "丙", "", "甲", "", "", "丁"],
               [3, 2, 1, 0, -1, 2 ** 53, 9.2],
               ["", "", "A", "B", "", "A", ""]]
    is_text = [False, True, True, False, True]
    heights = [None, 27.0, None, None, 40.5, None, None]

    def write(path, by_columns: bool) -> dict[str, bytes]:
        wb = Workbook(str(path), {"constant_memory": True})
        ws = wb.add_worksheet("s")
        bold, fill = wb.add_format({"bold": True}), wb.add_format({"bg_color": "#DDEFD9"})
        ws.write_string(0, 0, "表头", bold)
        rows = RowWriter(ws, 1, 5)
        b, f = rows.attr(bold), rows.attr(fill)
        attrs = [b, "", [f, b, f, f, b, "", f], b, [b, "", f, f, "", "", b]]
        if by_columns:
            for part in (slice(0, 3), slice(3, 7)):
                rows.add_columns([c[part] for c in columns], is_text,
                                 [a if isinstance(a, str) else a[part] for a in attrs], heights[part])
        else:
            for i in range(7):
                rows.add_styled([c[i] for c in columns], [a if isinstance(a, str) else a[i] for a in attrs], heights[i])
        rows.close()
        ws.write_string(rows.row, 0, "合计", bold)
        wb.close()
        return _parts(path)

    a, b = write(tmp_path / "c.xlsx", True), write(tmp_path / "r.xlsx", False)
    for name in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml"):
        assert a[name] == b[name], name
    sheet = a["xl/worksheets/sheet1.xml"]
    assert b'<c r="B3"/>' not in sheet and b'<c r="B3" ' not in sheet  # blank without a format: no cell
    assert b'ht="27"' in sheet and b"<v>9.199999999999999</v>" in sheet  # xlsxwriter's %.16G


@pytest.mark.parametrize("texts", [
    ["企业甲", "A&B<i>镇</i>", " 前空格", "后空格 ", "一\n二", "x\ty", "=1+1", "'引号\"", "\u3000全角", "尾\n"],
    ["普通", "_x0041_ 像转义", "控制\x01符", "非字符\ufffe", "尾"],  # what only xlsxwriter's own escaping handles
])
def test_shared_strings_file_is_xlsxwriters(texts, tmp_path, monkeypatch):
    from xlsxwriter.sharedstrings import SharedStrings

    from evaluator.outputs import xlsx_fast

    def sst_xml(writer) -> str:
        table = xlsx_fast._SharedStrings()
        for t in texts:
            table._get_shared_string_index(t)
        table._sort_string_data()
        sst = writer()
        sst.string_table = table
        out = tmp_path / "sst.xml"
        sst._set_xml_writer(str(out))
        sst._assemble_xml_file()
        return out.read_text(encoding="utf-8")

    monkeypatch.setattr(xlsx_fast, "_SST_BLOCK", 3)  # blocks with and without a special text
    assert sst_xml(xlsx_fast._SharedStringsFile) == sst_xml(SharedStrings)


@pytest.mark.parametrize("special", [False, True])
def test_a_text_shaped_like_a_rich_string_is_written_as_text(special, tmp_path):
    # xlsxwriter writes `<r>…</r>` raw (its rich strings), which a firm's name must never be:
    # Excel would find the file damaged. Here every text is escaped, in blocks with and without
    # a text only xlsxwriter's escaping handles.
    import openpyxl

    from evaluator.outputs import xlsx_fast

    names = ["<r>甲</r>", "<r><t>乙</t></r>", "丙"] + (["控制\x01符"] if special else [])
    path = tmp_path / "r.xlsx"
    wb = xlsx_fast.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("名单")
    ws.write_string(0, 0, "企业名称")
    rows = RowWriter(ws, 1, 1)
    for name in names:
        rows.add([name], [None])
    rows.close()
    wb.close()
    with zipfile.ZipFile(path) as z:
        sst = z.read("xl/sharedStrings.xml").decode()
    assert "<si><r>" not in sst and "&lt;r&gt;甲&lt;/r&gt;" in sst
    got = [c.value for c in openpyxl.load_workbook(path).active["A"][1:]]
    assert got[:3] == names[:3]


def test_parts_deflated_in_pieces_read_back_whole(tmp_path, monkeypatch):
    # A part of many pieces (deflated on worker threads, joined by sync flushes), a part smaller
    # than a piece and an empty one: zipfile and calamine read every byte back (zipfile checks the CRC).
    from evaluator.outputs import xlsx_fast

    monkeypatch.setattr(xlsx_fast, "PIECE", 1000)  # a piece for each block of 1 MB read
    big = "".join(f"<row r=\"{i}\"><c><v>{i * 7 % 1000}</v></c></row>" for i in range(120000)).encode()
    assert len(big) > 4 << 20
    src = tmp_path / "big.xml"
    src.write_bytes(big)
    with xlsx_fast._ZipFile(tmp_path / "z.zip", "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.write(src, "big.xml")
        pool = z._deflate_pool
        z.writestr("small.xml", "<a/>")
        z.writestr("empty.xml", "")
    with pytest.raises(RuntimeError):  # its deflating threads were shut down with the file
        pool.submit(len, b"")
    with zipfile.ZipFile(tmp_path / "z.zip") as z:
        assert z.testzip() is None
        assert z.read("big.xml") == big and z.read("small.xml") == b"<a/>" and z.read("empty.xml") == b""
        assert z.getinfo("big.xml").compress_size < len(big) / 3
    # no deflating thread outlives the file: a letter batch after a save may still fork its workers
    assert not [t for t in threading.enumerate() if t.name.startswith("xlsx-deflate")]

    path = tmp_path / "t.xlsx"
    wb = Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("s")
    rows = RowWriter(ws, 0, 2)
    for i in range(3000):
        rows.add([i, f"企业{i}"], [None, None])
    rows.close()
    wb.close()
    got = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("s").to_python()
    assert got[2999] == [2999.0, "企业2999"] and len(got) == 3000


def test_an_in_line_text_shaped_like_a_rich_string_is_written_as_text(tmp_path):
    # constant_memory sheets write texts in line; xlsxwriter writes `<r>…</r>` there unescaped too
    import openpyxl

    from evaluator.outputs import xlsx_fast

    path = tmp_path / "i.xlsx"
    wb = xlsx_fast.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("名单")
    ws.write_string(0, 0, "<r>宏达</r>")
    ws.write_string(1, 0, " <r>前空格</r>")
    wb.close()
    ws = openpyxl.load_workbook(path).active
    assert [ws["A1"].value, ws["A2"].value] == ["<r>宏达</r>", " <r>前空格</r>"]
