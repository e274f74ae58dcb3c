"""The review cycle of one evaluation (PRACTICE §4): 初评 → 公示 → 复核 → 定稿.

Plain data kept in the project: stage snapshots (what the result, scheme and every decision on
the data were when a stage was frozen), the objection register (异议登记), and per-firm tracking
of the data confirmation sheets (一企一单). `diff_stages` says which firms changed between two
stages and which corrections or decisions caused it, for the appeal file.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..core.fields import FIELD_BY_ID
from ..core.values import finite_or_none, is_missing
from ..merge.resolutions import RESOLUTION_KINDS
from ..method.evaluate import STATUS_LABELS
from ..method.indicators import INDICATOR_IDS, format_number
from ..pipeline.run import RunResult

STAGES: dict[str, str] = {"initial": "初评", "publicity": "公示", "review": "复核", "final": "定稿"}
# What a letter or list printed at each stage says under its title; the final result says nothing.
STAGE_PRINT_LABELS: dict[str, str] = {"initial": "初评结果", "publicity": "初评结果", "review": "复核结果", "final": ""}


def stage_print_label(stage: str) -> str:
    """The label outputs print for a result at `stage` (a `STAGES` id, or "" before any stage)."""
    return STAGE_PRINT_LABELS.get(stage, "")
SNAPSHOT_FIELDS: tuple[str, ...] = ("land", "tax", "value_added", "revenue", "electricity", "energy", "employees",
                                    "rd_expense", "emissions")
DECISIONS: dict[str, str] = {"accepted": "采纳", "partly": "部分采纳", "rejected": "不予采纳"}
CONFIRM_STATUS: dict[str, str] = {"sent": "已发送", "confirmed": "已确认", "disputed": "有异议"}


def stage_id(text: str) -> str:
    """`初评` / `initial` → `initial`; raises ValueError (Chinese) for anything else."""
    t = text.strip()
    for k, v in STAGES.items():
        if t in (k, v):
            return k
    raise ValueError(f"没有“{text}”这个阶段（可用：{'、'.join(STAGES.values())}）")


# --- stage snapshots --------------------------------------------------------------------------

@dataclass
class Stage:
    """A frozen stage: the result and every decision on the data at that moment."""

    stage: str  # STAGES id
    time: str
    user: str
    note: str
    fingerprint: str
    doc: dict[str, Any]  # `snapshot(...)`

    @property
    def label(self) -> str:
        return STAGES[self.stage]

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.time[:10])


def _text(v: Any) -> str | None:
    return None if is_missing(v) else str(v)


def snapshot(result: RunResult, scheme_text: str, objections: Sequence[Objection] = ()) -> dict[str, Any]:
    """The stage document: per firm its inputs, indicators, score, ranks and tier; the scheme;
    the corrections, overrides, resolutions and objection decisions in force."""
    t = result.table
    firms: dict[str, dict[str, Any]] = {}
    cols = {f"v_{i}": i for i in INDICATOR_IDS}
    for key, row in zip(t.index.astype(str), t.to_dict("records")):
        firms[key] = {
            "name": _text(row["name"]), "township": _text(row["township"]), "status": row["status"],
            "population": row["population"],
            "inputs": {f: finite_or_none(row[f]) for f in SNAPSHOT_FIELDS},
            "indicators": {i: finite_or_none(row[c]) for c, i in cols.items()},
            "total_score": finite_or_none(row["total_score"]), "rank": finite_or_none(row["rank"]),
            "tier": _text(row["tier"]),
        }
    return {
        "scheme": {"id": result.scheme.id, "version": result.scheme.version, "text": scheme_text},
        "year": result.year,
        "corrections": [asdict(c) for c in result.corrections],
        "overrides": [asdict(o) for o in result.overrides],
        "resolutions": [asdict(r) for r in result.resolutions],
        "decisions": [{"number": o.number, "key": o.key, "decision": o.decision, "reason": o.decision_reason,
                       "decided": o.decided} for o in objections if o.decision],
        "excluded": sorted(str(k) for k in result.excluded.index),
        "firms": firms,
    }


@dataclass
class FirmChange:
    """One firm in a stage diff: what changed and why."""

    key: str
    name: str
    changes: list[tuple[str, str, str]]  # (what, before, after), in words
    causes: list[str]  # the firm's own corrections/decisions; empty: moved by others' changes
    tier_before: str | None = None
    tier_after: str | None = None

    @property
    def direct(self) -> bool:
        return bool(self.causes)

    @property
    def tier_changed(self) -> bool:
        return self.tier_before != self.tier_after


@dataclass
class StageDiff:
    before: str  # stage labels
    after: str
    firms: list[FirmChange] = field(default_factory=list)
    scheme_changed: bool = False

    @property
    def direct(self) -> list[FirmChange]:
        return [f for f in self.firms if f.direct]

    @property
    def tier_changes(self) -> list[FirmChange]:
        return [f for f in self.firms if f.tier_changed]


INDIRECT = "本企业数据未变；因其他企业数据更正，基准值或名次随之变化"


def _show(v: Any, unit: str = "") -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return format_number(v, unit)
    return str(v)


def _firm_causes(key: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The corrections, overrides, resolutions and objection decisions on `key` that are in the
    later stage and not in the earlier one (or were withdrawn), in words."""
    out: list[str] = []

    def new(items: str, match: Any) -> tuple[list[dict], list[dict]]:
        a = [x for x in before.get(items, []) if match(x)]
        b = [x for x in after.get(items, []) if match(x)]
        return [x for x in b if x not in a], [x for x in a if x not in b]

    added, removed = new("corrections", lambda c: c["key"] == key)
    for c in added:
        spec = FIELD_BY_ID.get(c["field"])
        label = spec.label if spec else c["field"]
        out.append(f"人工更正：{label}改为“{_show(c['value'], spec.unit if spec else '')}”，理由：{c['reason']}")
    for c in removed:
        spec = FIELD_BY_ID.get(c["field"])
        out.append(f"撤销人工更正：{spec.label if spec else c['field']}")
    added, removed = new("overrides", lambda o: o["key"] == key)
    out += [f"手动调档为 {o['tier']} 类，理由：{o['reason']}" for o in added]
    out += ["撤销手动调档" for _o in removed]
    added, _removed = new("resolutions", lambda r: key in (r["key"], r["target"]))
    out += [f"{RESOLUTION_KINDS[r['kind']]}：{r['reason']}" for r in added if r["kind"] != "release"]
    added, _removed = new("decisions", lambda d: d["key"] == key)
    out += [f"异议第 {d['number']} 号复核意见：{DECISIONS.get(d['decision'], d['decision'])}，理由：{d['reason']}"
            for d in added]
    return out


def diff_stages(a: Stage, b: Stage) -> StageDiff:
    """Every firm whose inputs, score, rank, tier or status differ between stage `a` and `b`."""
    da, db = a.doc, b.doc
    out = StageDiff(a.label, b.label, scheme_changed=da["scheme"]["text"] != db["scheme"]["text"])
    fa, fb = da["firms"], db["firms"]
    for key in list(fa) + [k for k in fb if k not in fa]:
        x, y = fa.get(key), fb.get(key)
        changes: list[tuple[str, str, str]] = []
        if x is None or y is None:
            changes.append(("企业", "不在名单" if x is None else "在名单", "在名单" if y is not None else "不在名单"))
        else:
            for f in SNAPSHOT_FIELDS:
                if not _same(x["inputs"][f], y["inputs"][f]):
                    spec = FIELD_BY_ID[f]
                    changes.append((f"{spec.label}（{spec.unit}）", _show(x["inputs"][f], spec.unit),
                                    _show(y["inputs"][f], spec.unit)))
            if x["status"] != y["status"]:
                changes.append(("评价状态", STATUS_LABELS.get(x["status"], x["status"]),
                                STATUS_LABELS.get(y["status"], y["status"])))
            if not _same(x["total_score"], y["total_score"]):
                changes.append(("综合得分", _show(x["total_score"], "分"), _show(y["total_score"], "分")))
            if not _same(x["rank"], y["rank"]):
                changes.append(("排名", _show(_int(x["rank"])), _show(_int(y["rank"]))))
            if x["tier"] != y["tier"]:
                changes.append(("等级", x["tier"] or "—", y["tier"] or "—"))
        if not changes:
            continue
        causes = _firm_causes(key, da, db)
        name = (y or x or {}).get("name") or key
        out.firms.append(FirmChange(key, name, changes, causes or ([] if x and y else ["进入或离开评价名单"]),
                                    (x or {}).get("tier"), (y or {}).get("tier")))
    out.firms.sort(key=lambda f: (not f.direct, not f.tier_changed, f.key))
    return out


def _int(v: float | None) -> int | None:
    return None if v is None else int(v)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# --- objections -------------------------------------------------------------------------------

@dataclass
class Evidence:
    """A file the firm handed in with its objection, kept whole in the project."""

    name: str
    sha256: str
    data: bytes | None = None


@dataclass
class Objection:
    """异议登记: one written objection and how it was decided."""

    number: int
    received: str  # ISO date
    key: str
    name: str
    claim: str
    fields: list[str] = field(default_factory=list)  # field ids disputed
    tier: bool = False  # the tier itself is disputed
    via: str = ""  # channel (乡镇经济办, 窗口, 邮寄)
    evidence: list[Evidence] = field(default_factory=list)
    handler: str = ""
    decision: str = ""  # DECISIONS id, "" while open
    decision_reason: str = ""
    decided: str = ""
    corrections: list[tuple[str, Any]] = field(default_factory=list)  # (field, value) the decision set
    answered: str = ""  # ISO date the firm was answered

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = [{"name": e.name, "sha256": e.sha256} for e in self.evidence]
        d["corrections"] = [list(c) for c in self.corrections]
        return d

    @staticmethod
    def from_dict(d: dict[str, Any], evidence: list[Evidence]) -> Objection:
        d = dict(d)
        d["evidence"] = evidence
        d["corrections"] = [tuple(c) for c in d.get("corrections", [])]
        return Objection(**d)


# --- data confirmation (一企一单) -----------------------------------------------------------------

@dataclass
class Confirmation:
    """Where a firm's data confirmation sheet stands."""

    key: str
    status: str = "sent"  # CONFIRM_STATUS id
    sent: str = ""
    returned: str = ""
    fields: list[str] = field(default_factory=list)  # field ids disputed
    note: str = ""
