"""METHOD §2.3 merge rules on tiny files: parcel sums, name matching, bad codes, conflicts, totals."""

from __future__ import annotations

import openpyxl
import pytest

from evaluator.merge.tables import merge_tables
from evaluator.pipeline.run import import_files

from .helpers import code

A, B, C = code("91330381MA2B3C4D5"), code("91330381MA2B3C4D6"), code("91330381MA2B3C4D7")


def xlsx(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def merged(paths):
    imp = import_files(paths)
    m = merge_tables(imp.tables)
    return m.enterprises, imp.issues + m.issues


def test_parcels_summed_and_square_metres_converted(tmp_path):
    # A has parcels of 2000 m² (3 亩) and 3000 m² (4.5 亩) → 7.5 亩; B one parcel of 666.67 m² ≈ 1.000005 亩.
    land = xlsx(tmp_path / "land.xlsx", [["统一社会信用代码", "土地使用权人", "土地使用权面积（平方米）"],
                                         [A, "甲公司", 2000], [B, "乙公司", 666.67], [A, "甲公司", 3000], ["总计", None, 5666.67]])
    ent, issues = merged([land])
    assert list(ent.index) == [A, B]
    assert ent.loc[A, "land"] == pytest.approx(7.5)
    assert ent.loc[B, "land"] == pytest.approx(666.67 * 15 / 10000)
    assert ent.loc[A, "n_rows"] == 2
    assert any("3 行数据合并为 2 家企业" in i.message and "1 家企业各有多行（地块、电表、税种等，共 2 行）" in i.message for i in issues)
    assert any(i.row == 5 and "合计/小计" in i.message for i in issues)


def test_name_match_for_power_file_without_codes(tmp_path):
    stats = xlsx(tmp_path / "stats.xlsx", [["统一社会信用代码", "企业名称", "是否规上"],
                                           [A, "示范县宏远（集团）有限公司", "是"], [B, "乙 公 司", "否"]])
    power = tmp_path / "power.csv"
    power.write_bytes("用电户名,用电量(千瓦时)\n示范县宏远(集团)有限公司,10000\n 示范县宏远（集团）有限公司 ,5000\n乙公司,20000\n某村委会,300\n".encode("gbk"))
    ent, issues = merged([stats, power])
    # Half-width vs full-width brackets and spaces are normalised away; meters summed: 1.5 万千瓦时.
    assert ent.loc[A, "electricity"] == pytest.approx(1.5)
    assert ent.loc[B, "electricity"] == pytest.approx(2.0)
    # The unmatched account is kept as its own enterprise, with a warning naming file and row.
    assert ent.loc["名称:某村委会", "electricity"] == pytest.approx(0.03)
    w = [i for i in issues if i.level == "warning" and "某村委会" in i.message]
    assert w and w[0].file == "power.csv" and w[0].row == 5


def test_bad_check_character_is_an_error_and_the_row_is_kept(tmp_path):
    bad = A[:-1] + ("0" if A[-1] != "0" else "1")
    tax = xlsx(tmp_path / "tax.xlsx", [["纳税人识别号", "纳税人名称", "实缴税金（元）"], [bad, "甲公司", 100000], [B, "乙公司", 50000]])
    stats = xlsx(tmp_path / "stats.xlsx", [["统一社会信用代码", "企业名称"], [A, "甲公司"], [B, "乙公司"]])
    ent, issues = merged([stats, tax])
    assert set(ent.index) == {A, B, bad}
    assert ent.loc[bad, "tax"] == pytest.approx(10.0) and ent.loc[A, "tax"] != ent.loc[A, "tax"]  # NaN: not merged
    assert not ent.loc[bad, "code_valid"]
    err = [i for i in issues if i.level == "error" and "校验位" in i.message]
    assert len(err) == 1 and err[0].file == "tax.xlsx" and err[0].row == 2 and f"应为“{A[-1]}”" in err[0].message


def test_cross_file_conflict_first_file_wins(tmp_path):
    f1 = xlsx(tmp_path / "统计.xlsx", [["统一社会信用代码", "企业名称", "所属乡镇", "年平均职工人数"], [A, "甲", "东山镇", 100]])
    f2 = xlsx(tmp_path / "工信.xlsx", [["统一社会信用代码", "企业名称", "所属乡镇", "年平均职工人数"], [A, "甲", "北塘乡", 100.0000001]])
    ent, issues = merged([f1, f2])
    assert ent.loc[A, "township"] == "东山镇"
    w = [i for i in issues if "所属乡镇在不同文件中不一致" in i.message]
    # The place columns carry the first file's row (the value kept); the other file is named once.
    assert len(w) == 1 and (w[0].file, w[0].sheet, w[0].row, w[0].column) == ("统计.xlsx", "Sheet", 2, "所属乡镇")
    assert "本行“东山镇”" in w[0].message and "工信.xlsx / Sheet / 第 2 行“北塘乡”" in w[0].message
    assert "统计.xlsx" not in w[0].message
    assert not any("职工人数在不同文件中不一致" in i.message for i in issues)  # equal within tolerance
    ent2, _ = merged([f2, f1])
    assert ent2.loc[A, "township"] == "北塘乡"


def test_differing_non_additive_values_within_a_file_warn_and_keep_first(tmp_path):
    f = xlsx(tmp_path / "t.xlsx", [["统一社会信用代码", "企业名称", "所属乡镇", "实缴税金"],
                                   [A, "甲", "东山镇", 1], [A, "甲", "西河镇", 2]])
    ent, issues = merged([f])
    assert ent.loc[A, "township"] == "东山镇" and ent.loc[A, "tax"] == 3
    assert any("所属乡镇不一致" in i.message and "西河镇" in i.message for i in issues)


def test_duplicate_codes_across_sheets_of_one_file_are_combined(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "一季度"
    ws.append(["统一社会信用代码", "企业名称", "实缴税金"])
    ws.append([A, "甲", 1.5])
    ws2 = wb.create_sheet("二季度")
    ws2.append(["统一社会信用代码", "企业名称", "实缴税金"])
    ws2.append([A, "甲", 2.5])
    wb.save(tmp_path / "q.xlsx")
    ent, _ = merged([tmp_path / "q.xlsx"])
    assert ent.loc[A, "tax"] == 4.0


def test_missing_facts_are_placed_on_the_firms_first_row(tmp_path):
    f1 = xlsx(tmp_path / "统计.xlsx", [["统一社会信用代码", "企业名称"], [B, "乙"], [A, "甲"]])
    f2 = xlsx(tmp_path / "税务.xlsx", [["统一社会信用代码", "企业名称", "实缴税金"], [A, "甲", 5]])
    _, issues = merged([f1, f2])
    land = [i for i in issues if i.code == "missing_land" and i.key == A]
    assert len(land) == 1 and (land[0].file, land[0].sheet, land[0].row, land[0].column) == ("统计.xlsx", "Sheet", 3, "用地面积")
    assert "统计.xlsx" not in land[0].message and "第 3 行" not in land[0].message


def test_figures_in_messages_have_the_units_decimals(tmp_path):
    # 元 read as 万元 and 平方米 as 亩 leave long tails; a message shows the figure as the letter would
    f = xlsx(tmp_path / "t.xlsx", [["统一社会信用代码", "企业名称", "用地面积（平方米）", "实缴税金（元）", "年平均职工人数"],
                                   [A, "甲", -19113.94, -35012, 0], [B, "乙", 1000, 100, 3]])
    _, issues = merged([f])
    text = "\n".join(i.message for i in issues)
    assert "用地面积为 -28.67 亩（不大于 0）" in text
    assert "实缴税金为负数（-3.50 万元，" in text
    assert "年平均职工人数为 0 人" in text
    assert "28.6709" not in text and "-3.5012" not in text


def test_a_correction_notice_shows_the_figure_with_its_unit():
    import pandas as pd

    from evaluator.merge.corrections import Correction, apply_corrections

    ent = pd.DataFrame({"land": [12.345678], "tax": [1.0], "commissioned": [2019.0]}, index=pd.Index([A], name="key"))
    _, issues = apply_corrections(ent, [Correction(A, "land", 3.0, "核实"), Correction(A, "commissioned", 2020, "核实")])
    assert "由“12.35 亩”改为“3.00 亩”" in issues[0].message
    assert "由“2019”改为“2020”" in issues[1].message


def test_code_validity_of_firms_whose_code_no_row_had(tmp_path):
    # A row without a code linked (remap) to a valid code and one to a bad code: each firm's code is
    # checked, although neither code appears in any row's cell.
    bad = C[:-1] + ("0" if C[-1] != "0" else "1")
    land = xlsx(tmp_path / "land.xlsx", [["统一社会信用代码", "土地使用权人", "土地使用权面积（亩）"],
                                         [A, "甲公司", 3], [None, "乙公司", 4], [None, "丙公司", 5]])
    imp = import_files([land])
    m = merge_tables(imp.tables, remap={"名称:乙公司": B, "名称:丙公司": bad})
    ent = m.enterprises
    assert set(ent.index) == {A, B, bad}
    assert ent.loc[A, "code_valid"] and ent.loc[B, "code_valid"] and not ent.loc[bad, "code_valid"]
