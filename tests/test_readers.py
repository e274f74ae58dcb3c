"""Raw grids as read: Excel positions kept, error cells put back, rows that the cycle collector skips."""

from __future__ import annotations

import gc

import openpyxl

from evaluator.read import files as readers
from evaluator.read.files import RawSheet, read_file


def _workbook(tmp_path, rows: int = 5000):  # type: ignore[no-untyped-def]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "税务"
    ws["C1"] = "企业名称"  # the used range starts in column C: positions must stay Excel's
    ws["D1"] = "实缴税金"
    for i in range(rows):
        ws.cell(i + 2, 3, f"企业{i}")
        ws.cell(i + 2, 4, i * 1.5)
    ws["D3"] = "#DIV/0!"  # an error cell: calamine reads it as empty, the reader puts the text back
    path = tmp_path / "税务.xlsx"
    wb.save(path)
    return path


def test_rows_keep_excel_columns_across_row_blocks(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(readers, "ROW_BLOCK", 7)  # many blocks, one of them partial
    sheet = read_file(_workbook(tmp_path, rows=50)).sheets[0]
    assert sheet.n_rows == 51
    assert sheet.rows[0] == ("", "", "企业名称", "实缴税金")
    assert sheet.rows[1][2:] == ("企业0", 0.0)
    assert sheet.rows[2][3] == "#DIV/0!"
    assert sheet.rows[50][2:] == ("企业49", 49 * 1.5)


def test_rows_are_tuples_the_cycle_collector_lets_go(tmp_path) -> None:
    """A list row stays tracked for ever; 400k of them made every full collection ~0.1 s."""
    sheet = read_file(_workbook(tmp_path)).sheets[0]
    assert all(type(r) is tuple for r in sheet.rows)
    gc.collect()
    assert not any(gc.is_tracked(r) for r in sheet.rows)


def test_list_rows_given_by_callers_become_tuples() -> None:
    s = RawSheet("a.csv", "a", [["企业名称", "税金"], ("甲", 1.0)])
    assert s.rows == [("企业名称", "税金"), ("甲", 1.0)]
    assert s == RawSheet("a.csv", "a", [("企业名称", "税金"), ["甲", 1.0]])


def test_special_markup_found_across_block_boundaries(tmp_path) -> None:
    """Formulas are searched for a block at a time; a marker split between two blocks still counts."""
    import zipfile

    path = tmp_path / "x.zip"
    head = b"x" * ((1 << 20) - 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("split.xml", head + b'<f>A1</f>')
        zf.writestr("plain.xml", b"<c><v>1</v></c>" * 100_000)
    with zipfile.ZipFile(path) as zf:
        assert readers._stream_scan(zf, "split.xml").special
        assert not readers._stream_scan(zf, "plain.xml").special
        assert readers._stream_scan(zf, "missing.xml") is None


def test_markup_search_by_rare_byte_agrees_with_a_plain_search():
    # The sheet scan looks for `<f` and `t="e"` by their scarce byte; crowded windows fall back.
    import random

    from evaluator.read.files import RARE_HITS, _contains

    rnd = random.Random(15)
    windows = [b"", b"<f", b'<c t="e">', b"f" * (RARE_HITS * 3) + b"<f>", b"e" * (RARE_HITS + 1) + b't="e"']
    windows += [bytes(rnd.choice(b'<ft="e >') for _ in range(rnd.randint(0, 60))) for _ in range(5000)]
    for w in windows:
        assert _contains(w, b"<f", 1) == (b"<f" in w)
        assert _contains(w, b't="e"', 3) == (b't="e"' in w)
