"""The graded-list workbook (分类名单): right firms on the right sheets, typed cells, never a formula."""

from __future__ import annotations

import math
import re
import zipfile

import openpyxl
import pytest
from hypothesis import given
from hypothesis import settings as settings_h
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from evaluator.core.issues import ISSUE_CODES, Cancelled
from evaluator.method.indicators import excel_format
from evaluator.outputs.workbook import write_workbook

from .outputs_fixtures import HOSTILE, hostile_result, settings

HEADER_ROW = 3  # title, subtitle, header


def _columns(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[HEADER_ROW] if c.value}


def _rows(ws):
    return list(ws.iter_rows(min_row=HEADER_ROW + 1))


@pytest.fixture(scope="module")
def sample_book(sample_result, tmp_path_factory):
    path = write_workbook(sample_result, tmp_path_factory.mktemp("wb") / "分类名单.xlsx", settings())
    return path, openpyxl.load_workbook(path)


def test_sheets_and_every_firm_once(sample_result, sample_book):
    _path, wb = sample_book
    assert wb.sheetnames == ["全部企业", "全部数据", "规上A类", "规上B类", "规上C类", "规上D类", "规下A类", "规下B类",
                             "规下C类", "规下D类", "按乡镇汇总", "按行业汇总", "数据核查", "说明"]
    t = sample_result.table
    for name in ("全部企业", "全部数据"):
        ws = wb[name]
        cols = _columns(ws)
        rows = _rows(ws)
        assert len(rows) == len(t) == 303
        codes = [r[cols["统一社会信用代码"] - 1].value for r in rows]
        assert set(c for c in codes if c) == set(t["credit_code"].dropna()) - {None}
        assert [r[cols["序号"] - 1].value for r in rows] == list(range(1, len(t) + 1))
    ws = wb["全部数据"]
    cols = _columns(ws)
    status = {r[cols["统一社会信用代码"] - 1].value: r[cols["评价状态"] - 1].value for r in _rows(ws)}
    assert sum(1 for v in status.values() if v == "参评") == int(t["population"].notna().sum())


def test_printed_list_has_readable_columns_and_plain_words(sample_book):
    _path, wb = sample_book
    ws = wb["全部企业"]
    cols = _columns(ws)
    assert len(cols) <= 16  # 53 columns fitted to one page printed ~1.8 pt high
    assert sum(ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in cols.values()) < 200
    industries = {r[cols["所属行业"] - 1].value for r in _rows(ws)}
    # one form whatever the file wrote (3311 or C3311): the code with its section letter, as on screen
    assert "C3311 金属结构制造" in industries
    assert all(re.match(r"^[B-D]\d{4}[ （]", str(v)) for v in industries if v), industries
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    for word in ("一票否决", "（保护", "名称:", "不大于", "属免评行业"):
        assert word not in text, word
    assert "发生安全生产事故，由A类调整为C类。" in text
    head = ws.oddHeader.left.text or ""
    assert "示范县2025年度亩均效益综合评价" in head


def test_tier_sheets_are_split_by_population_and_ranked_within_it(sample_result, sample_book):
    _path, wb = sample_book
    t = sample_result.table
    for pid, short in (("above", "规上"), ("below", "规下")):
        ranks = []
        for label in "ABCD":
            ws = wb[f"{short}{label}类"]
            cols = _columns(ws)
            got = sorted(r[cols["统一社会信用代码"] - 1].value for r in _rows(ws))
            want = sorted(t.loc[(t["tier"] == label) & (t["population"] == pid), "credit_code"])
            assert got == want and len(got) > 0, (pid, label)
            assert all(r[cols["最终等级"] - 1].value == label for r in _rows(ws))
            ranks += [r[cols["全县排名"] - 1].value for r in _rows(ws) if r[cols["初评等级"] - 1].value == label]
        assert ranks == sorted(ranks) and ranks[0] == 1  # one ranking per population, never restarting


def test_numbers_are_numbers_with_unit_formats_and_missing_is_blank(sample_result, sample_book):
    _path, wb = sample_book
    ws = wb["全部数据"]
    cols = _columns(ws)
    t = sample_result.table
    col = cols["亩均税收（万元/亩）"]
    code_col = cols["统一社会信用代码"]
    checked = 0
    for r in _rows(ws):
        cell = r[col - 1]
        code = r[code_col - 1].value
        if not code:
            continue
        want = t.loc[t["credit_code"] == code, "v_tax_per_mu"].iloc[0]
        if isinstance(want, float) and math.isnan(want):
            assert cell.value is None
        else:
            assert cell.data_type == "n" and cell.value == pytest.approx(want)
            assert cell.number_format == excel_format("万元/亩")
            checked += 1
    assert checked > 250
    assert any(r[cols["综合能耗（吨标准煤）"] - 1].value is None for r in _rows(ws))
    years = [r[cols["投产时间（年）"] - 1] for r in _rows(ws) if r[cols["投产时间（年）"] - 1].value is not None]
    assert years and all(c.number_format == "0" and 1900 < c.value < 2100 for c in years)
    assert cols["综合得分"] and all(r[cols["综合得分"] - 1].data_type == "n" for r in _rows(ws)
                                    if r[cols["综合得分"] - 1].value is not None)


def test_print_setup_and_frozen_header(sample_book):
    _path, wb = sample_book
    full = wb["全部数据"]
    assert not full.sheet_properties.pageSetUpPr or not full.sheet_properties.pageSetUpPr.fitToPage
    ws = wb["全部企业"]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.freeze_panes == "D4"
    assert ws.print_title_rows.replace("$", "") == "3:3"
    assert ws.sheet_properties.pageSetUpPr.fitToPage  # one page wide (width 1 is the default), any height:
    assert ws.page_setup.fitToWidth in (None, 1) and int(ws.page_setup.fitToHeight) == 0
    assert "分类名单" in ws.cell(1, 1).value


def test_summaries_and_data_check_list(sample_result, sample_book):
    path, wb = sample_book
    ws = wb["按乡镇汇总"]
    cols = _columns(ws)
    towns = {r[cols["乡镇（街道）"] - 1].value for r in _rows(ws)}
    assert set(sample_result.evaluation.summary["above"]["by_township"]) <= towns and "合计" in towns
    ws = wb["按行业汇总"]
    assert any(str(r[1].value).startswith("33 金属制品业") for r in _rows(ws))
    ws = wb["数据核查"]
    assert len(_rows(ws)) == len(sample_result.issues)
    assert not any(str(c.value).startswith("名称:") for row in ws.iter_rows() for c in row if c.value)
    levels = [r[1].value for r in _rows(ws)]
    assert levels.index("错误") < levels.index("警告") < levels.index("提示")
    # 类别 beside 级别: each finding's stable kind (ISSUE_CODES title), one per row, for sorting and filtering
    cols = _columns(ws)
    assert cols["类别"] == cols["级别"] + 1
    order = {"error": 0, "warning": 1, "info": 2}
    expected = [ISSUE_CODES.get(i.code, "其他") for i in sorted(sample_result.issues, key=lambda i: order[i.level])]
    assert [r[cols["类别"] - 1].value for r in _rows(ws)] == expected
    assert "表头识别结果" in expected  # a coded finding shows its title, never the code itself
    # calamine (what WPS-like readers and our own importer use) reads every sheet
    cwb = CalamineWorkbook.from_path(str(path))
    for name in cwb.sheet_names:
        assert cwb.get_sheet_by_name(name).to_python()


@pytest.mark.parametrize("sheet, group", [("按乡镇汇总", "乡镇（街道）"), ("按行业汇总", "行业大类")])
def test_totals_add_up_and_sit_outside_the_filter(sample_result, sample_book, sheet, group):
    _path, wb = sample_book
    ws = wb[sheet]
    cols = _columns(ws)
    rows = [[c.value for c in r] for r in _rows(ws)]
    data = [r for r in rows if r[cols[group] - 1] != "合计"]
    totals = [r for r in rows if r[cols[group] - 1] == "合计"]
    assert rows[len(data):] == totals  # every 合计 after all data rows
    for tot in totals:
        pop = tot[cols["参评群体"] - 1]
        part = [r for r in data if r[cols["参评群体"] - 1] == pop]
        for name in ("企业数", "参评企业数", "A类", "B类", "C类", "D类"):
            assert tot[cols[name] - 1] == sum(r[cols[name] - 1] for r in part), (pop, name)
    assert sum(t[cols["企业数"] - 1] for t in totals) == len(sample_result.table)
    last = int(ws.auto_filter.ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    assert last == HEADER_ROW + len(data)


def test_wrapped_rows_get_a_height_and_the_method_is_described_in_words(sample_book):
    _path, wb = sample_book
    ws = wb["说明"]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert "1224" not in text and "其后的名次顺延" in text and "最高为权重的2倍" in text
    tall = [r for r, d in ws.row_dimensions.items() if d.height and d.height > 14]
    assert tall  # long explanations do not run into the next row in LibreOffice or WPS
    assert any("A1" in str(r) for r in ws.merged_cells.ranges)


def test_hostile_names_stay_text_in_every_reader(tmp_path):
    result = hostile_result(tmp_path)
    path = write_workbook(result, tmp_path / "名单.xlsx", settings())
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", z.read(name)), name  # no formula element anywhere
    wb = openpyxl.load_workbook(path)
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if cell.value in HOSTILE.values():
                    assert cell.data_type == "s"
                    seen.add(cell.value)
    assert seen == set(HOSTILE.values())
    cwb = CalamineWorkbook.from_path(str(path))
    names = {r[2] for r in cwb.get_sheet_by_name("全部数据").to_python()[HEADER_ROW:]}
    assert set(HOSTILE.values()) <= names
    towns = {r[3] for r in cwb.get_sheet_by_name("全部数据").to_python()[HEADER_ROW:]}
    assert "A&B<i>镇</i>" in towns


def test_cancel_leaves_no_file(sample_result, tmp_path):
    target = tmp_path / "x.xlsx"
    with pytest.raises(Cancelled):
        write_workbook(sample_result, target, settings(), cancel=lambda: True)
    assert not target.exists() and not list(tmp_path.iterdir())


@settings_h(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("aZ 1\n\x00。，示范\u2e7f\u2e80\u3000\U0001f600\U0010ffff"), max_size=300),
                max_size=20),
       st.sampled_from([1.0, 5, 7.5, 16, 24, 30, 60]))
def test_wrapped_lines_of_a_column_are_each_texts(texts, width):
    # rows get their heights from these counts: counted a column at a time, they are each text's count
    from evaluator.outputs.workbook import _wrapped_lines_each, wrapped_lines

    texts += ["示范省第12345号制造有限公司", "x" * 257, "发生安全生产事故，由A类调整为C类。"]
    assert _wrapped_lines_each(texts, width) == [wrapped_lines(t, width) for t in texts]


@pytest.mark.parametrize("which", ["publicity", "register"])
def test_every_name_reads_back_from_the_publicity_list_and_the_register(which, tmp_path):
    # Names that are markup, formulas or xlsxwriter's rich-string form stay plain text in these
    # workbooks too (a `<r>…</r>` name once went into the file unescaped).
    from evaluator.outputs.confirmation import write_confirmation_register
    from evaluator.outputs.publicity import write_publicity_xlsx

    result = hostile_result(tmp_path)
    path = tmp_path / f"{which}.xlsx"
    if which == "publicity":
        write_publicity_xlsx(result, path, settings())
    else:
        write_confirmation_register(result, path)
    values = {c.value for ws in openpyxl.load_workbook(path).worksheets for row in ws.iter_rows() for c in row}
    assert set(HOSTILE.values()) <= values, set(HOSTILE.values()) - values


class _Reads(dict):
    """A record that notes every field read from it."""

    def __init__(self, *a, **k) -> None:
        super().__init__(*a, **k)
        self.read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)


def test_tier_moves_and_status_sentences_read_only_the_fields_the_workbook_gives_them(sample_result, tmp_path):
    # The workbook hands these functions records of the listed fields only: a field read but not
    # listed would silently be None there, and a sheet's 说明 would differ from the letter's.
    from evaluator.outputs.letter_data import SENTENCE_FIELDS, move_fields, status_sentence, tier_moves

    for result in (sample_result, hostile_result(tmp_path)):
        scheme = result.scheme
        for rec in result.table.to_dict("records"):
            r = _Reads(rec)
            if rec["population"] in scheme.populations:
                pop = scheme.populations[rec["population"]]
                tier_moves(r, pop)
                assert r.read <= set(move_fields(pop)), r.read - set(move_fields(pop))
            else:
                status_sentence(r, scheme, result.year)
                assert r.read <= set(SENTENCE_FIELDS), r.read - set(SENTENCE_FIELDS)
