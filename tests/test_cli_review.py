"""`mujun review …` walks the demo county through the cycle; what the firms and the public get is
read back from the PDFs."""

from __future__ import annotations

import re

import openpyxl
import pytest

from evaluator.app.cli import main
from evaluator.project.file import load_project

from .outputs_fixtures import flat, pdf_text
from .test_review import COOP, LISHENG, NEG_LAND, TYPO, WORKSHOP

SETTINGS = """
[authority]
issue_date = "2026-03-02"
[appeal]
office = "示范县经济和信息化局企业服务科"
[review]
publicity_start = "2026-03-02"
publicity_days = 5
confirm_days = 7
"""


@pytest.fixture(scope="module")
def proj(tmp_path_factory, sample_files):
    d = tmp_path_factory.mktemp("review")
    (d / "settings.toml").write_text(SETTINGS, encoding="utf-8")
    assert main(["evaluate", *map(str, sample_files), "--year", "2025", "--project", str(d / "县.mujun"),
                 "--issues", "none"]) == 0
    return d


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cycle_on_the_command_line(proj, capsys):
    p, s = str(proj / "县.mujun"), str(proj / "settings.toml")
    rc, out, _ = _run(capsys, "review", "issues", p)
    assert rc == 0 and "暂缓发放 5 家" in out and f"[1] {TYPO}" in out

    # letters over open findings: the held firm is named with its reason, the other letter goes out
    rc, out, err = _run(capsys, "report", p, "--letters", str(proj / "l0"), "--letters-codes",
                        f"{LISHENG},91330381MA2MXMAG5L", "--settings", s)
    assert rc == 0 and "已生成告知书 1 份" in out
    assert "1 家企业的数据问题尚未处理" in err and "示范县力盛钢结构有限公司（91330381416059364X）：疑有未合并的数据" in err

    rc, out, _ = _run(capsys, "review", "accept-links", p, "1")
    assert rc == 0 and "等级 D → C" in out
    assert _run(capsys, "review", "not-enterprise", p, COOP, "--reason", "村股份经济合作社，非工业企业")[0] == 0
    assert _run(capsys, "review", "not-enterprise", p, COOP, "--reason", " ")[0] == 2  # no reason: refused
    assert _run(capsys, "review", "accept-issue", p, WORKSHOP, "name_unmatched", "--reason", "个体加工户，按数据不全列示")[0] == 0
    rc, out, _ = _run(capsys, "review", "issues", p)
    assert "暂缓发放 1 家" in out and NEG_LAND in out

    # a recorded override lets the last held firm's notice out, and the project file says so
    rc, out, err = _run(capsys, "report", p, "--letters", str(proj / "l1"), "--letters-codes", NEG_LAND,
                        "--letters-notices", "--release-held", "宗地待重新测绘，先行告知数据不全", "--settings", s)
    assert rc == 0 and "已强制放行 1 家" in err and "已生成告知书 1 份" in out
    project = load_project(p)
    assert [(r.kind, r.key) for r in project.resolutions if r.kind == "release"] == [("release", NEG_LAND)]

    # 公示名单, 排名不分先后: no ranks, no scores; the period in working days and the route
    assert _run(capsys, "review", "freeze", p, "初评")[0] == 0
    rc, out, _ = _run(capsys, "review", "publicity", p, "--pdf", str(proj / "公示.pdf"), "--xlsx",
                      str(proj / "公示.xlsx"), "--unranked", "--settings", s)
    assert rc == 0
    text = flat(pdf_text(proj / "公示.pdf"))
    assert "初评结果公示" in text and "排名不分先后" in text and "2026年3月2日至2026年3月6日（5个工作日）" in text
    assert "综合得分" not in text and "排名" not in text.replace("排名不分先后", "")
    assert "示范县力盛钢结构有限公司" in text and "示范县东山村" not in text
    ws = openpyxl.load_workbook(proj / "公示.xlsx")["规上企业"]
    assert [c.value for c in ws[4]] == ["序号", "企业名称", "统一社会信用代码", "所属乡镇（街道）", "评价等级"]
    names = [r[1] for r in ws.iter_rows(min_row=5, values_only=True) if r[4]]
    assert len(names) == 153 and names.count("示范县力盛钢结构有限公司") == 1

    # 一企一单: the firm's sheet shows its tax (now merged) with the source, and the return date
    rc, out, _ = _run(capsys, "review", "confirm-sheets", p, "--out", str(proj / "确认单"), "--codes", LISHENG,
                      "--register", str(proj / "回执.xlsx"), "--settings", s)
    assert rc == 0 and "已生成企业数据确认单 1 份" in out
    (sheet,) = (proj / "确认单").glob("*.pdf")
    text = flat(pdf_text(sheet))
    for needle in ("企业数据确认单", LISHENG, "实缴税金", "148.62", "税务局_实缴税金.xls", "用地面积", "67.15",
                   "2026年3月9日前", "企业（盖章）"):
        assert needle in text, needle
    wb = openpyxl.load_workbook(proj / "回执.xlsx")
    ws = wb.active
    row = next(r for r in ws.iter_rows(min_row=3) if r[0].value == LISHENG)
    row[3].value, row[4].value = "有异议", "用地面积"
    wb.save(proj / "回执.xlsx")
    rc, out, _ = _run(capsys, "review", "confirm-import", p, str(proj / "回执.xlsx"))
    assert "其中有异议 1 家" in out
    assert load_project(p).confirmations[LISHENG].fields == ["land"]

    # an objection changes the land, the re-run moves the tier, the diff names the decision
    (proj / "证书.pdf").write_bytes(b"%PDF-1.4 scan")
    assert _run(capsys, "review", "freeze", p, "公示")[0] == 0
    assert _run(capsys, "review", "objection", p, "--firm", LISHENG, "--received", "2026-03-04", "--claim",
                "宗地测绘面积有误", "--fields", "用地面积", "--evidence", str(proj / "证书.pdf"))[0] == 0
    rc, out, _ = _run(capsys, "review", "decide", p, "1", "--decision", "accepted", "--reason", "按不动产权证书面积更正",
                      "--set", "用地面积=53.72")
    assert rc == 0 and "等级 C → B" in out
    assert _run(capsys, "review", "freeze", p, "复核")[0] == 0
    rc, out, _ = _run(capsys, "review", "diff", p, "初评", "复核", "--xlsx", str(proj / "对比.xlsx"))
    assert "因本企业数据更正或复核决定变化 1 家" in out and "异议第 1 号复核意见：采纳" in out
    rows = list(openpyxl.load_workbook(proj / "对比.xlsx").active.iter_rows(min_row=3, values_only=True))
    own = {r[1] for r in rows if "异议第 1 号" in (r[5] or "")}
    assert own == {LISHENG}
    rc, out, _ = _run(capsys, "review", "objections", p, "--xlsx", str(proj / "异议.xlsx"), "--settings", s)
    (reg,) = list(openpyxl.load_workbook(proj / "异议.xlsx").active.iter_rows(min_row=3, values_only=True))
    assert reg[:3] == ("1", "2026-03-04", "是") and reg[10] == "采纳" and reg[13] == "用地面积 改为 53.72"
    assert re.search(r"证书\.pdf", reg[7])


def test_accept_issue_on_a_whole_file(tmp_path, sample_files, capsys):
    """A finding on a whole sheet holds every firm; `accept-issue --file` accepts it under the file's name."""
    from evaluator.core.issues import Issue
    from evaluator.outputs.gate import release_gate
    from evaluator.project.file import save_project

    p = tmp_path / "县.mujun"
    assert main(["evaluate", *map(str, sample_files), "--year", "2025", "--project", str(p), "--issues", "none"]) == 0
    project = load_project(p)
    held_before = set(release_gate(project.run()).held)
    project.read_issues.append(Issue("error", "工作表“Sheet2”的已用区域异常，未读取", "税务局_实缴税金.xls", "Sheet2",
                                     code="range_absurd"))
    save_project(project, p)
    capsys.readouterr()
    rc, out, _ = _run(capsys, "review", "issues", str(p))
    assert rc == 0 and "税务局_实缴税金.xls range_absurd" in out and "--file" in out
    rc, _, err = _run(capsys, "review", "accept-issue", str(p), "--file", "别的.xls", "range_absurd", "--reason", "x")
    assert rc == 2 and "没有待处理" in err and "税务局_实缴税金.xls range_absurd" in err
    rc, out, _ = _run(capsys, "review", "accept-issue", str(p), "--file", "税务局_实缴税金.xls", "range_absurd",
                      "--reason", "该表为空白模板，数据在 Sheet1")
    assert rc == 0 and "已确认" in out
    after = load_project(p)
    assert set(release_gate(after.run()).held) == held_before
    assert after.audit[-1].action == "resolution" and after.audit[-1].target == "税务局_实缴税金.xls"
    rc, out, _ = _run(capsys, "review", "issues", str(p))
    assert "range_absurd" not in out
