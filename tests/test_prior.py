"""Last year's tiers: change (升档/降档/持平/新参评) and consecutive years in D, worked out by hand."""

from __future__ import annotations

import json
import math

import pytest

from evaluator.app.cli import main
from evaluator.core.issues import InputError
from evaluator.method.scheme import load_scheme
from evaluator.outputs.json_result import to_json_dict
from evaluator.outputs.letters import write_letters
from evaluator.outputs.workbook import write_workbook
from evaluator.pipeline.prior import attach_prior, load_prior, prior_from_json
from evaluator.pipeline.run import run

from .helpers import code
from .outputs_fixtures import flat, pdf_text, settings, write_xlsx

F = [code(f"91330381MA2P000{i}X") for i in range(1, 8)]
NO_CODE = "示范县无代码企业"


def _rows() -> list[list[object]]:
    rows = []
    for i, c in enumerate(F[:6]):
        rows.append([c, f"企业{i + 1}", "城关镇", "3311", "是", 20, 10 + i, 300, 1200, 40, 50, 30, 10, "否", "否", "否"])
    rows.append([F[6], "企业7", "城关镇", "3311", "否", 2, 1, 10, 40, 3, 2, 5, 0, "否", "否", "否"])  # 规下 2 亩: out of scope
    rows.append([None, NO_CODE, "城关镇", "3311", "是", 20, 12, 300, 1200, 40, 50, 30, 10, "否", "否", "否"])
    return rows


@pytest.fixture
def small(tmp_path):
    result = run([write_xlsx(tmp_path / "企业.xlsx", _rows())], load_scheme("reference"), 2026)
    t = result.table
    # This year's final tiers, set by hand so the example is readable (attach_prior only reads them).
    mine = dict(zip(F[:6], "ABCDDD"))
    mine[f"名称:{NO_CODE}"] = "C"
    for k, tier in mine.items():
        assert t.at[k, "population"] == "above"
        t.at[k, "tier"] = tier
    assert t.at[F[6], "population"] is None
    return result


PRIOR = {"year": 2025, "enterprises": [
    {"credit_code": F[0], "name": "企业1", "tier": "B"},
    {"credit_code": F[1], "name": "企业2", "tier": "A"},
    # F[2] was not graded last year
    {"credit_code": F[3], "name": "企业4", "tier": "D", "d_years": 2},
    {"credit_code": F[4].lower(), "name": "企业5", "tier": "D"},  # codes are normalised before matching
    {"credit_code": F[5], "name": "企业6", "tier": "C"},
    {"credit_code": F[6], "name": "企业7", "tier": "B"},
    {"credit_code": None, "name": NO_CODE, "tier": "C"},
    {"credit_code": code("91330381MA2P0099X"), "name": "已注销企业", "tier": "A"},
]}

#            prior  now   change   consecutive years in D
EXPECTED = {F[0]: ("B", "升档", 0), F[1]: ("A", "降档", 0), F[2]: (None, "新参评", 0),
            F[3]: ("D", "持平", 3), F[4]: ("D", "持平", 2), F[5]: ("C", "降档", 1),
            f"名称:{NO_CODE}": ("C", "持平", 0)}


def test_tier_change_and_years_in_d_by_hand(small):
    matched = attach_prior(small, prior_from_json(PRIOR))
    t = small.table
    assert matched == 7  # 企业3 has no prior tier; the dissolved firm is not in this year's data
    for key, (prior, change, d) in EXPECTED.items():
        assert (t.at[key, "prior_tier"], t.at[key, "tier_change"], t.at[key, "d_years"]) == (prior, change, d), key
    assert t.at[F[6], "prior_tier"] == "B"  # known, but not evaluated this year:
    assert t.at[F[6], "tier_change"] is None and math.isnan(t.at[F[6], "d_years"])


def test_json_carries_the_prior_and_chains_the_count(small, tmp_path):
    attach_prior(small, prior_from_json(PRIOR))
    doc = to_json_dict(small)
    recs = {r["credit_code"] or f"名称:{r['name']}": r for r in doc["enterprises"]}
    for key, (prior, change, d) in EXPECTED.items():
        assert (recs[key]["prior_tier"], recs[key]["tier_change"], recs[key]["d_years"]) == (prior, change, d)
    assert recs[F[6]]["d_years"] is None
    path = tmp_path / "2026.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    again = load_prior(path)
    assert again.attrs["year"] == 2026
    assert again.at[F[3], "d_years"] == 3 and again.at[F[3], "tier"] == "D"


def test_workbook_round_trip(small, tmp_path):
    attach_prior(small, prior_from_json(PRIOR))
    path = write_workbook(small, tmp_path / "名单.xlsx", settings())
    back = load_prior(path)
    assert back.attrs["year"] == 2026
    t = small.table
    for key in EXPECTED:
        assert back.at[key, "tier"] == t.at[key, "tier"], key
        assert back.at[key, "d_years"] == t.at[key, "d_years"], key
    assert math.isnan(back.at[F[6], "d_years"]) and back.at[F[6], "tier"] is None


def test_letters_show_last_years_tier(small, tmp_path):
    attach_prior(small, prior_from_json(PRIOR))
    paths = write_letters(small, tmp_path, settings(), keys=[F[0], F[3]], workers=1)
    texts = {p: flat(pdf_text(p)) for p in paths}
    up = next(v for v in texts.values() if "企业1" in v)
    stuck = next(v for v in texts.values() if "企业4" in v)
    assert "贵单位上年度评价等级为B类（鼓励提升类），本年度等级上升。" in up
    assert "贵单位上年度评价等级为D类（倒逼整治类），本年度等级不变。" in stuck and "贵单位已连续3年被评为D类。" in stuck


def test_bad_prior_files_are_input_errors(tmp_path):
    with pytest.raises(InputError):
        load_prior(tmp_path / "没有.json")
    p = tmp_path / "x.json"
    p.write_text('{"year": 2025}', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_prior(p)
    assert "enterprises" in str(exc.value)
    p = tmp_path / "x.csv"
    p.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError):
        load_prior(p)


def test_cli_applies_the_prior_before_writing_json(tmp_path, capsys):
    data = write_xlsx(tmp_path / "企业.xlsx", _rows())
    prior = tmp_path / "2025.json"
    out25 = tmp_path / "r2025.json"
    assert main(["evaluate", str(data), "--year", "2025", "--json", str(out25), "--issues", "none"]) == 0
    prior.write_text(out25.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "r2026.json"
    assert main(["evaluate", str(data), "--year", "2026", "--json", str(out), "--issues", "none",
                 "--prior", str(prior)]) == 0
    assert "已读取上年结果" in capsys.readouterr().out
    recs = json.loads(out.read_text(encoding="utf-8"))["enterprises"]
    graded = [r for r in recs if r["tier"]]
    assert len(graded) == 7
    assert all(r["tier_change"] == "持平" and r["prior_tier"] == r["tier"] for r in graded)  # same data, same tiers
    assert all(r["d_years"] == (2 if r["tier"] == "D" else 0) for r in graded)
