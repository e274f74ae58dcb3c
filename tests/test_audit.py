"""The audit trail: every human edit leaves who/when/what/why, and the export shows it as typed."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from evaluator.method.scheme import load_scheme
from evaluator.project.audit import HEADERS, names_from_result, write_audit_xlsx
from evaluator.project.file import load_project, save_project
from evaluator.project.model import Project
from evaluator.read.mapping import ColumnOverride, SheetMapping

FIRM_A = "913303810000000011"
FIRM_B = "913303810000000024"


@pytest.fixture()
def project() -> Project:
    p = Project(year=2025, scheme_text=load_scheme("reference").text, scheme_source="reference", user="张科员")
    p.add_correction(FIRM_A, "land", 45.0, "企业提供不动产权证", before=40.0)
    p.add_correction(FIRM_A, "tax", 120.5, "税务局补报数据", before="")
    p.add_correction(FIRM_A, "land", 46.0, "二次核实", before=45.0)  # replaces the first land correction
    p.remove_correction(FIRM_A, "tax", "补报数据撤回")
    p.user = "李股长"
    p.set_override(FIRM_B, "B", "=HYPERLINK(\"http://x\",\"复核\")", before="C")  # a reason that looks like a formula
    p.set_override(FIRM_A, "A", "局务会决定", before="B")
    p.clear_override(FIRM_A, "决定撤销")
    p.set_sheet_mapping(SheetMapping(file="供电*.csv", columns={"户名": ColumnOverride("name")}))
    p.set_year(2024)
    return p


def test_every_correction_and_override_is_in_the_audit_log(project):
    log = [(a.action, a.target, a.field, a.before, a.after, a.reason, a.user) for a in project.audit]
    assert log[:7] == [
        ("correction", FIRM_A, "land", "40.0", "45.0", "企业提供不动产权证", "张科员"),
        ("correction", FIRM_A, "tax", "", "120.5", "税务局补报数据", "张科员"),
        ("correction", FIRM_A, "land", "45.0", "46.0", "二次核实", "张科员"),
        ("remove_correction", FIRM_A, "tax", "120.5", "", "补报数据撤回", "张科员"),
        ("override", FIRM_B, "tier", "C", "B", "=HYPERLINK(\"http://x\",\"复核\")", "李股长"),
        ("override", FIRM_A, "tier", "B", "A", "局务会决定", "李股长"),
        ("clear_override", FIRM_A, "tier", "A", "", "决定撤销", "李股长"),
    ]
    assert [a.action for a in project.audit[7:]] == ["mapping", "year"]
    assert all(a.time for a in project.audit)
    # What is in force is the net effect; the log keeps the history.
    assert [(c.field, c.value) for c in project.corrections] == [("land", 46.0)]
    assert [(o.key, o.tier) for o in project.overrides] == [(FIRM_B, "B")]


def test_a_correction_or_override_without_a_reason_is_refused(project):
    n = len(project.audit)
    with pytest.raises(ValueError):
        project.add_correction(FIRM_A, "land", 1.0, "  ")
    with pytest.raises(ValueError):
        project.set_override(FIRM_A, "D", "")
    assert len(project.audit) == n


def test_audit_log_survives_save_and_reopen(tmp_path, project):
    save_project(project, tmp_path / "p.mujun")
    assert load_project(tmp_path / "p.mujun").audit == project.audit


def test_audit_workbook_has_chinese_headers_and_one_row_per_entry(tmp_path, project):
    out = tmp_path / "审计日志.xlsx"
    write_audit_xlsx(project, out, names={FIRM_A: "示范县甲机械有限公司"})
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["审计日志", "现行更正与调档", "项目与数据文件"]
    ws = wb["审计日志"]
    assert tuple(c.value for c in ws[2]) == HEADERS
    rows = [tuple(c.value for c in r) for r in ws.iter_rows(min_row=3)]
    assert len(rows) == len(project.audit)
    first = rows[0]
    assert first[1:] == ("张科员", "人工更正", f"{FIRM_A}（示范县甲机械有限公司）", "用地面积（亩）", "40.0", "45.0",
                         "企业提供不动产权证")
    assert rows[4][2] == "手动调档" and rows[4][4] == "最终分类" and rows[4][7] == "=HYPERLINK(\"http://x\",\"复核\")"
    assert [r[2] for r in rows] == ["人工更正", "人工更正", "人工更正", "撤销更正", "手动调档", "手动调档", "撤销调档",
                                    "设置列对应", "设置评价年度"]
    current = [tuple(c.value for c in r) for r in wb["现行更正与调档"].iter_rows(min_row=3)]
    assert [(r[0], r[3]) for r in current] == [("人工更正", "46"), ("手动调档", "B")]


def test_audit_workbook_writes_text_never_formulas(tmp_path, project):
    out = tmp_path / "a.xlsx"
    write_audit_xlsx(project, out)
    with zipfile.ZipFile(out) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = b"".join(z.read(n) for n in sheets)
    assert b"<f>" not in xml and b"<f " not in xml
    ws = openpyxl.load_workbook(out)["审计日志"]
    cell = next(c for r in ws.iter_rows(min_row=3) for c in r if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"


def test_names_come_from_a_saved_result():
    doc = {"enterprises": [{"credit_code": FIRM_A, "name": "甲"}, {"credit_code": None, "name": "乙五金厂"}]}
    assert names_from_result(doc) == {FIRM_A: "甲", "名称:乙五金厂": "乙五金厂"}
    assert names_from_result(None) == {}
