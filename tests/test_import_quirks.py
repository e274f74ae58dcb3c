"""Real-world workbook quirks (issue 16): each is handled right or reported on its row, never a silent number.

Every expectation is worked out by hand from the small file built in the test.
"""

from __future__ import annotations

import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evaluator.clean.cells import clean_numbers, clean_years
from evaluator.clean.layout import parse_sheet_tables
from evaluator.core.issues import InputError
from evaluator.merge.tables import merge_tables
from evaluator.method.scheme import load_scheme
from evaluator.pipeline.run import import_files, run
from evaluator.project.model import new_project
from evaluator.read import files as readers
from evaluator.read.files import CSV_BLANK, read_file
from evaluator.read.mapping import Mapping, SheetMapping

from .helpers import code

A, B, C, D = (code(f"91330100MA2A0000{i}") for i in range(1, 5))
FIRMS = [code(f"91330100MA2B{i:05d}") for i in range(12)]


def _xlsx(path, rows, merges=(), sheet="Sheet"):  # type: ignore[no-untyped-def]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(list(r))
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


def _codes(issues, code_):  # type: ignore[no-untyped-def]
    return [i for i in issues if i.code == code_]


# --- 1. merged cells in data rows ------------------------------------------------------------------

def test_a_code_merged_over_three_parcels_keeps_all_three_parcels(tmp_path) -> None:
    """Land 10 + 20 + 30 亩 belongs to 甲 (code merged A2:A4); the township merged C2:C5 covers 乙 too."""
    path = _xlsx(tmp_path / "用地.xlsx", [
        ("统一社会信用代码", "企业名称", "所属乡镇", "土地使用权面积（亩）"),
        (A, "甲公司", "城关镇", 10), (None, None, None, 20), (None, None, None, 30), (B, "乙公司", None, 5),
    ], merges=("A2:A4", "B2:B4", "C2:C5"))
    imported = import_files([path])
    merged = merge_tables(imported.tables)
    ent = merged.enterprises
    assert ent.loc[A, "land"] == 60.0 and ent.loc[A, "n_rows"] == 3
    assert ent.loc[B, "land"] == 5.0 and ent.loc[B, "township"] == "城关镇"
    notice = _codes(imported.issues, "merged_cells_filled")
    assert len(notice) == 1 and notice[0].level == "info" and "A2:A4" in notice[0].message


def test_a_figure_merged_over_two_firms_is_an_error_on_both_rows(tmp_path) -> None:
    path = _xlsx(tmp_path / "税务.xlsx", [
        ("统一社会信用代码", "企业名称", "实缴税金"), (A, "甲公司", 100), (B, "乙公司", None),
    ], merges=("C2:C3",))
    imported = import_files([path])
    errors = _codes(imported.issues, "merged_cells_filled")
    assert [(e.level, e.row) for e in errors] == [("error", 2), ("error", 3)]
    result = run([path], load_scheme("reference"), 2025)
    keyed = {i.key for i in result.issues if i.code == "merged_cells_filled"}
    assert keyed == {A, B}  # row-located: the release gate holds both firms


def test_merged_header_cells_still_read_as_before(tmp_path) -> None:
    path = _xlsx(tmp_path / "统计.xlsx", [
        ("统一社会信用代码", "企业名称", "主要指标", None), (None, None, "营业收入", "工业增加值"),
        (A, "甲公司", 500, 100),
    ], merges=("A1:A2", "B1:B2", "C1:D1"))
    t = import_files([path]).tables[0]
    assert t.data[["revenue", "value_added"]].iloc[0].tolist() == [500.0, 100.0]


# --- 2. hidden sheets ------------------------------------------------------------------------------

def _with_hidden(tmp_path):  # type: ignore[no-untyped-def]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "本年"
    ws.append(["统一社会信用代码", "企业名称", "实缴税金"])
    ws.append([A, "甲公司", 10])
    for name, state, tax in (("上年", "hidden", 8), ("底稿", "veryHidden", 3)):
        h = wb.create_sheet(name)
        h.sheet_state = state
        h.append(["统一社会信用代码", "企业名称", "实缴税金"])
        h.append([A, "甲公司", tax])
    path = tmp_path / "税务.xlsx"
    wb.save(path)
    return path


def test_hidden_and_very_hidden_sheets_are_not_summed(tmp_path) -> None:
    path = _with_hidden(tmp_path)
    imported = import_files([path])
    assert [s.sheet for s in imported.files[0].sheets] == ["本年"]
    warned = _codes(imported.issues, "hidden_sheet_skipped")
    assert [(w.level, w.sheet) for w in warned] == [("warning", "上年"), ("warning", "底稿")]
    assert merge_tables(imported.tables).enterprises.loc[A, "tax"] == 10.0  # not 10 + 8 + 3


def test_the_mapping_opts_a_hidden_sheet_in(tmp_path) -> None:
    path = _with_hidden(tmp_path)
    mapping = Mapping([SheetMapping(file="税务.xlsx", sheet="上年", include_hidden=True)])
    imported = import_files([path], mapping)
    assert [s.sheet for s in imported.files[0].sheets] == ["本年", "上年"]
    assert _codes(imported.issues, "hidden_sheet_included")[0].sheet == "上年"
    assert merge_tables(imported.tables).enterprises.loc[A, "tax"] == 18.0


def test_a_project_rereads_a_file_when_a_hidden_sheet_is_opted_in(tmp_path) -> None:
    project = new_project(2025)
    project.add_files([_with_hidden(tmp_path)])
    assert [s.sheet for s in project.files[0].sheets] == ["本年"]
    project.set_sheet_mapping(SheetMapping(file="税务.xlsx", sheet="底稿", include_hidden=True))
    assert [s.sheet for s in project.files[0].sheets] == ["本年", "底稿"]
    assert project.run().table.loc[A, "tax"] == 13.0


# --- 3. the same content twice, and files sharing a base name -----------------------------------------

def _tax_file(path, tax=10):  # type: ignore[no-untyped-def]
    return _xlsx(path, [("统一社会信用代码", "企业名称", "实缴税金", "用地面积"), (A, "甲公司", tax, 5)])


def test_the_same_file_twice_and_a_renamed_copy_are_read_once(tmp_path) -> None:
    a = _tax_file(tmp_path / "税务.xlsx")
    copy = tmp_path / "税务（副本）.xlsx"
    copy.write_bytes(a.read_bytes())
    imported = import_files([a, a, copy])
    assert [f.name for f in imported.files] == ["税务.xlsx"]
    dup = _codes(imported.issues, "duplicate_file")
    assert len(dup) == 2 and all(d.level == "warning" and "税务.xlsx" in d.message for d in dup)
    assert merge_tables(imported.tables).enterprises.loc[A, "tax"] == 10.0  # not 20 or 30


def test_a_csv_copy_of_a_sheet_is_read_once(tmp_path) -> None:
    a = _tax_file(tmp_path / "税务.xlsx")
    c = tmp_path / "税务导出.csv"
    c.write_text(f"统一社会信用代码,企业名称,实缴税金,用地面积\n{A},甲公司,10,5\n", encoding="utf-8")
    imported = import_files([a, c])
    dup = _codes(imported.issues, "duplicate_sheet")
    assert len(dup) == 1 and dup[0].file == "税务导出.csv" and "税务.xlsx" in dup[0].message
    assert merge_tables(imported.tables).enterprises.loc[A, "tax"] == 10.0


def test_two_files_sharing_a_base_name_are_both_kept(tmp_path) -> None:
    (tmp_path / "税务").mkdir()
    (tmp_path / "用地").mkdir()
    tax = _xlsx(tmp_path / "税务" / "数据.xlsx", [("统一社会信用代码", "企业名称", "实缴税金"), (A, "甲公司", 10)])
    land = _xlsx(tmp_path / "用地" / "数据.xlsx", [("统一社会信用代码", "企业名称", "用地面积"), (A, "甲公司", 4)])
    imported = import_files([tax, land])
    assert [f.name for f in imported.files] == ["数据.xlsx", "用地/数据.xlsx"]
    ent = merge_tables(imported.tables).enterprises
    assert ent.loc[A, ["tax", "land"]].tolist() == [10.0, 4.0]
    project = new_project(2025)  # the project (and so `--project` and the app) keeps both too
    project.add_files([tax])
    project.add_files([land])
    assert [f.name for f in project.files] == ["数据.xlsx", "用地/数据.xlsx"]
    assert project.run().table.loc[A, "v_tax_per_mu"] == 2.5


def test_the_same_path_again_replaces_its_earlier_read(tmp_path) -> None:
    path = _tax_file(tmp_path / "税务.xlsx", tax=10)
    project = new_project(2025)
    project.add_files([path])
    _tax_file(path, tax=12)  # corrected by the department, imported again
    project.add_files([path])
    assert [f.name for f in project.files] == ["税务.xlsx"]
    assert project.run().table.loc[A, "tax"] == 12.0


# --- 4. several tables in one sheet -------------------------------------------------------------------

def test_stacked_tables_with_their_own_headers_and_units(tmp_path) -> None:
    """The lower table is in 元 (its own unit line) with columns in another order; titles and 续表 are no firms."""
    path = _xlsx(tmp_path / "统计.xlsx", [
        ("2024年度规上工业企业数据表",), ("金额单位：万元",),
        ("统一社会信用代码", "企业名称", "实缴税金", "用地面积"), (A, "甲公司", 10, 5), (B, "乙公司", 20, 6),
        (), ("二、规下企业",), ("单位：元",),
        ("企业名称", "统一社会信用代码", "用地面积", "实缴税金"), ("丙公司", C, 7, 30000), ("续表",), ("丁公司", D, 8, 40000),
    ])
    tables, issues = parse_sheet_tables(read_file(path).sheets[0])
    assert [t.data["_row"].tolist() for t in tables] == [[4, 5], [10, 12]]
    assert tables[1].data[["credit_code", "tax", "land"]].values.tolist() == [[C, 3.0, 7.0], [D, 4.0, 8.0]]
    assert _codes(issues, "second_table")[0].row == 9
    assert [i.row for i in _codes(issues, "continuation_row")] == [11]
    names = pd.concat([t.data["name"] for t in tables]).tolist()
    assert names == ["甲公司", "乙公司", "丙公司", "丁公司"]


def test_a_repeated_header_and_a_title_in_the_middle_are_skipped(tmp_path) -> None:
    path = _xlsx(tmp_path / "税务.xlsx", [
        ("统一社会信用代码", "企业名称", "实缴税金"), (A, "甲公司", 10),
        ("表2 续",), ("统一社会信用代码", "企业名称", "实缴税金"), (B, "乙公司", 20),
    ])
    tables, issues = parse_sheet_tables(read_file(path).sheets[0])
    assert len(tables) == 1 and tables[0].data["name"].tolist() == ["甲公司", "乙公司"]
    assert {i.code for i in issues if i.row in (3, 4)} == {"continuation_row", "header_repeated"}


def test_side_by_side_tables_are_both_read(tmp_path) -> None:
    path = _xlsx(tmp_path / "汇总.xlsx", [
        ("统一社会信用代码", "企业名称", "实缴税金", None, "企业名称", "统一社会信用代码", "用电量"),
        (A, "甲公司", 10, None, "丙公司", C, 100), (B, "乙公司", 20, None, "丁公司", D, 200),
    ])
    tables, issues = parse_sheet_tables(read_file(path).sheets[0])
    assert [t.data["credit_code"].tolist() for t in tables] == [[A, B], [C, D]]
    assert tables[1].sheet == "Sheet（E列起）" and tables[1].data["electricity"].tolist() == [100.0, 200.0]
    assert len(_codes(issues, "second_table")) == 1


# --- 5. years ------------------------------------------------------------------------------------------

def test_commissioning_years_from_every_form() -> None:
    import datetime as dt

    vals = ["42024", 42024.0, "2015-03", "2015年3月", "2015.03", 2015.03, "201503", 20150301,
            dt.datetime(2015, 3, 1), "２０１５年"]
    years, bad = clean_years(pd.Series(vals, dtype=object))
    assert years.tolist() == [2015.0] * len(vals) and not bad.any()
    years, bad = clean_years(pd.Series(["去年", "12345", "—", ""], dtype=object))
    assert np.isnan(years).all() and bad.tolist() == [True, True, False, False]


def test_a_text_serial_date_is_not_an_exemption(tmp_path) -> None:
    """42024 is 2015-01-20: in 2025 the firm is evaluated, not exempted as commissioned in 2024."""
    path = tmp_path / "工信.csv"
    path.write_text(f"统一社会信用代码,企业名称,投产时间,用地面积,实缴税金\n{A},甲公司,42024,10,5\n", encoding="utf-8")
    t = run([path], load_scheme("reference"), 2025).table
    assert t.loc[A, "commissioned"] == 2015 and t.loc[A, "status"] == "evaluated"


# --- 6. numbers ---------------------------------------------------------------------------------------

def test_infinite_and_absurd_values_are_errors_on_their_cells(tmp_path) -> None:
    path = tmp_path / "税务.csv"
    path.write_text(f"统一社会信用代码,企业名称,实缴税金,用地面积\n{A},甲公司,inf,10\n{B},乙公司,1e999,10\n"
                    f"{C},丙公司,1e308,10\n{D},丁公司,Infinity,10\n", encoding="utf-8")
    result = run([path], load_scheme("reference"), 2025)
    found = {(i.row, i.code, i.level) for i in result.issues if i.code in ("value_not_finite", "value_absurd")}
    assert found == {(2, "value_not_finite", "error"), (3, "value_not_finite", "error"),
                     (4, "value_absurd", "error"), (5, "value_not_finite", "error")}
    assert result.table["tax"].isna().all()
    assert {i.key for i in result.issues if i.code.startswith("value_")} == {A, B, C, D}


def test_clean_numbers_rejects_non_finite_numeric_columns() -> None:
    nums, why = clean_numbers(pd.Series([1e308 * 10, 2.0, 1e16]))
    assert np.isnan(nums[[0, 2]]).all() and nums[1] == 2.0 and why.tolist() == [6, 0, 7]


def test_a_value_a_thousand_times_the_median_is_a_unit_suspect(tmp_path) -> None:
    """Twelve firms pay 8–19 万元; 甲 is given 150 000, as if in 元 under a 万元 header: the median of the
    13 firms is the 7th value, 14, and 150 000 is 10 714 times it."""
    lines = ["统一社会信用代码,企业名称,实缴税金,用地面积"]
    lines += [f"{c},企业{i},{8 + i},{10 + i}" for i, c in enumerate(FIRMS)]
    lines.append(f"{A},甲公司,150000,12")
    path = tmp_path / "税务.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run([path], load_scheme("reference"), 2025)
    suspects = [i for i in result.issues if i.code == "unit_suspect"]
    assert [(s.level, s.row, s.key) for s in suspects] == [("warning", 14, A)]
    assert "元/万元混用" in suspects[0].message and "中位数（14.00 万元）" in suspects[0].message
    assert result.table.loc[A, "tax"] == 150000.0  # the value is not changed


# --- 7. bounded resources -----------------------------------------------------------------------------

def test_one_stray_cell_at_xfd1048576_refuses_that_sheet_only(tmp_path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "税务"
    ws.append(["统一社会信用代码", "企业名称", "实缴税金"])
    ws.append([A, "甲公司", 10])
    ws["XFD1048576"] = "x"
    other = wb.create_sheet("用地")
    other.append(["统一社会信用代码", "企业名称", "用地面积"])
    other.append([A, "甲公司", 5])
    path = tmp_path / "税务.xlsx"
    wb.save(path)
    rf = read_file(path)  # would ask calamine for 512 GiB and abort the process
    assert [s.sheet for s in rf.sheets] == ["用地"]
    refused = _codes(rf.issues, "range_absurd")
    assert len(refused) == 1 and refused[0].level == "error" and "XFD1048576" in refused[0].message


def test_a_member_that_inflates_a_thousandfold_is_refused(tmp_path, monkeypatch) -> None:
    """One long shared string in a small file (the 1 GiB case, scaled down by the limits)."""
    monkeypatch.setattr(readers, "MEMBER_RATIO_FROM", 1 << 20)
    small = _xlsx(tmp_path / "小.xlsx", [("企业名称", "实缴税金"), ("甲公司", 1)])
    path = tmp_path / "大.xlsx"
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/sharedStrings.xml", '<sst><si><t>' + "啊" * (2 << 20) + "</t></si></sst>")
    with pytest.raises(InputError) as exc:
        read_file(path)
    assert exc.value.code == "payload_too_large" and "共享字符串" in str(exc.value)
    imported = import_files([path])  # in a run: one error line, the other files go on
    assert _codes(imported.issues, "payload_too_large")[0].level == "error"


def test_millions_of_blank_csv_lines_cost_pointers_and_keep_row_numbers(tmp_path) -> None:
    path = tmp_path / "供电.csv"
    path.write_bytes(f"企业名称,统一社会信用代码,用电量\n甲公司,{A},100\n".encode() + b"\n" * 300_000
                     + f"乙公司,{B},200\n".encode() + b",,\n" * 1_000_000)
    sheet = read_file(path).sheets[0]
    assert sheet.n_rows == 300_003  # trailing blank lines dropped
    assert all(r is CSV_BLANK for r in sheet.rows[2:300_002])
    t = import_files([path]).tables[0]
    assert t.data["_row"].tolist() == [2, 300_003] and t.skipped["空行"] == 300_000


# --- 8. CSV -------------------------------------------------------------------------------------------

def test_semicolon_csv_with_a_quoted_comma(tmp_path) -> None:
    path = tmp_path / "税务.csv"
    path.write_text(f'统一社会信用代码;企业名称;实缴税金\n{A};"甲,乙联合公司";10\n{B};丙公司;20\n', encoding="utf-8")
    t = import_files([path]).tables[0]
    assert t.data["name"].tolist() == ["甲,乙联合公司", "丙公司"] and t.data["tax"].tolist() == [10.0, 20.0]


def test_utf16_unicode_text_is_read(tmp_path) -> None:
    path = tmp_path / "统计.txt"
    path.write_bytes(f"统一社会信用代码\t企业名称\t营业收入\r\n{A}\t甲公司\t500\r\n".encode("utf-16"))
    rf = read_file(path)
    assert rf.sheets[0].encoding == "utf-16" and rf.sheets[0].rows[1] == (A, "甲公司", "500")


def test_bom_then_gbk_is_read_as_gbk_with_a_warning(tmp_path) -> None:
    path = tmp_path / "税务.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"统一社会信用代码,企业名称\n{A},甲公司\n".encode("gbk"))
    rf = read_file(path)
    assert rf.sheets[0].rows[1] == (A, "甲公司")
    assert any(i.code == "csv_encoding" and i.level == "warning" for i in rf.issues)


def test_a_csv_mixing_utf8_and_gbk_lines_is_refused_with_how_to_fix(tmp_path) -> None:
    path = tmp_path / "税务.csv"
    path.write_bytes("企业名称,实缴税金\n甲公司,1\n".encode("utf-8") + "乙公司,2\n".encode("gbk"))
    with pytest.raises(InputError) as exc:
        read_file(path)
    assert exc.value.code == "csv_encoding_mixed" and "第 1 行" in str(exc.value) and "第 3 行" in str(exc.value)
    assert "另存为" in str(exc.value)


def test_a_zero_width_space_in_a_code_is_stripped_with_a_notice(tmp_path) -> None:
    path = tmp_path / "税务.csv"
    path.write_text(f"统一社会信用代码,企业名称,实缴税金\n{A[:5]}\u200b{A[5:]},甲公司,10\n", encoding="utf-8")
    imported = import_files([path])
    assert imported.tables[0].data["credit_code"].tolist() == [A]
    notice = _codes(imported.issues, "invisible_char")
    assert notice and "\\u200b" in notice[0].message and notice[0].row == 2


def test_a_control_character_left_in_a_bad_code_is_shown(tmp_path) -> None:
    path = tmp_path / "税务.csv"
    bad = A[:17] + "\x07"
    path.write_text(f"统一社会信用代码,企业名称,实缴税金\n{bad},甲公司,10\n", encoding="utf-8")
    result = run([path], load_scheme("reference"), 2025)
    msg = next(i.message for i in result.issues if i.code == "code_invalid")
    assert "\\u0007" in msg


def test_sniffing_picks_the_delimiter_that_gives_consistent_rows() -> None:
    assert readers.sniff_delimiter('a;b;c\n1;"x,y";3\n') == ";"
    assert readers.sniff_delimiter("a,b\n1,2\n") == ","
    assert readers.sniff_delimiter("a\tb\tc\n1\t2\t3\n") == "\t"


def _zip_ratio_of(path):  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(path) as zf:
        return max(i.file_size / max(i.compress_size, 1) for i in zf.infolist())


def test_ordinary_workbooks_stay_far_below_the_inflation_limit(sample_files) -> None:
    for p in sample_files:
        if p.suffix == ".xlsx":
            assert _zip_ratio_of(p) < readers.MEMBER_RATIO_MAX / 4


def test_the_same_header_under_a_unit_line_of_its_own_starts_another_table(tmp_path) -> None:
    """规上 in 万元 above, 规下 in 元 below with the same columns: 30000 元 is 3 万元, not 30000 万元."""
    path = _xlsx(tmp_path / "税务.xlsx", [
        ("金额单位：万元",), ("统一社会信用代码", "企业名称", "实缴税金"), (A, "甲公司", 10),
        ("规下企业（金额单位：元）",), ("统一社会信用代码", "企业名称", "实缴税金"), (B, "乙公司", 30000),
    ])
    tables, issues = parse_sheet_tables(read_file(path).sheets[0])
    assert [t.data["tax"].tolist() for t in tables] == [[10.0], [3.0]]
    assert _codes(issues, "second_table")[0].row == 5


def test_a_unit_line_with_no_header_under_it_is_a_warning_not_a_firm(tmp_path) -> None:
    path = _xlsx(tmp_path / "税务.xlsx", [
        ("统一社会信用代码", "企业名称", "实缴税金"), (A, "甲公司", 10), (None, "单位：元", None), (B, "乙公司", 30000),
    ])
    tables, issues = parse_sheet_tables(read_file(path).sheets[0])
    assert tables[0].data["name"].tolist() == ["甲公司", "乙公司"]
    assert [(i.level, i.row) for i in _codes(issues, "unit_line_in_data")] == [("warning", 3)]


def test_a_table_without_firm_keys_beside_another_is_an_error_not_attached_to_firms(tmp_path) -> None:
    """A township summary right of the firm table: its 实缴税金 must not land on 甲 and 乙 by row."""
    path = _xlsx(tmp_path / "汇总.xlsx", [
        ("统一社会信用代码", "企业名称", "用地面积", None, "所属乡镇", "实缴税金"),
        (A, "甲公司", 5, None, "城关镇", 900), (B, "乙公司", 6, None, None, None),
        (C, "丙公司", 7, None, None, None),
    ])
    tables, issues = parse_sheet_tables(read_file(path).sheets[0])
    assert len(tables) == 1 and "tax" not in tables[0].data and "township" not in tables[0].data
    err = _codes(issues, "table_unreadable")
    assert len(err) == 1 and err[0].level == "error" and "E1:F2" in err[0].message


def test_a_spacer_column_inside_one_table_keeps_its_columns(tmp_path) -> None:
    path = _xlsx(tmp_path / "税务.xlsx", [
        ("统一社会信用代码", "企业名称", "用地面积", None, "实缴税金"),
        (A, "甲公司", 5, None, 10), (B, "乙公司", 6, None, 20),
    ])
    tables, issues = parse_sheet_tables(read_file(path).sheets[0])
    assert len(tables) == 1 and tables[0].data["tax"].tolist() == [10.0, 20.0]
    assert not _codes(issues, "table_unreadable") and not _codes(issues, "second_table")
