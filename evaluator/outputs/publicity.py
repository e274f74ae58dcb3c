"""公示名单: the list a county publishes for objections, as a print-ready workbook and PDF.

Per population: name, credit code, township and tier; ranked (with rank and score, by rank) or
排名不分先后 (no rank, no score; by tier, then by credit code or name). The heading says which
result it is (初评 until the evaluation is final), the 公示 period in working days and how to
object, from the settings. Only evaluated firms the release gate lets out are listed; the
others are returned to the caller to report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Spacer

from ..core.issues import InputError
from ..core.workdays import objection_deadline
from ..method.indicators import format_number
from ..pipeline.run import RunResult
from .fonts import find_cjk_font, pdf_fonts
from .gate import release_gate
from .letter_data import date_text
from .pdf_common import FRAME_W, build_pdf
from .review_pdf import DocBuilder
from .settings import Settings, load_settings

ORDERS = {"code": "统一社会信用代码", "name": "企业名称"}
STAGE_WORDS = {"": "初评", "initial": "初评", "publicity": "初评", "review": "复核", "final": "评价"}


@dataclass
class PublicityList:
    title: str
    intro: str
    unranked: bool
    sections: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)  # heading, header, rows
    held: list[str] = field(default_factory=list)  # evaluated firms left out by the release gate


def _deadline(settings: Settings) -> tuple[str, str]:
    start = settings.publicity_first_day()
    return date_text(start), date_text(objection_deadline(start, settings.publicity_days))


def publicity_list(result: RunResult, settings: Settings | None = None, unranked: bool = False,
                   order: str = "code") -> PublicityList:
    """What the list says, as text; `order` (`code`/`name`) sorts the 排名不分先后 form."""
    if order not in ORDERS:
        raise InputError(f"公示名单排序方式应为：{'、'.join(ORDERS.values())}")
    s = settings or load_settings()
    t = result.table
    held = release_gate(result).held
    word = STAGE_WORDS.get(result.stage, "初评")
    start, end = _deadline(s)
    office = s.appeal_office or s.authority
    contact = "；".join(x for x in (f"地址：{s.appeal_address}" if s.appeal_address else "",
                                   f"电话：{s.appeal_phone}" if s.appeal_phone else "") if x)
    out = PublicityList(
        f"{s.county}{result.year}年度工业企业亩均效益综合评价{word}结果公示",
        f"根据《{result.scheme.name}》，现将{s.county}{result.year}年度工业企业亩均效益综合评价{word}结果予以公示。"
        f"公示期为 {start} 至 {end}（{s.publicity_days} 个工作日）。公示期间，企业对评价结果有异议的，"
        f"请以书面形式写明异议事项和理由，附相关证明材料并加盖企业公章，通过所在乡镇（街道）经济办报送{office}"
        + (f"（{contact}）" if contact else "") + "。逾期未提出的，视为无异议。",
        unranked)
    evaluated = t[t["population"].notna()]
    out.held = [str(k) for k in evaluated.index if str(k) in held]
    shown = evaluated.drop(index=out.held)
    for pid, pop in result.scheme.populations.items():
        part = shown[shown["population"] == pid]
        if part.empty:
            continue
        rank_of = {lab: i for i, lab in enumerate(pop.tiers.labels)}
        if unranked:
            sort_col = part["credit_code"] if order == "code" else part["name"]
            part = part.assign(_t=part["tier"].map(rank_of), _o=sort_col.astype(str)).sort_values(["_t", "_o"])
            header = ["序号", "企业名称", "统一社会信用代码", "所属乡镇（街道）", "评价等级"]
            rows = [[str(i), str(r["name"]), str(r["credit_code"]), _town(r["township"]), f"{r['tier']}类"]
                    for i, (_k, r) in enumerate(part.iterrows(), 1)]
            heading = f"{pop.label}（{len(part)} 家，排名不分先后）"
        else:
            part = part.sort_values(["rank", "credit_code"])
            header = ["排名", "企业名称", "统一社会信用代码", "所属乡镇（街道）", "综合得分", "评价等级"]
            rows = [[str(int(r["rank"])), str(r["name"]), str(r["credit_code"]), _town(r["township"]),
                     format_number(r["total_score"], "分"), f"{r['tier']}类"] for _k, r in part.iterrows()]
            heading = f"{pop.label}（{len(part)} 家）"
        out.sections.append((heading, header, rows))
    return out


def _town(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)


def write_publicity_pdf(result: RunResult, path: str | Path, settings: Settings | None = None,
                        unranked: bool = False, order: str = "code") -> PublicityList:
    s = settings or load_settings()
    lst = publicity_list(result, s, unranked, order)
    fonts = pdf_fonts(find_cjk_font(s))
    doc = DocBuilder(fonts)
    story: list[Flowable] = [doc.p(lst.title, "doc_title"), Spacer(1, 4), doc.p(lst.intro), Spacer(1, 6)]
    numerals = "一二三四五六七八九十"
    for i, (heading, header, rows) in enumerate(lst.sections):
        if unranked:
            widths = [12 * mm, FRAME_W - 12 * mm - 44 * mm - 30 * mm - 20 * mm, 44 * mm, 30 * mm, 20 * mm]
        else:
            widths = [12 * mm, FRAME_W - 110 * mm, 40 * mm, 24 * mm, 18 * mm, 16 * mm]
        story += [CondPageBreak(40 * mm), doc.p(f"{numerals[i % 10]}、{heading}", "section"),
                  doc.table([header, *rows], widths, right_cols=(4,) if not unranked else ())]
    story += [Spacer(1, 14), doc.p(f"{s.authority}\n{date_text(s.issue_day())}", "sign")]
    build_pdf(path, story, fonts, lst.title, s.authority, (f"{s.authority}　{lst.title}",))
    return lst


def write_publicity_xlsx(result: RunResult, path: str | Path, settings: Settings | None = None,
                         unranked: bool = False, order: str = "code") -> PublicityList:
    """One sheet per population, A4 portrait, one page wide, header rows repeated, page numbers."""
    from .xlsx_fast import Workbook

    s = settings or load_settings()
    lst = publicity_list(result, s, unranked, order)
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"无法创建文件夹 {p.parent}（{exc.strerror or exc}）") from exc
    wb = Workbook(str(p))
    title = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    intro = wb.add_format({"text_wrap": True, "valign": "top", "font_size": 10.5})
    head = wb.add_format({"bold": True, "bg_color": "#EDEFF2", "border": 1, "align": "center", "valign": "vcenter"})
    cell = wb.add_format({"border": 1, "valign": "vcenter", "text_wrap": True})
    num = wb.add_format({"border": 1, "valign": "vcenter", "align": "right"})
    sign = wb.add_format({"align": "right"})
    widths_ranked = [7, 40, 22, 16, 10, 10]
    widths_unranked = [7, 44, 22, 18, 10]
    for heading, header, rows in lst.sections:
        name = heading.split("（")[0][:31] or "名单"
        ws = wb.add_worksheet(name)
        widths = widths_unranked if unranked else widths_ranked
        last = len(header) - 1
        ws.merge_range(0, 0, 0, last, lst.title, title)
        ws.set_row(0, 30)
        ws.merge_range(1, 0, 1, last, lst.intro, intro)
        ws.set_row(1, 92)
        ws.merge_range(2, 0, 2, last, heading, wb.add_format({"bold": True}))
        for j, h in enumerate(header):
            ws.write_string(3, j, h, head)
            ws.set_column(j, j, widths[j])
        for i, row in enumerate(rows, 4):
            for j, v in enumerate(row):
                ws.write_string(i, j, v, num if (not unranked and j == 4) else cell)
        end = 4 + len(rows) + 1
        ws.merge_range(end, 0, end, last, s.authority, sign)
        ws.merge_range(end + 1, 0, end + 1, last, date_text(s.issue_day()), sign)
        ws.set_paper(9)
        ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(3)
        ws.set_margins(left=0.6, right=0.6, top=0.8, bottom=0.8)
        ws.set_footer("&C第 &P 页 共 &N 页")
        ws.freeze_panes(4, 0)
    if not lst.sections:
        wb.add_worksheet("名单").write_string(0, 0, "没有可公示的参评企业")
    try:
        wb.close()
    except OSError as exc:
        raise InputError(f"无法写出 {p}（{exc.strerror or exc}；文件可能正被其他程序打开）") from exc
    return lst
