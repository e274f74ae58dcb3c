"""The review cycle on the demo county: resolve findings, hold letters at the gate, freeze stages,
take an objection, and see exactly what changed and why."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluator.core.workdays import objection_deadline
from evaluator.merge.resolutions import (
    Resolution,
    code_neighbours,
    loose_name,
    remap_keys,
    suggest_links,
)
from evaluator.outputs.gate import release_gate
from evaluator.outputs.letters import write_letters
from evaluator.project.file import load_project, save_project
from evaluator.project.model import new_project
from evaluator.project.review import diff_stages

from .helpers import code
from .outputs_fixtures import flat, pdf_text, settings

TYPO = "913303814160593645"  # 力盛's tax row: last character wrong (generate.py, problem 16)
LISHENG = "91330381416059364X"
COOP = "名称:示范县东山村股份经济合作社"
WORKSHOP = "名称:示范县青石镇永发五金加工厂"
NEG_LAND = "91330381MA2RDTXG66"  # its only parcel is negative: an error, stays incomplete


@pytest.fixture(scope="module")
def county(sample_files):
    p = new_project(2025)
    p.user = "张科员"
    p.add_files(list(sample_files))
    return p


# --- suggestions: a pure function over the merged table -----------------------------------------

def _ent(rows: list[tuple[str, str, bool]]) -> pd.DataFrame:
    return pd.DataFrame({"credit_code": [k if not k.startswith("名称:") else None for k, _n, _v in rows],
                         "name": [n for _k, n, _v in rows], "code_valid": [v for _k, _n, v in rows]},
                        index=[k for k, _n, _v in rows])


def test_suggestions_are_ranked_by_evidence():
    good = code("91330381MA2H0001X")
    other = code("91330381MA2H0002X")
    typo = good[:17] + ("0" if good[17] != "0" else "1")  # same firm, wrong check character
    ent = _ent([(good, "示范县甲机械有限公司", True), (other, "示范县乙机械（示范县）有限公司", True),
                (typo, "示范县甲机械有限公司", False), ("名称:示范县乙机械(示范县)", "示范县乙机械(示范县)", False),
                ("名称:示范县东山村股份经济合作社", "示范县东山村股份经济合作社", False)])
    got = suggest_links(ent)
    assert [(s.orphan, s.target, s.evidence) for s in got] == [
        (typo, good, ("same_name", "code_edit1")),
        ("名称:示范县乙机械(示范县)", other, ("loose_name",)),
    ]
    assert got[0].score == 5 and got[1].score == 2
    assert suggest_links(ent, rejected=[(typo, good)])[0].target == other  # turned down: not suggested again


def test_one_edit_covers_substitution_deletion_insertion_and_swap():
    near = set(code_neighbours("ABCD"))
    assert {"XBCD", "ACD", "ABCXD", "BACD", "ABDC"} <= near and "ABCD" not in near
    assert loose_name("浙江东源建材（示范县）有限公司") == loose_name("浙江东源建材(示范县)股份有限公司") == "浙江东源建材示范县"


def test_remap_follows_chains_and_the_latest_decision():
    rs = [Resolution("link", "a", "b", reason="r"), Resolution("link", "b", "c", reason="r"),
          Resolution("link", "x", "y", reason="r"), Resolution("not_enterprise", "x", reason="村集体")]
    assert remap_keys(rs) == {"a": "c", "b": "c"}


# --- the demo county through the whole cycle -----------------------------------------------------

def test_demo_county_review_cycle(county, tmp_path):
    p = county.copy()
    r0 = p.run()
    gate = release_gate(r0)
    # before anything is resolved: the firm with the typo is held (its tax is on an orphan row), so
    # are the orphan itself, the unmatched power accounts and the firm with a negative parcel
    assert set(gate.held) == {LISHENG, TYPO, COOP, WORKSHOP, NEG_LAND}
    assert [i.code for i in gate.held[LISHENG]] == ["link_suggested"]
    (link,) = gate.held[LISHENG]  # placed on the orphan's row, in the place columns, not the message
    assert link.file.endswith(".xls") and link.sheet and link.row and "第 " not in link.message
    assert r0.table.at[LISHENG, "tier"] == "D" and pd.isna(r0.table.at[LISHENG, "tax"])
    (sg,) = [s for s in r0.suggestions if s.orphan == TYPO]
    assert sg.target == LISHENG and sg.evidence == ("same_name", "code_edit1")

    # letters before the gate is clear: refused for the held firms only, with notices asked for
    other = str(r0.table.index[(r0.table["tier"] == "B")][0])
    batch = write_letters(r0, tmp_path / "l0", settings(), keys=[LISHENG, TYPO, COOP, other], workers=1,
                          notices=True)
    assert set(batch.held) == {LISHENG, TYPO, COOP}
    assert len(batch) == 1 and r0.table.at[other, "credit_code"] in flat(pdf_text(batch[0]))

    # accept the suggested link: the tax comes back and the tier leaves D
    p.add_resolution("link", sg.orphan, "同名企业，税务登记代码末位录入错误", target=sg.target)
    p.add_resolution("not_enterprise", COOP, "村股份经济合作社，非工业企业")
    p.add_resolution("accept", WORKSHOP, "小作坊无营业执照，数据不全如实列示，不发告知书以外文书", code="name_unmatched")
    p.add_resolution("accept", NEG_LAND, "宗地面积待自然资源局重新测绘，本年按数据不全处理", code="land_not_positive")
    r1 = p.run()
    t1 = r1.table
    assert t1.at[LISHENG, "tax"] == pytest.approx(148.624044)
    assert t1.at[LISHENG, "tier"] == "C"
    assert TYPO not in t1.index and COOP not in t1.index and COOP in r1.excluded.index
    assert len(t1) == 301
    assert release_gate(r1).held == {}
    batch = write_letters(r1, tmp_path / "l1", settings(), keys=[LISHENG, COOP], workers=1, notices=True)
    assert batch.held == [] and len(batch) == 1 and batch.unknown == [COOP]  # a non-firm gets no notice
    text = flat(pdf_text(batch[0]))
    assert LISHENG in text and "C类" in text

    # stages: 初评 frozen; an objection on land is decided and the re-run moves the firm's tier
    first = p.freeze_stage("initial", r1, "初评结果")
    p.freeze_stage("publicity", r1, "公示")
    o = p.add_objection(LISHENG, "示范县力盛钢结构有限公司", "2026-03-04",
                        "宗地测绘面积有误，应按不动产权证书记载面积计", ["land"],
                        evidence=[("不动产权证书.pdf", b"%PDF-1.4 scan")])
    p.decide_objection(o.number, "accepted", "经自然资源局核实，按不动产权证书面积更正", handler="李股长",
                       corrections={"land": 53.72})
    r2 = p.run()
    assert r2.table.at[LISHENG, "tier"] == "B"
    review = p.freeze_stage("review", r2)
    diff = diff_stages(first, review)
    assert [f.key for f in diff.direct] == [LISHENG]
    (f,) = diff.direct
    assert any("异议第 1 号" in c for c in f.causes), f.causes
    assert ("等级", "C", "B") in f.changes and any(c[0].startswith("用地面积") for c in f.changes)
    # the firm it pushed out of B is listed too, as moved by others' changes (nothing silent)
    moved = [x for x in diff.tier_changes if not x.direct]
    assert len(moved) == 1 and moved[0].tier_before == "B" and moved[0].tier_after == "C"

    # everything survives the project file
    save_project(p, tmp_path / "县.mujun", r2)
    q = load_project(tmp_path / "县.mujun")
    assert q.resolutions == p.resolutions
    assert [s.stage for s in q.stages] == ["initial", "publicity", "review"]
    assert q.objections[0].evidence[0].data == b"%PDF-1.4 scan" and q.objections[0].decision == "accepted"
    assert q.run().table.at[LISHENG, "tier"] == "B"
    assert q.current_stage() == "review"


def test_release_is_explicit_and_recorded(county, tmp_path):
    p = county.copy()
    p.add_resolution("release", LISHENG, "县领导批示先行发放，数据另行核实")
    r = p.run()
    assert LISHENG not in release_gate(r).held and TYPO in release_gate(r).held
    assert p.audit[-1].action == "resolution" and p.audit[-1].reason.startswith("县领导批示")


def test_a_resolution_needs_a_reason_and_a_valid_code(county):
    p = county.copy()
    with pytest.raises(ValueError, match="理由"):
        p.add_resolution("not_enterprise", COOP, " ")
    with pytest.raises(ValueError, match="GB 32100"):
        p.add_resolution("recode", TYPO, "改码", target=TYPO[:17] + "1")
    r = p.add_resolution("recode", TYPO, "企业提供营业执照", target=" 91330381416059364x ")
    assert r.target == LISHENG  # normalised as the importer normalises codes


def test_publicity_deadline_counts_working_days():
    import datetime as dt

    assert objection_deadline(dt.date(2026, 3, 2), 5) == dt.date(2026, 3, 6)  # Mon → Fri
    assert objection_deadline(dt.date(2026, 3, 5), 5) == dt.date(2026, 3, 11)  # Thu → next Wed
    assert objection_deadline(dt.date(2026, 3, 7), 5) == dt.date(2026, 3, 13)  # Sat: Mon–Fri


def test_a_v3_project_opens_with_an_empty_review_cycle(county, tmp_path):
    import sqlite3

    from evaluator.project.file import SCHEMA_VERSION

    save_project(county, tmp_path / "v3.mujun")
    con = sqlite3.connect(tmp_path / "v3.mujun")  # make it what a v3 release wrote: no review tables
    for table in ("resolutions", "stages", "evidence", "objections", "confirmations", "doc_numbers"):
        con.execute(f"DROP TABLE {table}")
    con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    assert SCHEMA_VERSION == 5  # v3 → v4 (review cycle) → v5 (文号 register)
    p = load_project(tmp_path / "v3.mujun")
    assert (p.resolutions, p.stages, p.objections, p.confirmations, p.doc_numbers) == ([], [], [], {}, [])
    assert p.fingerprint() == county.fingerprint()  # no resolutions: the fingerprint is what it was


def test_an_error_on_a_whole_sheet_holds_every_firm_until_accepted(county):
    """A sheet refused for its absurd used range leaves its firms without data no one can see."""
    from dataclasses import replace as dc_replace

    from evaluator.core.issues import Issue
    from evaluator.merge.resolutions import Resolution
    from evaluator.outputs.gate import release_gate

    result = county.run()
    before = set(release_gate(result).held)
    refused = Issue("error", "工作表“Sheet2”的已用区域异常，未读取", "税务.xlsx", "Sheet2", code="range_absurd")
    result = dc_replace(result, issues=[*result.issues, refused])
    assert set(release_gate(result).held) == set(result.table.index.astype(str))
    ok = Resolution("accept", "税务.xlsx", code="range_absurd", reason="该表为空白模板，数据在 Sheet1")
    result = dc_replace(result, resolutions=[*result.resolutions, ok])
    assert set(release_gate(result).held) == before
