"""What a letter says about the method is true under the scheme in force, and its layout is an
official notice: 规下 letters on one page, industries by name, figures a reader can recompute."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from evaluator.core.divisions import industry_label
from evaluator.method.scheme import load_scheme
from evaluator.outputs import letter_pdf
from evaluator.outputs.fonts import find_cjk_font, pdf_fonts
from evaluator.outputs.json_result import write_json
from evaluator.outputs.letter_data import LetterBuilder
from evaluator.outputs.letter_template import load_letter_template
from evaluator.outputs.pdf_layout import Measure, NullCanvas
from evaluator.outputs.letters import write_letters
from evaluator.outputs.method_text import method_sentences, score_rule
from evaluator.pipeline.prior import load_prior, prior_document
from evaluator.pipeline.run import run

from .conftest import SAMPLE_FILES
from .outputs_fixtures import flat, pdf_text, settings

SCHEMES = ("reference", "huangyan-2022", "huaian-2024", "anhui-city")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    last = tmp_path_factory.mktemp("prior") / "2024.json"  # huaian's benchmarks come from last year
    write_json(run(SAMPLE_FILES, load_scheme("reference"), 2024), last)
    prior = prior_document(load_prior(last))
    return {sid: run(SAMPLE_FILES, load_scheme(sid), 2025, prior=prior if load_scheme(sid).uses_prior else None)
            for sid in SCHEMES}


def _builder(result):  # type: ignore[no-untyped-def]
    return LetterBuilder(result, settings(), load_letter_template("default"))


def test_cap_and_floor_sentences_follow_the_scheme():
    ref = load_scheme("reference").populations["above"].indicators[0]
    hy = load_scheme("huangyan-2022").populations["above"].indicators[0]
    ha = load_scheme("huaian-2024").populations["above"].indicators[0]
    assert score_rule(ref).endswith("最高为权重的 2 倍，最低为 0 分")
    assert score_rule(hy).endswith("数值为负时得分为负") and "最高" not in score_rule(hy)
    assert "最高不超过权重" in score_rule(ha)


def test_method_sentences_name_shares_moves_bonus_and_full_marks():
    text = "".join(method_sentences(load_scheme("huaian-2024").populations["above"]))
    assert "前20%为A类，20%至60%为B类，60%至95%为C类，其余为D类" in text
    assert "指标得分合计为100分" in text and "加分" not in text  # huaian has no bonus
    assert "平均值的2倍" in text
    text = "".join(method_sentences(load_scheme("reference").populations["above"]))
    assert "加分合计不超过8分" in text and "单位能耗增加值缺少数据的，按有数据的参评规上企业该项平均得分计" in text
    assert "等级最高为C类" in text and "新升规企业等级不低于C类" in text


@pytest.mark.parametrize("sid", SCHEMES)
def test_no_letter_claims_a_cap_its_scheme_does_not_have(results, sid, tmp_path):
    r = results[sid]
    t = r.table
    key = str(t.index[t["population"] == "above"][0])
    text = flat(pdf_text(write_letters(r, tmp_path, settings(), keys=[key], workers=1)[0]))
    caps = {rule.cap for rule in r.scheme.populations["above"].indicators}
    assert ("得分上限为权重的2倍" in text) is False
    assert ("最高为权重的2倍" in text) == (caps == {2.0})
    assert ("数值为负时得分为负" in text) == (sid == "huangyan-2022")


def test_average_rule_without_any_data_is_a_warning_and_the_letter_says_zero(results, tmp_path):
    r = results["huangyan-2022"]  # nobody has emission data: no average exists
    assert any("单位排放增加值" in i.message and "无法取平均得分" in i.message for i in r.issues)
    t = r.table
    key = str(t.index[t["population"] == "above"][0])
    d = _builder(r).build(key)
    line = next(ln for ln in d.indicators if ln.label == "单位排放增加值")
    assert line.note == "参评企业均无此项数据，按0分计" and line.score == "0.00"


def test_negative_total_is_explained(results):
    r = results["huangyan-2022"]
    t = r.table
    neg = t.index[t["total_score"] < 0]
    assert len(neg), "the sample county has a tax refund"
    d = _builder(r).build(str(neg[0]))
    assert d.total.startswith("-")
    assert any("综合得分为负数" in n and "不设下限" in n for n in d.score_notes)
    assert any(ln.note == "数值为负，得分为负" for ln in d.indicators)


@pytest.mark.parametrize("sid", SCHEMES)
def test_scores_can_be_recomputed_from_the_printed_ratio(results, sid):
    r = results[sid]
    b = _builder(r)
    t = r.table
    for key in [str(k) for k in t.index[t["population"].notna()][:40]]:
        d = b.build(key)
        pop = r.scheme.populations[t.at[key, "population"]]
        for rule, ln in zip(pop.indicators, d.indicators):
            if ln.ratio_text == "—" or ln.note:
                continue
            assert abs(rule.weight * float(ln.ratio_text) - float(ln.score)) <= 0.006 + rule.weight * 5e-5, (key, ln)
            v, bench = float(ln.value.replace(",", "")), float(ln.benchmark.replace(",", ""))
            assert abs(v / bench - float(ln.ratio_text)) <= 0.002 * max(1.0, abs(v / bench)), (key, ln)


def test_industry_is_shown_as_a_class_name_whatever_the_source_wrote():
    assert industry_label("C3311") == industry_label("3311") == industry_label(" c3311 ") == "C3311 金属结构制造"
    assert industry_label("1810") == "C1810（18 纺织服装、服饰业）"  # a 2011 class: the division, never a guess
    assert industry_label("9999") == "9999" and industry_label(None) == ""


def test_industry_cell_is_never_broken_inside_a_word(results, tmp_path):
    r = results["reference"]
    t = r.table
    key = str(t.index[(t["industry"].astype(str).str.contains("3130")) & t["population"].notna()][0])
    path = write_letters(r, tmp_path, settings(), keys=[key], workers=1)[0]
    lines = pdf_text(path).splitlines()
    assert any("3130 钢压延加工" in ln for ln in lines)


@pytest.mark.parametrize("sid", SCHEMES)
def test_every_below_scale_letter_fits_one_page(results, sid):
    r = results[sid]
    b = _builder(r)
    fonts = pdf_fonts(find_cjk_font(settings()))
    t = r.table
    pages = {letter_pdf.choose_style(b.build(str(k)), fonts)[1] for k in t.index[t["population"] == "below"]}
    assert pages == {1}


def test_a_rendered_below_scale_letter_has_one_page_and_official_marks(results, tmp_path):
    r = results["reference"]
    t = r.table
    key = str(t.index[(t["population"] == "below") & (t["safety_accident"] == 1)][0])  # one of the longest
    path = write_letters(r, tmp_path, settings(), keys=[key], workers=1)[0]
    assert len(PdfReader(str(path)).pages) == 1
    text = flat(pdf_text(path))
    assert "—1—" in text and "〔2026〕" in text and "第1页" not in text


def test_compact_layout_can_be_chosen_in_the_template(results, tmp_path):
    tpl = tmp_path / "紧凑.toml"
    tpl.write_text('layout = "compact"\n', encoding="utf-8")
    r = results["reference"]
    key = str(r.table.index[r.table["population"] == "above"][0])
    text = flat(pdf_text(write_letters(r, tmp_path / "o", settings(letter_template=str(tpl)), keys=[key],
                                       workers=1)[0]))
    assert "第1页共" in text
    bad = tmp_path / "坏.toml"
    bad.write_text('layout = "wide"\n', encoding="utf-8")
    from evaluator.core.issues import InputError

    with pytest.raises(InputError, match="official"):
        load_letter_template(str(bad))


class _Recorder(NullCanvas):
    def __init__(self) -> None:
        self.fills: list[object] = []

    def setFillColor(self, c: object) -> None:
        self.fills.append(c)


def test_bars_take_the_colour_of_their_own_ratio_not_the_tier(results):
    r = results["reference"]
    t = r.table
    b = _builder(r)
    fonts = pdf_fonts(find_cjk_font(settings()))
    for key in [str(k) for k in t.index[(t["tier"] == "D") & (t["population"] == "above")]]:
        d = b.build(key)
        if any(ln.ratio is not None and ln.ratio >= 1 for ln in d.indicators):
            break
    else:
        pytest.skip("no D firm with an indicator above the benchmark")
    rec = _Recorder()
    w = letter_pdf._writer(rec, fonts, letter_pdf.OFFICIAL, Measure)
    letter_pdf._ratio_chart(w, d.indicators, letter_pdf.OFFICIAL)
    bars = [c for c in rec.fills if c in (letter_pdf.BAR_AT_OR_ABOVE, letter_pdf.BAR_BELOW)]
    want = [letter_pdf.BAR_AT_OR_ABOVE if ln.ratio >= 1 else letter_pdf.BAR_BELOW
            for ln in d.indicators if ln.ratio is not None]
    assert bars == want and letter_pdf.BAR_AT_OR_ABOVE in bars


def test_ratio_label_is_the_ratio_itself_without_a_greater_than_sign(results):
    r = results["reference"]
    t = r.table
    key = str(t.index[(t["population"] == "above") & (t["v_tax_per_mu"] > 2.05 * t["b_tax_per_mu"])][0])
    d = _builder(r).build(key)
    assert all("＞" not in ln.ratio_text for ln in d.indicators)
