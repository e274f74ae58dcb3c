"""Header detection, units and row classification on the layouts departments really send."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pytest

from evaluator.clean.sheets import parse_sheet
from evaluator.read.files import read_file
from evaluator.read.mapping import mapping_from_dict

from .helpers import code

C1, C2, C3 = code("91330381MA2B3C4D5"), code("91330381MA2B3C4D6"), code("91330381MA2B3C4D7")


def parse(path, mapping=None):
    rf = read_file(path)
    out = []
    for sh in rf.sheets:
        m = mapping.find(rf.name, sh.sheet) if mapping else None
        out.append(parse_sheet(sh, m))
    return out


def stats_workbook(path):
    """统计局 style: title, unit line, two-row merged header, serial column, blank, subtotal, total, notes."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "规上"
    ws.append(["2025年度示范县规上工业企业主要经济指标"])
    ws.merge_cells("A1:I1")
    ws.append(["金额单位：万元"])
    ws.append(["序号", "企业名称", "统一社会信用代码", "所属乡镇", "企业规模", "主要经济指标", None, "能源消费", "年平均职工人数"])
    ws.append([None, None, None, None, None, "工业增加值", "营业收入", "综合能耗（吨标准煤）", None])
    for c in "ABCDEI":
        ws.merge_cells(f"{c}3:{c}4")
    ws.merge_cells("F3:G3")
    ws.append([1, "华兴机械有限公司", C1, "城关镇", "规上", 1234.5, "5,000", 88, 120])
    ws.append([2, "恒达（集团）有限公司", C2.lower(), "东山镇", "规上", "#DIV/0!", 300, "=F6*2", 0])
    ws.append([])
    ws.append([3, "宏远五金厂", C3, "东山镇", "规下", "—", "１２３．４", "/", " 15 "])
    ws.append(["小计", None, None, None, None, 1234.5])
    ws.append(["合计", None, None, None, None, 1234.5])
    ws.append(["注：1. 数据来源于统计局联网直报平台"])
    ws.append(["填表人：张三    审核人：李四"])
    wb.save(path)


def test_two_row_merged_header_title_unit_line_totals_notes(tmp_path):
    p = tmp_path / "统计.xlsx"
    stats_workbook(p)
    [(t, issues)] = parse(p)
    assert t.header_rows == [2, 3] and t.data_start == 4
    fields = {c.label: (c.field, c.unit, c.unit_source) for c in t.columns}
    assert fields["序号"][0] is None
    assert fields["主要经济指标/工业增加值"] == ("value_added", "万元", "单位说明行")
    assert fields["能源消费/综合能耗（吨标准煤）"] == ("energy", "吨标准煤", "表头")
    d = t.data
    assert d["_row"].tolist() == [5, 6, 8]  # Excel rows; the blank row 7 and rows 9–12 are not data
    assert d["credit_code"].tolist() == [C1, C2, C3]  # lower case normalised
    assert d["revenue"].tolist() == [5000.0, 300.0, 123.4]
    assert np.isnan(d["value_added"].iloc[1]) and np.isnan(d["energy"].iloc[1])
    assert d["employees"].tolist() == [120, 0, 15]
    assert d["above_scale"].tolist() == [1, 1, 0]
    msgs = [(i.level, i.row, i.column, i.message) for i in issues]
    assert any(lv == "warning" and r == 6 and "工业增加值" in c and "#DIV/0!" in m for lv, r, c, m in msgs)
    assert any(lv == "warning" and r == 6 and "综合能耗" in c and "公式" in m for lv, r, c, m in msgs)
    assert any(lv == "info" and r == 9 and "小计" in m for lv, r, c, m in msgs)
    assert any(lv == "info" and r == 10 and "合计" in m for lv, r, c, m in msgs)
    assert any(lv == "info" and r == 11 and "注" in m for lv, r, c, m in msgs)
    assert any(lv == "info" and r == 12 for lv, r, c, m in msgs)
    assert any(lv == "warning" and r == 6 and "职工人数为 0" in m for lv, r, c, m in msgs)
    assert any(r == 8 and "１２３．４" in m for lv, r, c, m in msgs)


def test_units_in_header_unit_row_and_conversion(tmp_path):
    """1 亩 = 10000/15 m²: 1000 m² is 1.5 亩; 1,234,567 元 is 123.4567 万元; 20000 kWh is 2 万千瓦时."""
    p = tmp_path / "land.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "土地使用权面积", "实缴税金", "用电量", "用地（公顷）"])
    ws.append([None, None, "平方米", "元", "千瓦时", None])
    ws.append([C1, "甲", 1000, 1234567, 20000, 2])
    wb.save(p)
    [(t, _)] = parse(p)
    row = t.data.iloc[0]
    assert row["land"] == pytest.approx(1.5)
    assert row["tax"] == pytest.approx(123.4567)
    assert row["electricity"] == pytest.approx(2.0)
    assert t.data_start == 2  # the unit row is not data


def test_hectares_when_it_is_the_only_land_column(tmp_path):
    p = tmp_path / "ha.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "用地面积（公顷）"])
    ws.append([C1, "甲", 2])
    wb.save(p)
    [(t, _)] = parse(p)
    assert t.data["land"].iloc[0] == pytest.approx(30.0)  # 1 公顷 = 15 亩


def test_gbk_csv_without_codes_and_encoding_reported(tmp_path):
    p = tmp_path / "供电.csv"
    p.write_bytes("户号,用电户名,本年用电量(千瓦时)\n001,华兴机械有限公司,\"12,000\"\n002,华兴机械有限公司,8000\n".encode("gbk"))
    rf = read_file(p)
    assert rf.sheets[0].encoding == "gb18030"
    assert any("gb18030" in i.message for i in rf.issues)
    t, _ = parse_sheet(rf.sheets[0])
    assert t.data["electricity"].tolist() == pytest.approx([1.2, 0.8])
    assert "credit_code" not in t.data


def test_utf8_bom_csv(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes("\ufeff统一社会信用代码,企业名称,实缴税金（万元）\n{},甲,5\n".format(C1).encode("utf-8"))
    rf = read_file(p)
    assert rf.sheets[0].encoding == "utf-8-sig"
    t, _ = parse_sheet(rf.sheets[0])
    assert t.data["tax"].tolist() == [5.0]


def test_mapping_override_for_odd_headers(tmp_path):
    p = tmp_path / "odd.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["代码", "户名称", "本期累计电量"])
    ws.append([C1, "甲", 30000])
    wb.save(p)
    [(t, issues)] = parse(p)
    assert t is None and any("未识别到表头" in i.message for i in issues)
    m = mapping_from_dict({"sheet": [{"file": "odd*.xlsx", "header_row": 1, "columns": {
        "代码": "credit_code", "B": "name", "本期累计电量": {"field": "electricity", "unit": "千瓦时"}}}]})
    [(t, _)] = parse(p, m)
    assert t.data["credit_code"].tolist() == [C1] and t.data["electricity"].tolist() == pytest.approx([3.0])


def test_commissioning_dates_in_three_forms(tmp_path):
    p = tmp_path / "d.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "投产时间"])
    ws.append([C1, "甲", dt.datetime(2019, 5, 1)])
    ws.append([C2, "乙", "2016年3月"])
    ws.append([C3, "丙", 2024])
    wb.save(p)
    [(t, _)] = parse(p)
    assert t.data["commissioned"].tolist() == [2019, 2016, 2024]


def test_flags_and_scales_read_per_distinct_cell_equal_the_per_cell_rules() -> None:
    import numpy as np
    import pandas as pd

    from evaluator.clean import cells

    values = pd.Series(["是", " 否 ", "Ｙ", "规 上", "规模以下企业", None, float("nan"), 1, 0.0, True, "", "x", "√", "N",
                        pd.NA, "小微", "上"] * 3, dtype=object)
    for wrapped, each in ((cells.clean_bools, cells._clean_bools), (cells.clean_scale, cells._clean_scale)):
        got, want = wrapped(values), each(values)
        assert np.array_equal(got[0], want[0], equal_nan=True) and (got[1] == want[1]).all()


def _scan_lead_cell_by_cell(lead_cols, code_texts, n):  # type: ignore[no-untyped-def]
    """The row-by-row rule `_scan_lead` must agree with."""
    import numpy as np

    from evaluator.clean import sheets as S

    first_at = np.full(n, -1, dtype=np.int64)
    is_total, is_note, has_code, key_header = (np.zeros(n, dtype=bool) for _ in range(4))
    for i, ts in enumerate(zip(*lead_cols)):
        if code_texts is not None and len(code_texts[i]) >= 15:
            has_code[i] = True
        for j, t in enumerate(ts):
            if t:
                if first_at[i] < 0:
                    first_at[i] = j
                    if not has_code[i] and t[0] in S._NOTE_START and S._NOTE.match(t):
                        is_note[i] = True
                if ("计" in t or "汇" in t) and S._TOTAL.search(t):
                    is_total[i] = True
                if t[0] in S._KEY_HEADER_FIRST and len(t) <= 16 and S.normalise_header(t) in S._KEY_HEADER_TEXTS:
                    key_header[i] = True
    return first_at, is_total, is_note, has_code, key_header


def test_lead_cells_scanned_by_column_agree_with_the_row_by_row_rule() -> None:
    import random

    from evaluator.clean import sheets as S

    rng = random.Random(3)
    cells = ["", "合计", "小 计", "总计：", "注：", "注", "说明", "备注1", "企业名称", "统一社会信用代码", "名称", "单位名称",
             "913303000000000001", "91330300000000000", "甲公司", "汇总", "计划", "注塑厂", "\x00注", "a\x00"]
    for with_sep in (False, True):
        pool = cells if with_sep else [c for c in cells if "\x00" not in c]
        n = 500
        lead = [[rng.choice(pool) for _ in range(n)] for _ in range(3)]
        for codes in (lead[1], None):
            got = S._scan_lead(lead, codes, n)
            want = _scan_lead_cell_by_cell(lead, codes, n)
            assert all((a == b).all() for a, b in zip(got, want))
