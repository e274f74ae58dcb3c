"""The audit log as a workbook (审计日志): what an appeal review or an inspection asks to see.

Every human action on an evaluation (import, mapping, scheme, corrections, tier overrides, …)
is an `AuditEntry` in the project. This exports them in words an official reads, plus the
corrections and overrides in force and the input files with their SHA-256, so a printed letter can
be traced back to exactly what it was computed from.

Every text cell is written as a string: a reason typed as `=1+1` or `@SUM(…)` must show as typed
and never run as a formula in the reader's Excel (CSV/formula injection).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xlsxwriter.exceptions import FileCreateError

from ..core.atomic import replace_durably, temp_path_for
from ..core.fields import FIELD_BY_ID
from ..core.issues import InputError
from ..merge.resolutions import RESOLUTION_KINDS
from ..outputs.xlsx_fast import Workbook
from ..pipeline.fingerprint import verification_code
from .model import Project

HEADERS = ("时间", "操作人", "操作", "对象", "字段", "原值", "新值", "理由")

ACTION_LABELS: dict[str, str] = {
    "import": "导入文件",
    "remove_file": "移除文件",
    "reorder": "调整文件顺序",
    "mapping": "设置列对应",
    "scheme": "选择评价方案",
    "year": "设置评价年度",
    "correction": "人工更正",
    "remove_correction": "撤销更正",
    "override": "手动调档",
    "clear_override": "撤销调档",
    "evaluate": "评价",
    "recover": "恢复自动保存",
    "prior": "关联上年结果",
    "clear_prior": "取消关联上年结果",
    "resolution": "处理数据问题",
    "remove_resolution": "撤销数据问题处理",
    "stage": "保存评价阶段",
    "objection": "登记异议",
    "objection_decision": "异议复核意见",
    "objection_answer": "答复异议企业",
    "confirmation": "数据确认单",
    "doc_numbers": "登记告知书文号",
    "output_dir": "设置输出文件夹",
    "export": "导出",
}

OTHER_FIELD_LABELS = {"tier": "最终分类", **RESOLUTION_KINDS}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def field_label(field_id: str) -> str:
    spec = FIELD_BY_ID.get(field_id)
    if spec is not None:
        return f"{spec.label}（{spec.unit}）" if spec.unit else spec.label
    return OTHER_FIELD_LABELS.get(field_id, field_id)


def target_label(target: str, names: Mapping[str, str] | None) -> str:
    """An enterprise key shown with the firm's name when it is known: `9133…X（某某有限公司）`."""
    name = (names or {}).get(target)
    return f"{target}（{name}）" if name and name != target else target


def names_from_result(doc: Mapping[str, Any] | None) -> dict[str, str]:
    """Enterprise key → name, from a saved `--json` document (so the export needs no re-run)."""
    out: dict[str, str] = {}
    for e in (doc or {}).get("enterprises", []):
        name = e.get("name") or ""
        key = e.get("credit_code") or (f"名称:{name}" if name else "")
        if key and name:
            out[key] = name
    return out


def audit_rows(project: Project, names: Mapping[str, str] | None = None) -> list[tuple[str, ...]]:
    """One row per audit entry, in the order the actions were taken, with Chinese labels."""
    return [(a.time, a.user, action_label(a.action), target_label(a.target, names), field_label(a.field) if a.field else "",
             a.before, a.after, a.reason) for a in project.audit]


def write_audit_xlsx(project: Project, path: str | Path, names: Mapping[str, str] | None = None) -> None:
    """Write the audit workbook: 审计日志, 现行更正与调档, 项目与数据文件.

    `names` (enterprise key → name) adds firm names next to keys; `names_from_result` builds it
    from a saved result. Raises `InputError` (Chinese) if the file cannot be written.
    """
    p = Path(path)
    tmp = temp_path_for(p)  # written aside and renamed into place: never a half-written workbook
    wb = Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                        "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})

    _sheet(wb, "审计日志", HEADERS, audit_rows(project, names), (19, 10, 12, 34, 16, 24, 24, 40), head, cell,
           f"审计日志（评价年度 {project.year}，共 {len(project.audit)} 条）")
    current = [("人工更正", target_label(c.key, names), field_label(c.field), _text(c.value), c.reason, c.user, c.time)
               for c in project.corrections]
    current += [("手动调档", target_label(o.key, names), "最终分类", o.tier, o.reason, o.user, o.time)
                for o in project.overrides]
    _sheet(wb, "现行更正与调档", ("类型", "对象", "字段", "现值", "理由", "操作人", "时间"), current,
           (10, 34, 16, 16, 40, 10, 19), head, cell, "当前生效的人工更正与手动调档")
    scheme = project.scheme
    info = [("评价年度", str(project.year), "", ""),
            ("评价方案", f"{scheme.name}（{scheme.id} 版本 {scheme.version}）", "方案指纹", scheme.fingerprint),
            ("数据指纹", project.fingerprint(), "核验码", verification_code(project.fingerprint()))]
    info += [("数据文件", f.name, "SHA-256", f.sha256) for f in project.files]
    _sheet(wb, "项目与数据文件", ("项目", "内容", "校验", "值"), info, (12, 48, 10, 68), head, cell,
           "项目信息（告知书、分类名单和汇总报告上的核验码与此一致，即由这些数据得出）")
    try:
        wb.close()
        replace_durably(tmp, p)
    except (OSError, FileCreateError) as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"无法写出审计日志 {p.name}（{getattr(exc, 'strerror', None) or exc}）") from exc


def _sheet(wb: Any, name: str, headers: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[int, ...],
           head: Any, cell: Any, title: str) -> None:
    ws = wb.add_worksheet(name)
    ws.write_string(0, 0, title)
    for c, (h, w) in enumerate(zip(headers, widths)):
        ws.write_string(1, c, h, head)
        ws.set_column(c, c, w)
    for r, row in enumerate(rows, 2):
        for c, v in enumerate(row):
            ws.write_string(r, c, v or "", cell)
    ws.freeze_panes(2, 0)
    if rows:
        ws.autofilter(1, 0, 1 + len(rows), len(headers) - 1)
    ws.repeat_rows(1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)


def _text(v: object) -> str:
    if v is None:
        return "空"
    return f"{v:g}" if isinstance(v, float) else str(v)
