"""Evaluation letters (评价结果告知书): what a firm reads must match the result, print in an embedded
Chinese font, survive hostile names, and land only inside the chosen folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from evaluator.core.divisions import DIVISION_NAMES
from evaluator.core.issues import Cancelled, InputError
from evaluator.method.indicators import format_number
from evaluator.outputs import fonts as fonts_mod
from evaluator.outputs.fonts import find_cjk_font, pdf_fonts
from evaluator.outputs.letter_template import (
    load_letter_template,
    parse_letter_template,
)
from evaluator.outputs.letters import PARALLEL_MIN, select_keys, write_letters
from evaluator.outputs.names import letter_filename, path_inside, safe_filename_part
from evaluator.outputs.pdf_layout import NO_LINE_START, metrics_for, wrap_text
from evaluator.pipeline.fingerprint import data_fingerprint, verification_code

from .outputs_fixtures import (
    HOSTILE,
    embedded_fonts,
    flat,
    hostile_result,
    key_of,
    pdf_text,
    settings,
)

SUBSET = re.compile(r"^/[A-Z]{6}\+")


def _one(sample_result, tmp_path: Path, key: str, **kw) -> tuple[Path, str]:
    paths = write_letters(sample_result, tmp_path, settings(), keys=[key], workers=1, **kw)
    assert len(paths) == 1
    return paths[0], flat(pdf_text(paths[0]))


def _pick(sample_result, mask) -> str:
    t = sample_result.table
    keys = list(t.index[mask.fillna(False).to_numpy(dtype=bool)])
    assert keys, "the sample county must contain this kind of firm"
    return str(keys[0])


def test_letter_of_an_a_firm_with_bonus_says_what_the_result_says(sample_result, tmp_path):
    t = sample_result.table
    key = _pick(sample_result, (t["tier"] == "A") & (t["bonus"] > 0) & (t["population"] == "above"))
    row = t.loc[key]
    path, text = _one(sample_result, tmp_path, key)
    fonts = embedded_fonts(path)
    assert fonts and all(embedded for _name, embedded in fonts), fonts
    assert all(SUBSET.match(name) for name, _ in fonts), fonts
    n_above = int((t["population"] == "above").sum())
    code = verification_code(data_fingerprint(sample_result))
    for needle in (row["name"], row["credit_code"], "A类（优先发展类）", format_number(row["total_score"], "分"),
                   f"在全县{n_above}家规上企业中排第{int(row['rank'])}名", "加分", "示工信〔2026〕1号",
                   "示范县经济和信息化局", "2026年3月1日", "2026年3月16日", f"核验码：{code}", "—1—"):
        assert flat(needle) in text, needle
    # no hashes, ids or software words in what a firm receives
    for word in (sample_result.scheme.fingerprint, data_fingerprint(sample_result), "指纹", "reference", "第 1 页"):
        assert word not in text, word
    pop = sample_result.scheme.populations["above"]
    assert flat(pop.tiers.policies["A"]) in text
    for rule in pop.indicators:
        assert rule.label in text
        assert format_number(row[f"s_{rule.id}"], "分") in text
    assert path.name == f"{path.name[:3]}_{row['name']}.pdf"


def test_vetoed_firm_says_plainly_why_its_tier_was_lowered(sample_result, tmp_path):
    t = sample_result.table
    key = _pick(sample_result, (t["safety_accident"] == 1) & (t["initial_tier"] == "A") & (t["tier"] == "C"))
    _path, text = _one(sample_result, tmp_path, key)
    assert "评价等级为C类（帮扶转型类）" in text
    assert "初评为A类，因本年度发生安全生产事故，按评价方案等级最高为C类，调整为C类。" in text
    for jargon in ("一票否决", "（保护", "最高C类）", "A 类"):
        assert jargon not in text, jargon


def test_protected_firm_says_plainly_why_its_tier_was_raised(sample_result, tmp_path):
    t = sample_result.table
    key = _pick(sample_result, (t["newly_above"] == 1) & (t["initial_tier"] == "D") & (t["tier"] == "C"))
    _path, text = _one(sample_result, tmp_path, key)
    assert "初评为D类，因属新升规企业，按评价方案等级不低于C类，调整为C类。" in text
    assert "保护" not in text and "评价等级为C类（帮扶转型类）" in text


def test_manual_override_is_shown_with_its_reason_in_plain_words(tmp_path):
    from evaluator.method.evaluate import TierOverride
    from evaluator.method.scheme import load_scheme
    from evaluator.pipeline.run import run

    from .outputs_fixtures import hostile_rows, write_xlsx

    data = write_xlsx(tmp_path / "h.xlsx", hostile_rows())
    plain = run([data], load_scheme("reference"), 2025)
    key = key_of(plain, "示范县普通机械有限公司")
    before = plain.table.at[key, "tier"]
    assert before != "D"
    result = run([data], load_scheme("reference"), 2025, overrides=[TierOverride(key, "D", "经核实存在违法占地")])
    path = write_letters(result, tmp_path / "out", settings(), keys=[key], workers=1)[0]
    text = flat(pdf_text(path))
    assert "评价等级为D类（倒逼整治类）" in text
    assert f"经复核，贵单位等级由{before}类调整为D类，理由：经核实存在违法占地。" in text
    assert "手动调档" not in text


def test_non_evaluated_firms_get_no_letter_unless_notices_are_asked_for(sample_result, tmp_path):
    t = sample_result.table
    exempt = _pick(sample_result, (t["status"] == "exempt") & t["division"].isin(["44", "45", "46"]))
    evaluated = _pick(sample_result, t["status"] == "evaluated")
    batch = write_letters(sample_result, tmp_path / "a", settings(), keys=[exempt, evaluated], workers=1)
    assert len(batch) == 1 and batch.skipped == [exempt]
    batch = write_letters(sample_result, tmp_path / "b", settings(), keys=[exempt], workers=1, notices=True)
    assert len(batch) == 1
    text = flat(pdf_text(batch[0]))
    div = t.at[exempt, "division"]
    assert "情况告知书" in text and f"贵单位所属行业（{div}{DIVISION_NAMES[div]}）按评价方案不参加评价。" in text
    assert "综合得分" not in text and "属免评行业" not in text and "行业大类" not in text
    incomplete = _pick(sample_result, t["status"] == "incomplete")
    text = flat(pdf_text(write_letters(sample_result, tmp_path / "c", settings(), keys=[incomplete], workers=1,
                                       notices=True)[0]))
    assert "不大于" not in text and "用地面积" in text


def test_hostile_names_print_literally_and_file_names_stay_inside_the_folder(tmp_path):
    result = hostile_result(tmp_path)
    out = tmp_path / "告知书"
    batch = write_letters(result, out, settings(), workers=1)
    assert len(batch) == len(HOSTILE) + 1  # the 规下 2-mu firm is out of scope
    names = [p.name for p in batch]
    for p in batch:
        assert p.parent == out.resolve() and p.exists()
        assert not set(p.name) & set('/\\:*?"<>|') and ".." not in p.name
    assert any(n.endswith("__CON.pdf") for n in names)  # CON is a device name on Windows
    assert not any(re.match(r"^\d+_CON\.pdf$", n, re.IGNORECASE) for n in names)
    assert any(n.endswith("_A_B公司.pdf") for n in names) and any(n.endswith("_x.pdf") for n in names)
    assert not list(tmp_path.glob("x*")) and not (tmp_path.parent / "x.pdf").exists()
    by_key = {p.name.split("_", 1)[0]: p for p in batch}
    assert len(by_key) == len(batch)
    for tag in ("markup", "formula", "plus", "at"):
        key = key_of(result, HOSTILE[tag])
        path = next(p for p in batch if flat(HOSTILE[tag]) in flat(pdf_text(p)))
        assert key in flat(pdf_text(path))
    markup_letter = [p for p in batch if "A&B<b>x</b>有限公司" in flat(pdf_text(p))]
    assert len(markup_letter) == 1 and markup_letter[0].name.endswith("_A&B_b_x__b_有限公司.pdf")
    assert "A&B<i>镇</i>" in flat(pdf_text(markup_letter[0]))


def test_very_long_name_with_a_line_break(tmp_path):
    from evaluator.method.scheme import load_scheme
    from evaluator.pipeline.run import run

    from .outputs_fixtures import hostile_rows, write_xlsx

    rows = hostile_rows()
    long_name = "示范县" + "超长名称测试" * 40 + "\n有限公司"
    rows[0][1] = long_name
    result = run([write_xlsx(tmp_path / "h.xlsx", rows)], load_scheme("reference"), 2025)
    key = key_of(result, long_name)
    batch = write_letters(result, tmp_path / "out", settings(), keys=[key], workers=1)
    assert len(batch) == 1 and not batch.warnings
    assert len(batch[0].name) < 80 and "\n" not in batch[0].name
    text = flat(pdf_text(batch[0]))
    assert flat(long_name) in text  # wrapped over lines, but all of it


@pytest.mark.parametrize("name", ["../../x", "..\\..\\x", "CON", "con.txt", "A/B", "a:b*c?", "LPT1", "\x00\x1f名",
                                  " . ", "名" * 300, "NUL.tar.gz"])
def test_safe_filename_part(name, tmp_path):
    part = safe_filename_part(name)
    assert part and len(part) <= 60
    assert not set(part) & set('/\\:*?"<>|') and ".." not in part
    assert not any(ord(c) < 32 for c in part)
    assert part.split(".")[0].upper() not in {"CON", "NUL", "LPT1", "PRN", "AUX"}
    path = path_inside(tmp_path, letter_filename(7, name))
    assert path.parent == tmp_path.resolve()


def test_path_inside_refuses_escapes(tmp_path):
    with pytest.raises(InputError):
        path_inside(tmp_path, "../x.pdf")


def test_numbers_go_only_to_letters_issued_and_continue_in_a_register(sample_result, tmp_path):
    from evaluator.outputs.doc_numbers import allocate

    t = sample_result.table
    some = select_keys(sample_result, tier="A")
    part = write_letters(sample_result, tmp_path / "part", settings(first_serial=7), keys=some, workers=1)
    assert sorted(part.numbers.values()) == list(range(7, 7 + len(some)))  # no gaps for a tier's batch
    assert sorted(p.name[:3] for p in part) == [f"{n:03d}" for n in range(7, 7 + len(some))]
    order = [k for k in builder_order(sample_result) if k in set(some)]
    assert [part.numbers[k] for k in order] == sorted(part.numbers.values())  # in county-rank order
    # a register: the next batch continues, a reprint keeps, a re-issue supersedes explicitly
    st = settings(first_serial=1)
    first = allocate([], order[:3], st, "fp1", "t1")
    assert first.serials == {k: i + 1 for i, k in enumerate(order[:3])} and first.new == 3
    second = allocate(first.records, order[2:5], st, "fp2", "t2")
    assert second.serials[order[2]] == 3 and second.kept == 1
    assert [second.serials[k] for k in order[3:5]] == [4, 5]
    third = allocate(second.records, [order[0]], st, "fp3", "t3", reissue="supersede")
    assert third.serials == {order[0]: 6} and third.superseded == 1
    old = next(r for r in third.records if r.key == order[0] and r.serial == 1)
    assert old.replaced_by == "示工信〔2026〕6号"
    assert allocate(third.records, [order[0]], st, "fp4", "t4").serials == {order[0]: 6}
    assert len(t) > len(some)


def builder_order(result):  # type: ignore[no-untyped-def]
    from evaluator.outputs.letter_data import letter_order

    return letter_order(result.table, list(result.scheme.populations))


def test_select_keys_by_tier_and_codes(sample_result):
    t = sample_result.table
    a = select_keys(sample_result, tier="A类")
    assert set(a) == set(t.index[t["tier"] == "A"].astype(str))
    code = str(t.index[0])
    spaced = " ".join([code[:6], code[6:].lower()])
    assert select_keys(sample_result, codes=[spaced]) == [code]


def test_parallel_batch_with_combined_pdf_matches_the_serial_one(sample_result, tmp_path):
    t = sample_result.table
    keys = [str(k) for k in t.index[t["population"].notna()][: PARALLEL_MIN + 6]]
    seen: list[float] = []
    combined = tmp_path / "合订本.pdf"
    par = write_letters(sample_result, tmp_path / "par", settings(), keys=keys, combined_path=combined, workers=2,
                        progress=lambda f, m: seen.append(f))
    ser = write_letters(sample_result, tmp_path / "ser", settings(), keys=keys, workers=1)
    assert [p.name for p in par] == [p.name for p in ser] and len(par) == len(keys)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert pdf_text(par[3]) == pdf_text(ser[3])
    pages = [len(PdfReader(str(p)).pages) for p in ser]
    # each letter starts on an odd page: printed on both sides, no two letters share a sheet
    assert len(PdfReader(str(combined)).pages) == sum(n + n % 2 for n in pages)
    text = flat(pdf_text(combined))
    assert all(flat(t.at[k, "name"]) in text for k in keys)
    assert not list(tmp_path.glob("*.part"))


def test_cancel_stops_the_batch(sample_result, tmp_path):
    t = sample_result.table
    keys = [str(k) for k in t.index[t["population"].notna()][:10]]
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        write_letters(sample_result, tmp_path, settings(), keys=keys, workers=1, cancel=cancel)
    assert 0 < len(list(tmp_path.glob("*.pdf"))) < len(keys)


def test_cancel_stops_a_parallel_batch_and_leaves_no_partial_combined_pdf(sample_result, tmp_path):
    t = sample_result.table
    keys = [str(k) for k in t.index[t["population"].notna()]]
    reports: list[float] = []
    with pytest.raises(Cancelled):
        write_letters(sample_result, tmp_path, settings(), keys=keys, workers=2, combined_path=tmp_path / "all.pdf",
                      progress=lambda f, m: reports.append(f), cancel=lambda: len(reports) >= 1)
    assert len(list(tmp_path.glob("*_*.pdf"))) < len(keys)
    assert not (tmp_path / "all.pdf").exists() and not list(tmp_path.glob("*.part"))


def test_font_in_settings_must_work(tmp_path):
    bad = tmp_path / "坏字体.ttf"
    bad.write_bytes(b"not a font")
    with pytest.raises(InputError) as exc:
        find_cjk_font(settings(font_path=str(bad)))
    assert "坏字体.ttf" in str(exc.value) and "设置" in str(exc.value)


def test_no_chinese_font_is_a_fix_it_error(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts_mod, "_system_candidates", list)
    monkeypatch.setenv("MUJUN_HOME", str(tmp_path))
    with pytest.raises(InputError) as exc:
        find_cjk_font(settings())
    msg = str(exc.value)
    assert "中文字体" in msg and "simfang.ttf" in msg and "fonts-wqy-zenhei" in msg and "templates" in msg


DROID = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")


@pytest.mark.skipif(not DROID.exists(), reason="fonts-droid-fallback not installed")
def test_a_cjk_font_without_latin_glyphs_gets_a_latin_companion(sample_result, tmp_path):
    choice = find_cjk_font(settings(font_path=str(DROID)))
    assert choice.latin is not None
    t = sample_result.table
    key = _pick(sample_result, t["tier"] == "A")
    path = write_letters(sample_result, tmp_path, settings(font_path=str(DROID)), keys=[key], workers=1)[0]
    fonts = embedded_fonts(path)
    assert len({re.sub(SUBSET, "", n) for n, _ in fonts}) == 2 and all(e for _n, e in fonts)
    text = flat(pdf_text(path))
    assert t.at[key, "credit_code"] in text and format_number(t.at[key, "total_score"], "分") in text


def test_letter_template_placeholders_are_checked_and_used(sample_result, tmp_path):
    with pytest.raises(InputError) as exc:
        parse_letter_template('title = "{企业名杯}的告知书"', "x.toml")
    assert "企业名杯" in str(exc.value)
    with pytest.raises(InputError):
        parse_letter_template('closing = "特此 {"', "x.toml")
    tpl = tmp_path / "本县.toml"
    tpl.write_text('closing = "请{企业名称}于{申诉截止日期}前回复 {{原样}}。"\n', encoding="utf-8")
    assert load_letter_template(str(tpl)).closing.startswith("请{企业名称}")
    key = str(sample_result.table.index[sample_result.table["population"].notna()][0])
    name = sample_result.table.at[key, "name"]
    path = write_letters(sample_result, tmp_path / "out", settings(letter_template=str(tpl)), keys=[key], workers=1)[0]
    assert flat(f"请{name}于2026年3月16日前回复{{原样}}。") in flat(pdf_text(path))


def test_chinese_line_breaking_rules():
    fonts = pdf_fonts(find_cjk_font())
    m = metrics_for(fonts)
    text = "根据评价结果，贵单位适用以下差别化政策：在用电、用水、用地、排污权、信贷等资源要素配置上给予优先保障。" * 3
    for width in (100.0, 137.0, 211.0, 300.0):
        lines = wrap_text(text, m, 11.5, width)
        assert "".join(lines) == text
        assert all(m.text(ln) * 11.5 <= width + 0.01 for ln in lines)
        assert not any(ln[0] in NO_LINE_START for ln in lines[1:])
    assert wrap_text("联系电话：0577-12345678", m, 10, 90) == ["联系电话：", "0577-12345678"]  # numbers stay whole
    assert "".join(wrap_text("0577-12345678", m, 10, 30)) == "0577-12345678"  # unless wider than the line


def test_letter_order_matches_the_tuple_sort_it_replaced() -> None:
    """Serial numbers come from this order: evaluated firms by population and county rank, then the
    rest by status, ties by key. numpy sorts it now; the plain Python sort is the reference."""
    import math
    import random

    import pandas as pd

    from evaluator.method.evaluate import STATUS_LABELS
    from evaluator.outputs.letter_data import letter_order

    rnd = random.Random(5)
    statuses = list(STATUS_LABELS)
    rows = []
    for i in range(400):
        pop = rnd.choice(["above", "below", None])
        rank = rnd.choice([1, 2, 2, 3, 10, None, float("nan")]) if pop else None
        rows.append((f"9133{rnd.randrange(10**6):06d}{i % 7}", pop, rank, rnd.choice(statuses)))
    keys = [r[0] for r in rows]
    table = pd.DataFrame({"population": pd.Series([r[1] for r in rows], index=keys, dtype=object),
                          "rank": pd.Series([r[2] for r in rows], index=keys, dtype=float),
                          "status": pd.Series([r[3] for r in rows], index=keys, dtype=object)}, index=keys)
    pop_order = {"below": 0, "above": 1}
    status_order = {s: i for i, s in enumerate(statuses)}

    def reference(r):  # type: ignore[no-untyped-def]
        key, pop, rank, status = r
        if pop is not None:
            finite = rank is not None and math.isfinite(rank)
            return (0, pop_order[pop], rank if finite else math.inf, key)
        return (1, status_order[status], 0, key)

    assert letter_order(table, ["below", "above"]) == [r[0] for r in sorted(rows, key=reference)]
