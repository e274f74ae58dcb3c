"""The graded list (分类名单) workbook that officials print, circulate and publish.

Sheets: 全部企业 (every firm with inputs, indicators, scores, tiers, ranks, status and issues), one
sheet per tier (A类…, by final tier, with a population column), 按乡镇汇总, 按行业汇总, 数据核查
(every issue) and 说明 (scheme, fingerprints, input files). Print-ready: title row, frozen
header, widths, number formats per unit (the ones the letters use), tier colours, landscape A4
fitted to the page width with the header repeated.

Every text cell is written with `write_string`, so a firm called `=HYPERLINK(...)` or `+1` stays
text and never becomes a formula in Excel or WPS; numbers with `write_number`; missing as blank.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from ..core.divisions import division_label
from ..core.fields import FIELD_BY_ID, FLAG_FIELDS
from ..core.issues import LEVEL_LABELS, InputError
from ..core.progress import CancelFn, ProgressFn, Steps
from ..merge.tables import NAME_KEY_PREFIX
from ..method.evaluate import STATUS_LABELS
from ..method.indicators import INDICATOR_BY_ID, INDICATORS, decimals_for, excel_format
from ..method.scheme import TierRules
from ..pipeline.run import RunResult
from .fingerprint import data_fingerprint
from .json_result import finite_or_none
from .letter_data import letter_order
from .settings import Settings, load_settings
from .xlsx_fast import RowWriter, Workbook

INPUT_FIELDS = ("land", "tax", "value_added", "revenue", "electricity", "energy", "employees", "rd_expense", "emissions")
TIER_FILLS = ("#DDEFD9", "#DCE8F6", "#FFF1CC", "#F9DCDA")
MAX_CELL = 32000  # Excel's limit is 32,767 characters
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(v: Any) -> str:
    """Cell text: control characters (other than tab and newline) become spaces; capped in length."""
    if type(v) is str and len(v) <= MAX_CELL and v.isprintable():  # most cells: nothing to change
        return v
    t = _CONTROL.sub(" ", str(v))
    return t if len(t) <= MAX_CELL else t[:MAX_CELL - 1] + "…"


@dataclass(frozen=True)
class Column:
    header: str
    get: Callable[[str, dict[str, Any]], Any]  # (key, row) -> value
    kind: str = "text"  # text / number / int / year / tier / wrap
    unit: str = ""
    width: float = 10.0


class Formats:
    """xlsxwriter formats created once per workbook."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        base = {"font_name": "宋体", "font_size": 10, "border": 1, "border_color": "#A6A6A6", "valign": "vcenter"}
        self.base = base
        self.title = wb.add_format({"font_name": "黑体", "font_size": 15, "bold": True, "align": "center",
                                    "valign": "vcenter"})
        self.subtitle = wb.add_format({"font_name": "宋体", "font_size": 9, "font_color": "#595959", "align": "left",
                                       "valign": "vcenter"})
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#EDEFF2", "align": "center", "text_wrap": True})
        self.text = wb.add_format(base)
        self.wrap = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.center = wb.add_format({**base, "align": "center"})
        self.total_text = wb.add_format({**base, "bold": True, "bg_color": "#F2F2F2"})
        self.year = wb.add_format({**base, "num_format": "0", "align": "center"})  # 2019, not 2,019
        self._num: dict[tuple[str, bool], Any] = {}
        self._tier: dict[int, Any] = {}

    def number(self, unit: str, total: bool = False) -> Any:
        key = (unit, total)
        if key not in self._num:
            extra = {"bold": True, "bg_color": "#F2F2F2"} if total else {}
            self._num[key] = self.wb.add_format({**self.base, "num_format": excel_format(unit), **extra})
        return self._num[key]

    def tier(self, index: int) -> Any:
        i = min(max(index, 0), len(TIER_FILLS) - 1)
        if i not in self._tier:
            self._tier[i] = self.wb.add_format({**self.base, "align": "center", "bg_color": TIER_FILLS[i], "bold": True})
        return self._tier[i]


def _tier_index(rules: TierRules | None, label: Any) -> int:
    if rules is None or not label or label not in rules.labels:
        return -1
    return rules.labels.index(label)


class _Sheet:
    """One printable list: title, subtitle, header row, typed cells, print set-up."""

    def __init__(self, wb: xlsxwriter.Workbook, fmt: Formats, name: str, title: str, subtitle: str,
                 columns: Sequence[Column], freeze_cols: int = 0):
        self.ws = wb.add_worksheet(name)
        self.fmt = fmt
        self.columns = list(columns)
        n = len(self.columns)
        ws = self.ws
        if n > 1:
            ws.merge_range(0, 0, 0, n - 1, "", fmt.title)
        ws.write_string(0, 0, clean_text(title), fmt.title)
        ws.set_row(0, 26)
        if n > 1:
            ws.merge_range(1, 0, 1, n - 1, "", fmt.subtitle)
        ws.write_string(1, 0, clean_text(subtitle), fmt.subtitle)
        for j, c in enumerate(self.columns):
            ws.write_string(2, j, c.header, fmt.header)
            ws.set_column(j, j, c.width)
        ws.set_row(2, 32)
        self.row = 3
        self.rows = RowWriter(ws, self.row, n)
        # per column: (getter, numeric?, kind, its cell format, its format on a 合计 row)
        self._styles = [(c.get, c.kind in ("number", "int", "year"), c.kind, *self._column_styles(c)) for c in self.columns]
        ws.freeze_panes(3, freeze_cols)
        ws.repeat_rows(2)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&C第 &P 页，共 &N 页")
        ws.hide_gridlines(0)

    def _column_styles(self, c: Column) -> tuple[Any, Any]:
        fmt = self.fmt
        if c.kind == "year":
            return fmt.year, fmt.year
        if c.kind in ("number", "int"):
            unit = c.unit if c.kind == "number" else "人"
            return fmt.number(unit), fmt.number(unit, True)
        if c.kind == "wrap":
            return fmt.wrap, fmt.wrap
        return fmt.text, fmt.total_text

    def write(self, key: str, rec: dict[str, Any], tier_rules: TierRules | None = None, total: bool = False) -> None:
        fmt = self.fmt
        values: list[Any] = []
        styles: list[Any] = []
        for get, numeric, kind, plain, total_style in self._styles:
            v = get(key, rec)
            if numeric:
                values.append(v if type(v) is float else finite_or_none(v))  # the writer blanks NaN/inf
                styles.append(total_style if total else plain)
                continue
            if type(v) is str:
                text = clean_text(v) if v else ""
            else:
                text = "" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else clean_text(v)
            if kind == "tier" and text:
                style = fmt.tier(_tier_index(tier_rules, text))
            elif total and kind != "wrap":
                style = total_style
            else:
                style = plain
            values.append(text)
            styles.append(style)
        self.rows.add(values, styles)
        self.row += 1

    def finish(self) -> None:
        self.rows.close()
        if self.row > 3:
            self.ws.autofilter(2, 0, self.row - 1, len(self.columns) - 1)


def _s(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def _flag(v: Any) -> str:
    f = finite_or_none(v)
    return "" if f is None else ("是" if f == 1 else "否")


def _scale(v: Any) -> str:
    f = finite_or_none(v)
    return "" if f is None else ("规上" if f == 1 else "规下")


def _code(key: str, rec: dict[str, Any]) -> str:
    return "" if key.startswith(NAME_KEY_PREFIX) else _s(rec["credit_code"])


class _Context:
    def __init__(self, result: RunResult, settings: Settings):
        self.result = result
        self.settings = settings
        t = result.table
        self.records = dict(zip((str(k) for k in t.index), t.to_dict("records")))
        self.order = letter_order(t, list(result.scheme.populations))
        self.seq = {k: i + 1 for i, k in enumerate(self.order)}
        self.issues = {k: "\n".join(_issue_line(i) for i in v) for k, v in result.issues_by_key().items()}
        self.has_prior = "prior_tier" in t.columns
        pops = result.scheme.populations
        self.first_rules = next(iter(pops.values())).tiers
        self.bottom = self.first_rules.labels[-1]
        self.scored = result.scheme.scored_indicators

    def rules(self, rec: dict[str, Any]) -> TierRules | None:
        pid = rec.get("population")
        return self.result.scheme.populations[pid].tiers if pid in self.result.scheme.populations else None

    def full_name(self, rec: dict[str, Any], label: Any) -> str:
        r = self.rules(rec)
        return r.full_name(label) if r and label else _s(label)


def _issue_line(it: Any) -> str:
    where = it.where()
    return f"[{LEVEL_LABELS[it.level]}] " + (f"{where}：" if where else "") + it.message


def _all_columns(ctx: _Context) -> list[Column]:
    scheme = ctx.result.scheme
    cols = [
        Column("序号", lambda k, r: ctx.seq.get(k), "int", width=6),
        Column("统一社会信用代码", lambda k, r: _code(k, r), width=21),
        Column("企业名称", lambda k, r: _s(r["name"]) or (k[len(NAME_KEY_PREFIX):] if k.startswith(NAME_KEY_PREFIX) else ""),
               width=30),
        Column("所属乡镇", lambda k, r: _s(r["township"]), width=11),
        Column("行业代码", lambda k, r: _s(r["industry"]), width=8),
        Column("行业大类", lambda k, r: division_label(_s(r["division"])), width=16),
        Column("企业规模", lambda k, r: _scale(r["above_scale"]), width=6),
        Column("评价状态", lambda k, r: STATUS_LABELS.get(r["status"], _s(r["status"])), width=8),
        Column("状态说明", lambda k, r: _s(r["status_reason"]), width=18),
        Column("参评群体", lambda k, r: scheme.populations[r["population"]].label if r["population"] in scheme.populations
               else "", width=9),
    ]
    for f in INPUT_FIELDS:
        spec = FIELD_BY_ID[f]
        cols.append(Column(f"{spec.label}（{spec.unit}）", lambda k, r, f=f: r[f],
                           "int" if decimals_for(spec.unit) == 0 else "number", spec.unit, 11))
    cols.append(Column("投产时间（年）", lambda k, r: r["commissioned"], "year", width=8))
    for f, label in FLAG_FIELDS.items():
        cols.append(Column(label, lambda k, r, f=f: _flag(r[f]), width=7))
    for ind in INDICATORS:
        cols.append(Column(f"{ind.label}（{ind.unit}）", lambda k, r, i=ind.id: r[f"v_{i}"], "number", ind.unit, 12))
    for iid in ctx.scored:
        cols.append(Column(f"{INDICATOR_BY_ID[iid].label}得分", lambda k, r, i=iid: r.get(f"s_{i}"), "number", "分", 9))
    cols += [
        Column("加分", lambda k, r: r["bonus"], "number", "分", 7),
        Column("减分", lambda k, r: r["penalty"], "number", "分", 7),
        Column("综合得分", lambda k, r: r["total_score"], "number", "分", 9),
        Column("初评等级", lambda k, r: _s(r["initial_tier"]), "tier", width=7),
        Column("最终等级", lambda k, r: _s(r["tier"]), "tier", width=7),
        Column("等级名称", lambda k, r: ctx.full_name(r, r["tier"]), width=17),
        Column("等级调整说明", lambda k, r: _s(r["tier_reason"]), "wrap", width=30),
        Column("全县排名", lambda k, r: r["rank"], "int", width=7),
        Column("乡镇排名", lambda k, r: r["township_rank"], "int", width=7),
        Column("行业排名", lambda k, r: r["industry_rank"], "int", width=7),
    ]
    if ctx.has_prior:
        cols += [Column("上年等级", lambda k, r: _s(r.get("prior_tier")), "tier", width=7),
                 Column("等级变化", lambda k, r: _s(r.get("tier_change")), width=8),
                 Column(f"连续{ctx.bottom}类年数", lambda k, r: r.get("d_years"), "int", width=8)]
    cols += [Column("数据来源", lambda k, r: _s(r["sources"]), width=24),
             Column("数据问题", lambda k, r: ctx.issues.get(k, ""), "wrap", width=50)]
    return cols


def _tier_columns(ctx: _Context) -> list[Column]:
    scheme = ctx.result.scheme
    cols = [
        Column("序号", lambda k, r: r["_n"], "int", width=6),
        Column("参评群体", lambda k, r: scheme.populations[r["population"]].label, width=9),
        Column("统一社会信用代码", lambda k, r: _code(k, r), width=21),
        Column("企业名称", lambda k, r: _s(r["name"]) or k, width=30),
        Column("所属乡镇", lambda k, r: _s(r["township"]), width=11),
        Column("行业代码", lambda k, r: _s(r["industry"]), width=8),
        Column("综合得分", lambda k, r: r["total_score"], "number", "分", 9),
        Column("全县排名", lambda k, r: r["rank"], "int", width=7),
        Column("初评等级", lambda k, r: _s(r["initial_tier"]), "tier", width=7),
        Column("最终等级", lambda k, r: _s(r["tier"]), "tier", width=7),
        Column("等级调整说明", lambda k, r: _s(r["tier_reason"]), "wrap", width=30),
    ]
    if ctx.has_prior:
        cols += [Column("上年等级", lambda k, r: _s(r.get("prior_tier")), "tier", width=7),
                 Column("等级变化", lambda k, r: _s(r.get("tier_change")), width=8),
                 Column(f"连续{ctx.bottom}类年数", lambda k, r: r.get("d_years"), "int", width=8)]
    for iid in ctx.scored:
        ind = INDICATOR_BY_ID[iid]
        cols.append(Column(f"{ind.label}（{ind.unit}）", lambda k, r, i=iid: r[f"v_{i}"], "number", ind.unit, 12))
    return cols


def _group_columns(group_label: str, labels: Sequence[str]) -> list[Column]:
    cols = [Column("参评群体", lambda k, r: r["pop_label"], width=9),
            Column(group_label, lambda k, r: r["group"], width=16),
            Column("企业数", lambda k, r: r["firms"], "int", width=7),
            Column("参评企业数", lambda k, r: r["evaluated"], "int", width=8)]
    for lab in labels:
        cols.append(Column(f"{lab}类", lambda k, r, lab=lab: r["tiers"].get(lab, 0), "int", width=6))
    cols.append(Column("平均得分", lambda k, r: r["mean_score"], "number", "分", 9))
    for ind in INDICATORS:
        cols.append(Column(f"{ind.label}（{ind.unit}）", lambda k, r, i=ind.id: (r["aggregates"] or {}).get(i),
                           "number", ind.unit, 12))
    return cols


def _safe_sheet_name(name: str, used: set[str]) -> str:
    n = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31] or "Sheet"
    base, i = n, 2
    while n.lower() in used:
        n = f"{base[:28]}_{i}"
        i += 1
    used.add(n.lower())
    return n


def write_workbook(result: RunResult, path: str | Path, settings: Settings | None = None,
                   progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> Path:
    """Write the graded-list workbook to `path` (.xlsx); returns the path.

    Raises `InputError` when the file cannot be written (e.g. it is open in Excel) and
    `Cancelled` when `cancel()` turns true (nothing is left behind)."""
    settings = settings or load_settings()
    steps = Steps(progress, cancel)
    out = Path(path)
    tmp = out.with_name(out.name + ".part.xlsx")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"无法创建文件夹 {out.parent}（{exc.strerror or exc}）") from exc
    ctx = _Context(result, settings)
    s = result.scheme
    fp = data_fingerprint(result)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    subtitle = (f"评价方案：{s.name}（{s.id}，版本 {s.version}，方案指纹 {s.fingerprint}）　数据指纹：{fp}　"
                f"评价机关：{settings.authority}　生成时间：{stamp}")
    head = f"{settings.county}{result.year}年度工业企业亩均效益综合评价"
    # constant_memory: each row goes to a temporary file as soon as the next one starts. Kept in
    # memory, a 100k-firm workbook is millions of cell tuples that every cycle collection walks
    # (0.3–0.9 s each, holding the interpreter lock: the window froze, the export took 84 s).
    # Every sheet here is written top to bottom, which is all this mode asks. The row files live
    # in a folder of our own, removed whatever happens (a cancelled export leaves nothing).
    scratch = tempfile.TemporaryDirectory(prefix="mujun-xlsx-", ignore_cleanup_errors=True)
    wb = Workbook(str(tmp), {"constant_memory": True, "tmpdir": scratch.name, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False,
                                        "nan_inf_to_errors": False})
    wb.set_properties({"title": head + "分类名单", "author": settings.authority, "comments": subtitle})
    used: set[str] = set()
    try:
        fmt = Formats(wb)
        steps.report(0.05, "写出全部企业")
        sh = _Sheet(wb, fmt, _safe_sheet_name("全部企业", used), head + "分类名单（全部企业）", subtitle, _all_columns(ctx), 3)
        for i, k in enumerate(ctx.order):
            if i % 200 == 0:
                steps.report(0.05 + 0.45 * i / max(len(ctx.order), 1), "写出全部企业")
            rec = ctx.records[k]
            sh.write(k, rec, ctx.rules(rec))
        sh.finish()
        _tier_sheets(wb, fmt, ctx, head, subtitle, used, steps)
        steps.report(0.75, "写出汇总表")
        _group_sheet(wb, fmt, ctx, "按乡镇汇总", "乡镇（街道）", "by_township", "township", head, subtitle, used)
        _group_sheet(wb, fmt, ctx, "按行业汇总", "行业大类", "by_industry", "division", head, subtitle, used)
        steps.report(0.85, "写出数据核查")
        _issues_sheet(wb, fmt, ctx, head, subtitle, used)
        _about_sheet(wb, fmt, ctx, head, fp, stamp, used)
        steps.check()
        wb.close()
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"无法写出 {out}（{exc.strerror or exc}；文件可能正在 Excel/WPS 中打开，请关闭后重试）") from exc
    except BaseException:
        try:
            wb.close()
        except Exception:
            pass
        tmp.unlink(missing_ok=True)
        raise
    finally:
        scratch.cleanup()
    steps.done("分类名单已写出")
    return out


def _tier_sheets(wb: xlsxwriter.Workbook, fmt: Formats, ctx: _Context, head: str, subtitle: str,
                 used: set[str], steps: Steps) -> None:
    labels: list[str] = []
    for p in ctx.result.scheme.populations.values():
        labels += [lab for lab in p.tiers.labels if lab not in labels]
    cols = _tier_columns(ctx)
    for li, lab in enumerate(labels):
        steps.report(0.5 + 0.25 * li / max(len(labels), 1), f"写出 {lab} 类名单")
        keys = [k for k in ctx.order if ctx.records[k]["population"] is not None and ctx.records[k]["tier"] == lab]
        name = ctx.first_rules.full_name(lab) if lab in ctx.first_rules.labels else f"{lab}类"
        sh = _Sheet(wb, fmt, _safe_sheet_name(f"{lab}类", used), f"{head}{name}企业名单（共 {len(keys)} 家）",
                    subtitle, cols, 4)
        for n, k in enumerate(keys, 1):
            rec = dict(ctx.records[k])
            rec["_n"] = n
            sh.write(k, rec, ctx.rules(rec))
        sh.finish()


def _group_sheet(wb: xlsxwriter.Workbook, fmt: Formats, ctx: _Context, sheet: str, group_label: str,
                 summary_key: str, column: str, head: str, subtitle: str, used: set[str]) -> None:
    summary = ctx.result.evaluation.summary
    t = ctx.result.table
    labels: list[str] = []
    for p in ctx.result.scheme.populations.values():
        labels += [lab for lab in p.tiers.labels if lab not in labels]
    sh = _Sheet(wb, fmt, _safe_sheet_name(sheet, used), f"{head}{sheet}", subtitle + "　（指标为合计值之比 Σ分子/Σ分母）",
                _group_columns(group_label, labels), 2)
    scale = t["above_scale"].to_numpy(dtype=float, na_value=float("nan"))
    for pid in ctx.result.scheme.populations:
        entry = summary.get(pid)
        if not entry:
            continue
        of_pop = t[(scale == 1) == (pid == "above")]
        firms = of_pop[column].fillna("（未填）").astype(str).value_counts().to_dict()
        for g, row in entry.get(summary_key, {}).items():
            shown = division_label(g) if summary_key == "by_industry" else g
            sh.write(g, {"pop_label": entry["label"], "group": shown, "firms": firms.get(g, 0), **row})
        sh.write("", {"pop_label": entry["label"], "group": "合计", "firms": entry["total"], "evaluated": entry["evaluated"],
                      "tiers": entry["tiers"], "aggregates": entry["aggregates"],
                      "mean_score": t.loc[t["population"] == pid, "total_score"].mean()}, total=True)
    sh.finish()


def _issues_sheet(wb: xlsxwriter.Workbook, fmt: Formats, ctx: _Context, head: str, subtitle: str, used: set[str]) -> None:
    cols = [Column("序号", lambda k, r: r["n"], "int", width=6),
            Column("级别", lambda k, r: LEVEL_LABELS[r["it"].level], width=6),
            Column("文件", lambda k, r: r["it"].file, width=26),
            Column("工作表", lambda k, r: r["it"].sheet, width=12),
            Column("行", lambda k, r: r["it"].row, "int", width=6),
            Column("列", lambda k, r: r["it"].column, width=14),
            Column("问题说明", lambda k, r: r["it"].message, "wrap", width=60),
            Column("企业（信用代码）", lambda k, r: r["it"].key, width=21),
            Column("企业名称", lambda k, r: _s(ctx.records[r["it"].key]["name"]) if r["it"].key in ctx.records else "",
                   width=26)]
    order = {"error": 0, "warning": 1, "info": 2}
    issues = sorted(ctx.result.issues, key=lambda i: order.get(i.level, 3))
    counts = "，".join(f"{LEVEL_LABELS[lv]} {sum(1 for i in issues if i.level == lv)} 条" for lv in order)
    sh = _Sheet(wb, fmt, _safe_sheet_name("数据核查", used), f"{head}数据核查清单（{counts}）", subtitle, cols, 2)
    for n, it in enumerate(issues, 1):
        sh.write("", {"n": n, "it": it})
    sh.finish()


def _about_sheet(wb: xlsxwriter.Workbook, fmt: Formats, ctx: _Context, head: str, fp: str, stamp: str,
                 used: set[str]) -> None:
    s = ctx.result.scheme
    ws = wb.add_worksheet(_safe_sheet_name("说明", used))
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 90)
    ws.write_string(0, 0, clean_text(head + "分类名单说明"), fmt.title)
    rows: list[tuple[str, str]] = [
        ("评价年度", f"{ctx.result.year}年度"), ("评价机关", ctx.settings.authority),
        ("评价方案", f"{s.name}（编号 {s.id}，版本 {s.version}）"), ("方案指纹", s.fingerprint), ("数据指纹", fp),
        ("生成时间", stamp),
    ]
    for f in ctx.result.imported.files:
        rows.append(("输入文件", f"{f.name}（sha256 {f.sha256}）"))
    for pid, p in s.populations.items():
        for lab in p.tiers.labels:
            policy = p.tiers.policies.get(lab, "")
            rows.append((f"{p.label}{lab}类", p.tiers.full_name(lab) + (f"：{policy}" if policy else "")))
    rows.append(("说明", "指标值为标准单位下的原始计算值；综合得分保留两位小数；排名为并列同名次（1224）方式。"
                        "分档、否决与保护规则以评价方案为准。"))
    for i, (a, b) in enumerate(rows, 2):
        ws.write_string(i, 0, clean_text(a), fmt.header)
        ws.write_string(i, 1, clean_text(b), fmt.wrap)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)

