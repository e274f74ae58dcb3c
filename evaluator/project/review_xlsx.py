"""Workbooks for the appeal file (复核档案): the objection register and the diff between two stages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from xlsxwriter.exceptions import FileCreateError

from ..core.fields import FIELD_BY_ID
from ..core.issues import InputError
from ..core.workdays import objection_deadline
from ..outputs.settings import Settings, load_settings
from ..outputs.xlsx_fast import Workbook
from .audit import _sheet
from .model import Project
from .review import DECISIONS, StageDiff

OBJECTION_HEADERS = ("编号", "收到日期", "是否在公示期内", "企业名称", "统一社会信用代码", "异议事项", "异议内容", "证明材料",
                     "受理渠道", "经办人", "复核意见", "理由", "复核日期", "引起的数据更正", "答复企业日期")
DIFF_HEADERS = ("企业名称", "统一社会信用代码", "变化项", "原值", "新值", "原因")


def publicity_deadline(project: Project, settings: Settings) -> dt.date | None:
    """Last day for objections: the 公示 period from the start date in the settings (the date
    published), else from the day the 公示 stage was frozen; None before either exists."""
    start = settings.publicity_first_day() if settings.publicity_start else None
    if start is None:
        days = [st.day for st in project.stages if st.stage == "publicity"]
        start = days[-1] if days else None
    return None if start is None else objection_deadline(start, settings.publicity_days)


def objection_rows(project: Project, settings: Settings | None = None) -> list[tuple[str, ...]]:
    deadline = publicity_deadline(project, settings or load_settings())
    rows = []
    for o in project.objections:
        if deadline is None:
            timely = "未设公示期"
        else:
            timely = "是" if dt.date.fromisoformat(o.received) <= deadline else f"否（公示期至 {deadline:%Y-%m-%d}）"
        items = "、".join(FIELD_BY_ID[f].label if f in FIELD_BY_ID else f for f in o.fields)
        if o.tier:
            items = "、".join(x for x in (items, "评价等级") if x)
        caused = "；".join(f"{FIELD_BY_ID[f].label if f in FIELD_BY_ID else f} 改为 {_text(v)}" for f, v in o.corrections)
        rows.append((str(o.number), o.received, timely, o.name, o.key, items, o.claim,
                     "、".join(e.name for e in o.evidence), o.via, o.handler, DECISIONS.get(o.decision, "待复核"),
                     o.decision_reason, o.decided, caused, o.answered))
    return rows


def _text(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _workbook(path: Path) -> Any:
    return Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                           "strings_to_urls": False})


def _formats(wb: Any) -> tuple[Any, Any]:
    return (wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}),
            wb.add_format({"border": 1, "text_wrap": True, "valign": "top"}))


def _close(wb: Any, p: Path, what: str) -> None:
    try:
        wb.close()
    except (OSError, FileCreateError) as exc:
        raise InputError(f"无法写出{what} {p.name}（{getattr(exc, 'strerror', None) or exc}）") from exc


def write_objection_register(project: Project, path: str | Path, settings: Settings | None = None) -> Path:
    """异议登记表: every objection, its decision and the corrections it caused."""
    p = Path(path)
    wb = _workbook(p)
    head, cell = _formats(wb)
    _sheet(wb, "异议登记", OBJECTION_HEADERS, objection_rows(project, settings),
           (6, 11, 14, 30, 21, 16, 40, 24, 12, 10, 10, 36, 11, 28, 11), head, cell,
           f"{project.year}年度亩均效益评价异议登记表（共 {len(project.objections)} 件）")
    _close(wb, p, "异议登记表")
    return p


def diff_rows(diff: StageDiff) -> list[tuple[str, ...]]:
    rows = []
    for f in diff.firms:
        cause = "；".join(f.causes) if f.causes else "本企业数据未变；因其他企业数据更正，基准值或名次随之变化"
        for what, before, after in f.changes:
            rows.append((f.name, f.key, what, before, after, cause))
    return rows


def write_stage_diff(diff: StageDiff, path: str | Path) -> Path:
    """阶段对比: one row per change of every firm that changed, with its cause."""
    p = Path(path)
    wb = _workbook(p)
    head, cell = _formats(wb)
    own = len(diff.direct)
    title = (f"{diff.before} → {diff.after} 对比：变化企业 {len(diff.firms)} 家，其中因本企业数据更正或复核决定变化 {own} 家，"
             f"等级变化 {len(diff.tier_changes)} 家" + ("；两阶段所用评价方案不同" if diff.scheme_changed else ""))
    _sheet(wb, "阶段对比", DIFF_HEADERS, diff_rows(diff), (30, 21, 16, 16, 16, 60), head, cell, title)
    _close(wb, p, "阶段对比表")
    return p
