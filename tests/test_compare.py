"""方案模拟测算: two schemes (or edited weights) on the same firms, worked out by hand."""

from __future__ import annotations

import pytest

from evaluator.core.issues import InputError
from evaluator.method.compare import OUTSIDE, compare_evaluations, with_weights
from evaluator.method.evaluate import evaluate
from evaluator.method.scheme import load_scheme, parse_scheme

from .helpers import code, firms

K = [code(f"9133100400000{i:04d}") for i in range(10)]
BASE = '''id = "w"
name = "测算"
[tiers]
shares = [0.25, 0.5, 0.75]
[populations.above]
[[populations.above.indicators]]
id = "tax_per_mu"
weight = 50
benchmark = 1
[[populations.above.indicators]]
id = "tax_per_kwh"
weight = 50
benchmark = 1
'''


def four():
    # Land 1 亩; (亩均税收, 单位电耗税收): F0 (2, 0.5), F1 (1, 2), F2 (0.5, 0.5), F3 (0.2, 0.2).
    spec = [(2, 4), (1, 0.5), (0.5, 1), (0.2, 1)]
    return firms([{"credit_code": K[i], "name": f"企业{i}", "above_scale": 1, "township": "城关镇", "industry": "3311",
                   "land": 1, "tax": t, "electricity": e} for i, (t, e) in enumerate(spec)])


def test_edited_weights_transition_matrix_and_reasons():
    a = parse_scheme(BASE)
    b = with_weights(a, {"above.tax_per_mu": 80, "above.tax_per_kwh": 20})
    t = four()
    c = compare_evaluations(evaluate(t, a, 2025), evaluate(t, b, 2025))
    # A: 125, 150, 50, 20 → F1 A, F0 B, F2 C, F3 D.  B: 170, 120, 50, 20 → F0 A, F1 B, F2 C, F3 D.
    m = c.populations[0].matrix
    assert m.loc["A", "B"] == 1 and m.loc["B", "A"] == 1 and m.loc["C", "C"] == 1 and m.loc["D", "D"] == 1
    assert int(m.to_numpy().sum()) == 4 and m.loc["A", OUTSIDE] == 0
    mv = c.movers.set_index("key")
    assert mv.loc[K[0], "change"] == "升档" and mv.loc[K[1], "change"] == "降档" and len(mv) == 2
    assert mv.loc[K[0], "reason"] == ("总分 125.00 → 170.00；亩均税收得分 +60.00（权重 50 → 80）；"
                                      "单位电耗税收得分 -15.00（权重 50 → 20）；名次 2 → 1")
    assert mv.loc[K[1], "reason"].startswith("总分 150.00 → 120.00；单位电耗税收得分 -60.00（权重 50 → 20）")
    assert c.populations[0].benchmarks["change"].tolist() == [0, 0]
    assert "调整权重" in b.version
    assert parse_scheme(b.text).populations["above"].indicators == b.populations["above"].indicators


def test_unknown_weight_name_is_refused():
    with pytest.raises(InputError, match="不是本方案的计分指标"):
        with_weights(parse_scheme(BASE), {"below.tax_per_mu": 40})


def test_two_schemes_on_the_demo_county(sample_result):
    ent = sample_result.merged.enterprises
    a, b = evaluate(ent, load_scheme("reference"), 2025), evaluate(ent, load_scheme("anhui-city"), 2025)
    c = compare_evaluations(a, b)
    above = next(p for p in c.populations if p.id == "above")
    assert int(above.matrix.to_numpy().sum()) == int((a.table["population"] == "above").sum())
    # The matrix's off-diagonal firms are exactly the movers of the population.
    off = sum(int(above.matrix.iat[i, j]) for i in range(len(above.matrix)) for j in range(len(above.matrix.columns))
              if above.matrix.index[i] != above.matrix.columns[j])
    assert off == above.moved
    bm = above.benchmarks.set_index("indicator")
    assert bm.loc["tax_per_mu", "a"] == pytest.approx(a.benchmarks["above"]["tax_per_mu"])
    assert bm.loc["revenue_per_mu", "a"] is None or bm.loc["revenue_per_mu", "a"] != bm.loc["revenue_per_mu", "a"]
    assert (c.movers["reason"].str.len() > 0).all()


def test_compare_command_writes_the_workbook(tmp_path, capsys):
    import openpyxl

    from evaluator.app.cli import main

    from .conftest import SAMPLE_FILES

    out = tmp_path / "cmp.xlsx"
    rc = main(["compare", *map(str, SAMPLE_FILES), "--year", "2025", "--against", "anhui-city", "--xlsx", str(out)])
    text = capsys.readouterr().out
    assert rc == 0 and "等级或名单变化" in text and "基准值 亩均营业收入：不计分 → " in text
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["说明", "等级变化矩阵", "等级变化企业", "基准值变化"]
    movers = list(wb["等级变化企业"].iter_rows(min_row=2, values_only=True))
    assert movers and all(isinstance(r[13], str) and r[13] for r in movers)
    # A firm moving up with a lower score says why: the share of A changed from 20 % to 25 %.
    assert any("分档比例 20%/70%/95% → 25%/70%/95%" in r[13] for r in movers if r[8] == "升档")
    assert main(["compare", str(SAMPLE_FILES[0]), "--year", "2025"]) == 2  # neither --against nor --weight
