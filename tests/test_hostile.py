"""Hostile and broken input: a clear message naming the file, never a traceback, nothing lost."""

from __future__ import annotations

import io
import json
import os
import zipfile

import openpyxl
import pytest

from evaluator.app.cli import main
from evaluator.core.issues import InputError
from evaluator.method.scheme import load_scheme
from evaluator.pipeline.run import run
from evaluator.read.files import read_file

from .helpers import code

A, B = code("91330381MA2B3C4D5"), code("91330381MA2B3C4D6")


def good_file(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "是否规上", "用地面积", "实缴税金"])
    ws.append([A, "甲", "是", 10, 5])
    p = tmp_path / "good.xlsx"
    wb.save(p)
    return p


@pytest.mark.parametrize("name,data,needle", [
    ("empty.xlsx", b"", "文件为空"),
    ("fake.xlsx", b"this is not excel at all\n", "不是有效的 Excel"),
    ("random.xls", os.urandom(4096), "不是有效的 Excel"),
    ("page.xls", b"<html><body><table><tr><td>1</td></tr></table></body></html>", "网页"),
    ("bin.csv", bytes(range(256)) * 20, "编码"),
])
def test_unreadable_files_raise_a_chinese_message_naming_the_file(tmp_path, name, data, needle):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(InputError) as exc:
        read_file(p)
    assert name in str(exc.value) and needle in str(exc.value)


def test_truncated_xlsx(tmp_path):
    src = good_file(tmp_path).read_bytes()
    p = tmp_path / "cut.xlsx"
    p.write_bytes(src[: len(src) // 2])
    with pytest.raises(InputError) as exc:
        read_file(p)
    assert "cut.xlsx" in str(exc.value)


def test_header_only_and_no_header_sheets_are_skipped_with_a_notice(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "只有表头"
    ws.append(["统一社会信用代码", "企业名称", "实缴税金"])
    ws2 = wb.create_sheet("说明")
    ws2.append(["本表由税务局提供"])
    p = tmp_path / "h.xlsx"
    wb.save(p)
    res = run([p, good_file(tmp_path)], load_scheme("reference"), 2025)
    assert len(res.table) == 1
    assert any(i.sheet == "说明" and "未识别到表头" in i.message for i in res.issues)


def test_cli_continues_past_a_bad_file_and_exits_non_zero(tmp_path, capsys):
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04garbage")
    out = tmp_path / "r.json"
    rc = main(["evaluate", str(bad), str(good_file(tmp_path)), "--year", "2025", "--json", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "坏文件.xlsx" in err and "Traceback" not in err
    assert len([l for l in err.splitlines() if "坏文件" in l]) == 1
    d = json.loads(out.read_text(encoding="utf-8"))
    assert [e["credit_code"] for e in d["enterprises"]] == [A]


def test_cli_bad_scheme_one_line_no_traceback(tmp_path, capsys):
    s = tmp_path / "bad.toml"
    s.write_text('id = "x"\n[populations.above]\n[[populations.above.indicators]]\nid = "tax_per_m"\nweight = 10\n', encoding="utf-8")
    rc = main(["evaluate", str(good_file(tmp_path)), "--year", "2025", "--scheme", str(s)])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.toml" in err and "tax_per_m" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_missing_file_and_unknown_scheme(tmp_path, capsys):
    rc = main(["evaluate", str(tmp_path / "nope.xlsx"), str(good_file(tmp_path)), "--year", "2025"])
    assert rc == 2 and "nope.xlsx" in capsys.readouterr().err
    rc = main(["evaluate", str(good_file(tmp_path)), "--year", "2025", "--scheme", "no-such-scheme"])
    assert rc == 2 and "no-such-scheme" in capsys.readouterr().err


def test_hostile_cells(tmp_path):
    """Markup and formula-looking names, path tricks, bad and duplicate codes, text and negative land,
    #DIV/0!, zero employees and a 1 MB cell: read as data, reported, nothing dropped."""
    big = "很长" * 500_000
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "是否规上", "用地面积", "实缴税金", "年平均职工人数", "工业增加值"])
    ws.append([A, '=HYPERLINK("http://evil","点我")', "是", 10, 5, 0, 100])
    ws.append([B, "A&B<b>x</b>", "是", -3, 5, 10, 100])
    ws.append(["91330381MA2B3C4D5X", "../../x", "否", "很多", 5, 10, "#DIV/0!"])
    ws.append([B, "A&B<b>x</b>", "是", 4, 1, 10, 100])  # duplicate code: summed with row 3
    ws.append([None, big, "否", 8, 1, 1, 1])
    ws["B2"].data_type = "s"  # a literal string that merely looks like a formula
    p = tmp_path / "hostile.xlsx"
    wb.save(p)
    res = run([p], load_scheme("reference"), 2025)
    t = res.table
    assert t.loc[A, "name"] == '=HYPERLINK("http://evil","点我")'
    assert t.loc[B, "name"] == "A&B<b>x</b>" and t.loc[B, "land"] == 1.0  # −3 + 4
    assert t.loc["91330381MA2B3C4D5X", "name"] == "../../x"
    assert len(t) == 4 and any(k.startswith("名称:很长") for k in t.index)
    assert t.loc[A, "status"] == "evaluated" and t.loc[A, "v_labour_productivity"] != t.loc[A, "v_labour_productivity"]
    msgs = [(i.level, i.row, i.message) for i in res.issues]
    assert any(lv == "error" and r == 4 and "统一社会信用代码" in m for lv, r, m in msgs)
    assert any(lv == "warning" and r == 4 and "很多" in m for lv, r, m in msgs)
    assert any(lv == "warning" and r == 4 and "#DIV/0!" in m for lv, r, m in msgs)
    assert any(lv == "error" and r == 3 and "不大于 0" in m for lv, r, m in msgs)
    assert any(lv == "warning" and r == 2 and "职工人数为 0" in m for lv, r, m in msgs)
    json.dumps([i.to_json() for i in res.issues], ensure_ascii=False)


def test_csv_with_a_1mb_cell_and_ragged_rows(tmp_path):
    p = tmp_path / "big.csv"
    p.write_text(f"统一社会信用代码,企业名称,用电量\n{A},甲,5,extra,cells\n{B},{'x' * 1_000_000}\n", encoding="utf-8")
    res = run([p], load_scheme("reference"), 2025)
    assert set(res.table.index) == {A, B}


def test_xlsx_with_only_a_zip_but_no_workbook(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    p = tmp_path / "zip.xlsx"
    p.write_bytes(buf.getvalue())
    with pytest.raises(InputError) as exc:
        read_file(p)
    assert "zip.xlsx" in str(exc.value)
