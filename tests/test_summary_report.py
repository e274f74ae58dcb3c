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
        # status row: total, then each status count, in order
        assert flat(f"{e['label']} {e['total']} {e['evaluated']}") in text
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
    assert sample_result.scheme.fingerprint in text


def test_hostile_township_names_print_literally(tmp_path):
    result = hostile_result(tmp_path)
    path = write_summary_pdf(result, tmp_path / "r.pdf", settings())
    assert "A&B<i>镇</i>" in flat(pdf_text(path))
