"""The summary report (汇总报告): the county figures officials quote, in an embedded Chinese font."""

from __future__ import annotations

import re

from evaluator.core.divisions import division_label
from evaluator.method.indicators import INDICATOR_BY_ID, format_number
from evaluator.outputs.summary_pdf import write_summary_pdf

from .outputs_fixtures import embedded_fonts, flat, hostile_result, pdf_text, settings


def test_sample_county_report(sample_result, expected, tmp_path):
    path = write_summary_pdf(sample_result, tmp_path / "汇总报告.pdf", settings())
    fonts = embedded_fonts(path)
    assert fonts and all(e for _n, e in fonts) and all(re.match(r"^/[A-Z]{6}\+", n) for n, _ in fonts)
    text = flat(pdf_text(path))
    assert "示范县2025年度工业企业亩均效益综合评价汇总报告" in text
    summary = sample_result.evaluation.summary
    designed = expected["designed_counts"]
    for pid in ("above", "below"):
        e = summary[pid]
        assert e["evaluated"] == designed[pid]["evaluated"]
        assert f"{e['label']}（参评{e['evaluated']}家）" in text
        # status row: total without the data artefacts, then each status count, in order
        assert flat(f"{e['label']} {e['total'] - (3 if pid == 'below' else 0)} {e['evaluated']}") in text
        for rule_id, b in e["benchmarks"].items():
            assert format_number(b, INDICATOR_BY_ID[rule_id].unit) in text
        assert format_number(e["aggregates"]["revenue_per_mu"], "万元/亩") in text  # unscored, still reported
        for town in e["by_township"]:
            assert town in text
        for div in e["by_industry"]:
            assert flat(division_label(div)) in text
        names = sample_result.scheme.populations[pid].tiers.names
        for lab, n in e["tiers"].items():  # the tier table row: label, name, initial, final, share
            row = f"{lab}类{names[lab]}{e['initial_tiers'][lab]}{n}{n / e['evaluated'] * 100:.1f}%"
            assert row in text, row
    # tied to the letters by the short 核验码; no scheme id or checksum for the leadership to puzzle over
    from evaluator.pipeline.fingerprint import data_fingerprint, verification_code

    assert f"核验码：{verification_code(data_fingerprint(sample_result))}" in text
    assert sample_result.scheme.fingerprint not in text and "reference" not in text and "指纹" not in text


def test_artefacts_are_listed_not_counted_and_open_errors_are_reported(sample_result, tmp_path):
    path = write_summary_pdf(sample_result, tmp_path / "汇总报告.pdf", settings())
    text = flat(pdf_text(path))
    # 303 records: 3 are rows from one department that match no firm (two names, one bad code)
    assert "共涉及工业企业300家（规上企业160家、规下企业140家）" in text
    assert "另有3条记录" in text and "示范县东山村股份经济合作社" in text and "校验不通过" in text
    errors = sum(1 for i in sample_result.issues if i.level == "error")
    assert f"错误{errors}条" in text and "七、待核实的数据问题" in text
    assert "六、与上年比较" not in text  # no prior attached


def test_prior_year_comparison_when_a_prior_is_attached(sample_files, tmp_path):
    from evaluator.method.scheme import load_scheme
    from evaluator.outputs.json_result import to_json_dict
    from evaluator.pipeline.prior import attach_prior, prior_from_json
    from evaluator.pipeline.run import run

    result = run(sample_files, load_scheme("reference"), 2025)
    doc = to_json_dict(result)
    doc["year"] = 2024
    t = result.table
    ranked = [k for k in t.index[t["population"] == "above"]]
    for e in doc["enterprises"]:  # last year: the first above-scale firm was D, everyone else as now
        if e["credit_code"] == t.at[ranked[0], "credit_code"]:
            e["tier"], e["d_years"] = "D", 1
    attach_prior(result, prior_from_json(doc))
    text = flat(pdf_text(write_summary_pdf(result, tmp_path / "r.pdf", settings())))
    assert "六、与上年比较" in text and "升档1家" in text and "上年等级＼本年等级" in text


def test_townships_keep_the_order_of_the_input(sample_result, tmp_path):
    text = flat(pdf_text(write_summary_pdf(sample_result, tmp_path / "r.pdf", settings())))
    section = text[text.index("四、分乡镇"):text.index("五、分行业")]
    towns = list(dict.fromkeys(str(x) for x in sample_result.table["township"].dropna()))
    pos = [section.index(tn) for tn in towns]
    assert pos == sorted(pos)


def test_hostile_township_names_print_literally(tmp_path):
    result = hostile_result(tmp_path)
    path = write_summary_pdf(result, tmp_path / "r.pdf", settings())
    assert "A&B<i>镇</i>" in flat(pdf_text(path))
