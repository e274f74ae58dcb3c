"""一企一单: the firm's data confirmation sheet (企业数据确认单), and the returned-sheets register.

Before results are published each firm gets its own data: every input value with the department
file it came from, its unit and any correction; the indicators derived from them; the parcels,
meters and tax rows that were summed; the findings still being checked; a box to sign and stamp
and the date to return it by. The firm confirms or disputes (naming the fields); the county keeps
track in a small workbook (`write_confirmation_register`) that is read back with
`read_confirmation_returns`.

Only firms whose identity is settled get a sheet: a row with a bad code or an unmatched name
is still an orphan, and a sheet to it would go to an identity nobody has checked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, PageBreak, Spacer

from ..core.fields import FIELD_BY_ID, FLAG_FIELDS
from ..core.issues import InputError
from ..merge.tables import NAME_KEY_PREFIX
from ..method.indicators import INDICATORS, format_number
from ..pipeline.run import RunResult
from .fonts import find_cjk_font, pdf_fonts
from .gate import IDENTITY_CODES
from .letter_data import date_text
from .names import letter_filename, path_inside
from .pdf_common import FRAME_W, SectionMark, build_pdf
from .review_pdf import DocBuilder
from .settings import Settings, load_settings

INPUT_FIELDS: tuple[str, ...] = ("above_scale", "industry", "township", "commissioned", "land", "tax", "value_added",
                                 "revenue", "electricity", "energy", "employees", "rd_expense", "emissions",
                                 *FLAG_FIELDS)
DETAIL_FIELDS: tuple[str, ...] = ("land", "electricity", "tax")  # summed per parcel, meter, tax row
RETURN_HEADER = ["统一社会信用代码", "企业名称", "所属乡镇", "确认结果", "有异议的数据项", "说明", "回执日期"]
CONFIRMED_WORDS = ("确认无误", "无误", "确认", "无异议")
DISPUTED_WORDS = ("有异议", "异议", "不同意")


def eligible_keys(result: RunResult) -> list[str]:
    """Firms that may receive a sheet: a valid credit code and no open identity finding."""
    t = result.table
    open_identity = {it.key for it in result.issues if it.code in IDENTITY_CODES and it.key}
    settled = {r.key for r in result.resolutions if r.kind == "accept" and r.code in IDENTITY_CODES}
    keys = t.index.astype(str)
    valid = t["code_valid"].to_numpy(dtype=bool)
    return [k for k, ok in zip(keys, valid) if ok and not k.startswith(NAME_KEY_PREFIX)
            and (k not in open_identity or k in settled)]


def _row_detail(result: RunResult) -> pd.DataFrame:
    """Every imported row's key with its own land, electricity and tax (canonical units)."""
    frames = []
    for t in result.imported.tables:
        have = [f for f in DETAIL_FIELDS if f in t.data.columns]
        if not have:
            continue
        d = t.data[["_row", *have]].copy()
        d["_file"], d["_sheet"] = t.file, t.sheet
        frames.append(d)
    rk = result.merged.row_keys
    if not frames or rk.empty:
        return pd.DataFrame(columns=["_file", "_sheet", "_row", "_key", *DETAIL_FIELDS])
    rows = pd.concat(frames, ignore_index=True)
    for f in DETAIL_FIELDS:
        if f not in rows:
            rows[f] = np.nan
    out = rk.merge(rows, on=["_file", "_sheet", "_row"], how="inner")
    return out[out[list(DETAIL_FIELDS)].notna().any(axis=1)]


def _file_fields(result: RunResult) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for t in result.imported.tables:
        out.setdefault(t.file, set()).update(t.fields)
    return out


@dataclass
class SheetData:
    """The contents of one firm's sheet, as text."""

    key: str
    name: str
    identity: list[tuple[str, str]]
    inputs: list[list[str]]  # 数据项, 数值, 单位, 来源, 更正
    indicators: list[list[str]]  # 指标, 数值, 单位, 计算方法
    details: list[list[str]]  # 来源, 行, land, electricity, tax
    open_findings: list[str]
    deadline: dt.date


def _value_text(fid: str, v: Any) -> str:
    spec = FIELD_BY_ID[fid]
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return "否" if fid in FLAG_FIELDS else "未提供"
    if spec.kind == "bool":
        return "是" if v == 1 else "否"
    if spec.kind == "scale":
        return "规上" if v == 1 else "规下"
    if spec.kind == "year":
        return f"{int(v)}"
    if spec.kind == "number":
        return format_number(float(v), spec.unit)
    return str(v)


class _Builder:
    def __init__(self, result: RunResult, settings: Settings):
        self.r = result
        self.s = settings
        self.detail = _row_detail(result)
        self.by_key = {k: g for k, g in self.detail.groupby("_key", sort=False)}
        self.file_fields = _file_fields(result)
        self.file_order = list(dict.fromkeys(t.file for t in result.imported.tables))
        self.corr = {(c.key, c.field): c for c in result.corrections}
        self.issues = result.issues_by_key()
        self.deadline = settings.issue_day() + dt.timedelta(days=settings.confirm_days)

    def source(self, key: str, fid: str, files: list[str], missing: bool) -> str:
        have = [f for f in self.file_order if f in files and fid in self.file_fields.get(f, set())]
        if not have:
            return "未列入认定名单" if fid in FLAG_FIELDS and missing else "各部门报送数据中均无"
        rows = self.by_key.get(key)
        if fid in DETAIL_FIELDS and rows is not None:
            n = int(rows.loc[rows["_file"] == have[0], fid].notna().sum())
            if n > 1:
                return f"{have[0]}（{n} 行合计）"
        return have[0]

    def build(self, key: str) -> SheetData:
        row = self.r.table.loc[key]
        files = [f for f in str(row["sources"] or "").split("；") if f]
        before = self.r.merged.enterprises
        inputs = []
        for fid in INPUT_FIELDS:
            spec = FIELD_BY_ID[fid]
            c = self.corr.get((key, fid))
            note = ""
            if c is not None:
                was = before.at[key, fid] if key in before.index and fid in before.columns else None
                note = f"原为“{_value_text(fid, was)}”，已更正；理由：{c.reason}"
            inputs.append([spec.label, _value_text(fid, row[fid]), spec.unit if spec.kind == "number" else "",
                           self.source(key, fid, files, pd.isna(row[fid])), note])
        inds = [[i.label, format_number(row[f"v_{i.id}"], i.unit), i.unit, i.formula()] for i in INDICATORS]
        details = []
        rows = self.by_key.get(key)
        if rows is not None:
            for f, sh, r, *vals in rows[["_file", "_sheet", "_row", *DETAIL_FIELDS]].itertuples(index=False):
                details.append([f if sh in ("", f) or str(f).endswith(".csv") else f"{f} / {sh}", f"第 {int(r)} 行",
                                *(format_number(v, FIELD_BY_ID[d].unit) if pd.notna(v) else ""
                                  for v, d in zip(vals, DETAIL_FIELDS))])
        findings = [f"{it.where() + '：' if it.where() else ''}{it.message}" for it in self.issues.get(key, [])
                    if it.level in ("error", "warning")]
        identity = [("企业名称", str(row["name"] or "")), ("统一社会信用代码", key),
                    ("所属乡镇（街道）", str(row["township"] or "未提供"))]
        return SheetData(key, str(row["name"] or key), identity, inputs, inds, details, findings, self.deadline)


def sheet_data(result: RunResult, settings: Settings | None = None, keys: Sequence[str] | None = None
               ) -> list[SheetData]:
    """The sheets of the eligible firms among `keys` (all eligible firms when None)."""
    b = _Builder(result, settings or load_settings())
    ok = eligible_keys(result)
    wanted = ok if keys is None else [k for k in keys if k in set(ok)]
    return [b.build(k) for k in wanted]


def _story(d: SheetData, doc: DocBuilder, result: RunResult, s: Settings) -> list[Flowable]:
    stage = "（初评数据）" if result.stage in ("", "initial") else ""
    out: list[Flowable] = [
        SectionMark((f"{s.authority}　{result.year}年度企业数据确认单　{d.name}",)),
        doc.p(f"{s.county}{result.year}年度工业企业亩均效益评价\n企业数据确认单{stage}", "doc_title"),
        doc.p("（一企一单）", "docnum"),
        doc.table([[a, b] for a, b in d.identity], [42 * mm, FRAME_W - 42 * mm], header_rows=0),
        Spacer(1, 6),
        doc.p("一、基础数据（按各部门报送数据汇总，已换算为统一计量单位）", "heading"),
        doc.table([["数据项", "数值", "单位", "数据来源", "更正情况"],
                   *([a, doc.p(b, "cell_r" if unit else "cell"), unit, *rest] for a, b, unit, *rest in d.inputs)],
                  [30 * mm, 24 * mm, 20 * mm, 54 * mm, FRAME_W - 128 * mm]),
        CondPageBreak(60 * mm),
        doc.p("二、计算指标（按上述数据计算）", "heading"),
        doc.table([["指标", "数值", "单位", "计算方法"], *d.indicators],
                  [36 * mm, 28 * mm, 30 * mm, FRAME_W - 94 * mm], right_cols=(1,)),
    ]
    if d.details:
        out += [CondPageBreak(50 * mm), doc.p("三、用地宗地、电表和纳税记录明细（同一企业多行数据已加总）", "heading"),
                doc.table([["数据来源", "行号", "用地面积（亩）", "用电量（万千瓦时）", "实缴税金（万元）"], *d.details],
                          [FRAME_W - 112 * mm, 22 * mm, 30 * mm, 30 * mm, 30 * mm], right_cols=(2, 3, 4))]
    n = 4 if d.details else 3
    numerals = "一二三四五六"
    if d.open_findings:
        out += [doc.p(f"{numerals[n - 1]}、尚在核实的事项", "heading"),
                *(doc.p(f"{i}. {t}", "small") for i, t in enumerate(d.open_findings, 1))]
        n += 1
    office = s.appeal_office or s.authority
    contact = "，".join(x for x in (f"地址：{s.appeal_address}" if s.appeal_address else "",
                                   f"电话：{s.appeal_phone}" if s.appeal_phone else "") if x)
    out += [CondPageBreak(70 * mm), doc.p(f"{numerals[n - 1]}、企业确认", "heading"),
            doc.p(f"请核对以上数据，并于 {date_text(d.deadline)} 前将本单签字盖章后交回{office}"
                  + (f"（{contact}）" if contact else "") + "。逾期未交回的，视为对以上数据无异议。"),
            doc.table([["□ 以上数据无误"],
                       ["□ 以下数据有异议（请写明数据项、企业认为的正确数值，并附证明材料）：\n\n\n\n"],
                       ["企业（盖章）：\n\n法定代表人或授权人（签字）：　　　　　　　联系电话：\n\n"
                        "日期：　　　　年　　月　　日"]],
                      [FRAME_W], header_rows=0)]
    return out


def write_confirmation_sheets(result: RunResult, out_dir: str | Path, settings: Settings | None = None,
                              keys: Sequence[str] | None = None, combined_path: str | Path | None = None
                              ) -> tuple[list[Path], list[str]]:
    """One PDF per eligible firm (and optionally all in one); returns (paths, keys left out)."""
    settings = settings or load_settings()
    fonts = pdf_fonts(find_cjk_font(settings))
    data = sheet_data(result, settings, keys)
    asked = list(result.table.index.astype(str)) if keys is None else list(keys)
    done = {d.key for d in data}
    left_out = [k for k in asked if k not in done]
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"无法创建输出文件夹 {out}（{exc.strerror or exc}）") from exc
    doc = DocBuilder(fonts)
    title = f"{settings.county}{result.year}年度企业数据确认单"
    paths = []
    for i, d in enumerate(data, 1):
        p = path_inside(out, letter_filename(i, d.name, 3, suffix="_数据确认单.pdf"))
        paths.append(build_pdf(p, _story(d, doc, result, settings), fonts, title, settings.authority))
    if combined_path and data:
        story: list[Flowable] = []
        for i, d in enumerate(data):
            if i:
                story.append(PageBreak())
            story += _story(d, doc, result, settings)
        build_pdf(combined_path, story, fonts, title, settings.authority)
    return paths, left_out


# --- the register of returned sheets ----------------------------------------------------------------

def write_confirmation_register(result: RunResult, path: str | Path, keys: Sequence[str] | None = None) -> Path:
    """The workbook a county fills in as sheets come back (one row per firm sent a sheet)."""
    from .xlsx_fast import Workbook

    ok = eligible_keys(result) if keys is None else list(keys)
    t = result.table
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        wb = Workbook(str(p))
    except OSError as exc:
        raise InputError(f"无法写出 {p}（{exc.strerror or exc}）") from exc
    ws = wb.add_worksheet("确认回执登记")
    head = wb.add_format({"bold": True, "bg_color": "#EDEFF2", "border": 1, "text_wrap": True, "valign": "vcenter"})
    cell = wb.add_format({"border": 1, "num_format": "@"})
    ws.write_string(0, 0, f"{result.year}年度企业数据确认单回执登记表（确认结果填“确认无误”或“有异议”；"
                          "有异议的数据项写数据项名称，多个用顿号分隔，如“用地面积、实缴税金”）")
    for j, h in enumerate(RETURN_HEADER):
        ws.write_string(1, j, h, head)
    for i, k in enumerate(ok, 2):
        ws.write_string(i, 0, k, cell)
        ws.write_string(i, 1, str(t.at[k, "name"] or ""), cell)
        ws.write_string(i, 2, str(t.at[k, "township"] or "") if pd.notna(t.at[k, "township"]) else "", cell)
        for j in range(3, len(RETURN_HEADER)):
            ws.write_blank(i, j, None, cell)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 34)
    ws.set_column(2, 3, 12)
    ws.set_column(4, 5, 30)
    ws.set_column(6, 6, 12)
    ws.freeze_panes(2, 0)
    ws.repeat_rows(1)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    try:
        wb.close()
    except OSError as exc:
        raise InputError(f"无法写出 {p}（{exc.strerror or exc}）") from exc
    return p


@dataclass(frozen=True)
class ReturnedSheet:
    """One row of the returned register, read back."""

    key: str
    status: str  # confirmed / disputed
    fields: tuple[str, ...]
    note: str
    day: str


def _field_ids(text: str, where: str, problems: list[str]) -> tuple[str, ...]:
    labels = {FIELD_BY_ID[f].label: f for f in INPUT_FIELDS} | {f: f for f in INPUT_FIELDS}
    out = []
    for part in text.replace("，", "、").replace(",", "、").replace("；", "、").split("、"):
        part = part.strip()
        if not part:
            continue
        if part in labels:
            out.append(labels[part])
        else:
            problems.append(f"{where}：有异议的数据项“{part}”无法识别（可用：{'、'.join(FIELD_BY_ID[f].label for f in INPUT_FIELDS)}）")
    return tuple(out)


def read_confirmation_returns(path: str | Path) -> tuple[list[ReturnedSheet], list[str]]:
    """The filled-in register: one `ReturnedSheet` per row with a result, and one Chinese line per
    row that could not be read (naming file, row and column); blank rows are skipped."""
    from openpyxl import load_workbook

    p = Path(path)
    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InputError(f"{p.name}：无法读取回执登记表（{exc}）") from exc
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    wb.close()
    header_at = next((i for i, r in enumerate(rows) if r and "确认结果" in [str(c or "").strip() for c in r]), None)
    if header_at is None:
        raise InputError(f"{p.name}：找不到“确认结果”列（请使用软件导出的回执登记表）")
    head = [str(c or "").strip() for c in rows[header_at]]
    col = {h: j for j, h in enumerate(head) if h}
    if "统一社会信用代码" not in col:
        raise InputError(f"{p.name}：找不到“统一社会信用代码”列")
    out: list[ReturnedSheet] = []
    problems: list[str] = []

    def get(r: tuple, h: str) -> str:
        j = col.get(h)
        v = r[j] if j is not None and j < len(r) else None
        if isinstance(v, (dt.date, dt.datetime)):
            return v.strftime("%Y-%m-%d")
        return "" if v is None else str(v).strip()

    for n, r in enumerate(rows[header_at + 1:], header_at + 2):
        key, res = get(r, "统一社会信用代码").upper(), get(r, "确认结果")
        if not res:
            continue
        where = f"{p.name} 第 {n} 行"
        if res in CONFIRMED_WORDS:
            status = "confirmed"
        elif res in DISPUTED_WORDS:
            status = "disputed"
        else:
            problems.append(f"{where} 列“确认结果”：“{res}”无法识别（应为“确认无误”或“有异议”）")
            continue
        fields = _field_ids(get(r, "有异议的数据项"), where, problems) if status == "disputed" else ()
        out.append(ReturnedSheet(key, status, fields, get(r, "说明"), get(r, "回执日期")))
    return out, problems
