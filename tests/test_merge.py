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
    assert len(w) == 1 and "统计.xlsx 为“东山镇”" in w[0].message and "工信.xlsx 为“北塘乡”" in w[0].message
    assert w[0].file == "工信.xlsx" and w[0].row == 2
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
