"""The block row writer: the same cells, values and formats xlsxwriter's own cell calls made."""

from __future__ import annotations

import math

import openpyxl
import pytest
import xlsxwriter

from evaluator.outputs import workbook as workbook_module
from evaluator.outputs.workbook import write_workbook
from evaluator.outputs.xlsx_fast import RowWriter

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

    from evaluator.outputs.xlsx_fast import Workbook

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
