"""One evaluation as a whole: the raw files, how they are read, the scheme, and every human edit.

This is the state the desktop app edits and the `.mujun` project file stores. Everything else
(tables, merged data, scores, outputs) is derived from it by `Project.run`, so reopening a saved
project reproduces the same result. Every change made through its methods appends an audit
entry (who, when, what, why), which is what an appeal file (复核) needs.
"""

from __future__ import annotations

import getpass
import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ..core.issues import InputError, Issue
from ..core.progress import CancelFn, ProgressFn, Steps
from ..merge.corrections import Correction
from ..merge.resolutions import (
    RESOLUTION_KINDS,
    Resolution,
    check_resolution,
    normalise_target,
)
from ..method.evaluate import TierOverride
from ..method.scheme import Scheme, parse_scheme
from ..outputs.doc_numbers import Allocation, DocNumber
from ..pipeline.fingerprint import fingerprint_of, verification_code
from ..pipeline.run import Imported, RunResult, evaluate_tables, parse_files, read_files
from ..read.files import RawFile, read_bytes
from ..read.mapping import Mapping, SheetMapping, file_matches
from .review import STAGES, Confirmation, Evidence, Objection, Stage, snapshot


def now_text() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


# The official's name the app has been given (`set_operator`), recorded as 操作人 of every edit.
_operator = ""
LOGIN_MARK = "（系统登录名）"  # after a login name used for want of the official's name


def set_operator(name: str) -> None:
    """The name audit entries, corrections and overrides record from now on (the app's 设置)."""
    global _operator
    _operator = name.strip()


def login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name on some service accounts
        return ""


def current_user() -> str:
    """The operator's name; without one, the OS login name marked as such (an appeal file must not
    pass `root` or `Administrator` off as the official who acted)."""
    if _operator:
        return _operator
    login = login_name()
    return f"{login}{LOGIN_MARK}" if login else ""


@dataclass(frozen=True)
class AuditEntry:
    """审计记录: one human action on the evaluation."""

    time: str
    user: str
    action: str  # import / remove_file / mapping / scheme / correction / override / clear_override / year /
    # evaluate / prior / clear_prior / recover / doc_numbers / output_dir / export (labels: `audit.ACTION_LABELS`)
    target: str = ""  # enterprise key or file name
    field: str = ""
    before: str = ""
    after: str = ""
    reason: str = ""


@dataclass
class Project:
    year: int
    scheme_text: str
    scheme_source: str = ""  # template id or file name it came from
    files: list[RawFile] = field(default_factory=list)
    mapping: Mapping = field(default_factory=Mapping)
    corrections: list[Correction] = field(default_factory=list)
    overrides: list[TierOverride] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    prior: dict[str, object] | None = None  # prior-year result (a `--json` document), if attached
    read_issues: list[Issue] = field(default_factory=list)
    doc_numbers: list[DocNumber] = field(default_factory=list)  # 文号 given to letters (`outputs.doc_numbers`)
    user: str = field(default_factory=current_user)
    # the review cycle (evaluator/project/review.py)
    resolutions: list[Resolution] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)
    confirmations: dict[str, Confirmation] = field(default_factory=dict)
    output_dir: str = ""  # the folder the app writes this evaluation's outputs to ("" until chosen)

    # --- derived -----------------------------------------------------------------------------
    @property
    def scheme(self) -> Scheme:
        return parse_scheme(self.scheme_text, self.scheme_source or "方案")

    def fingerprint(self) -> str:
        """Ties a printed letter to this exact state: the same function as every output uses, so it
        equals `data_fingerprint(self.run())`."""
        return fingerprint_of(self.year, self.scheme_text, (f.sha256 for f in self.files), self.mapping,
                              self.corrections, self.overrides, self.resolutions)

    def current_stage(self) -> str:
        """The stage the outputs say they are: `final` only while the data are exactly those
        frozen as 定稿; otherwise the last stage frozen, or `initial` before any."""
        if not self.stages:
            return "initial"
        last = self.stages[-1]
        if last.stage == "final" and last.fingerprint != self.fingerprint():
            return "review"
        return last.stage

    def imported(self, steps: Steps | None = None) -> Imported:
        tables, issues = parse_files(self.files, self.mapping, steps)
        return Imported(list(self.files), tables, list(self.read_issues) + issues, mapping=self.mapping)

    def run(self, progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> RunResult:
        """Everything derived from this state: the result `mujun report` and the app both show."""
        steps = Steps(progress, cancel)
        steps.stage(0.0, 0.6, "识别数据表")
        imported = self.imported(steps)
        steps.stage(0.6, 1.0, "评价")
        result = self.evaluate(imported, steps)
        steps.done()
        return result

    def evaluate(self, imported: Imported, steps: Steps | None = None) -> RunResult:
        """Merge and evaluate already-parsed tables with every edit of the project (corrections,
        overrides, resolutions), its prior year and its stage; the CLI, `mujun report` and the app
        all evaluate through here (the app re-uses parsed tables between edits)."""
        result = evaluate_tables(imported, self.scheme, self.year, self.corrections, self.overrides, self.prior,
                                 steps, self.resolutions)
        result.stage = self.current_stage()
        return result

    # --- edits (each one audited) ------------------------------------------------------------
    def _log(self, action: str, target: str = "", field_: str = "", before: object = "", after: object = "",
             reason: str = "") -> None:
        self.audit.append(AuditEntry(now_text(), self.user, action, target, field_, _s(before), _s(after), reason))

    def add_files(self, paths: list[str | Path], progress: ProgressFn | None = None,
                  cancel: CancelFn | None = None) -> list[str]:
        """Read and add files; returns one-line messages for files that could not be read."""
        before = self.files
        # Admitted by path and content, never by base name: the same path again replaces its earlier read.
        self.files, issues, failed = read_files(paths, self.mapping, Steps(progress, cancel), existing=before)
        for f in self.files:
            if all(f is not x for x in before):
                self._log("import", f.name, after=f"sha256:{f.sha256[:16]}，{len(f.sheets)} 个工作表")
        replaced = {f.name for f in before if all(f is not x for x in self.files)}
        self.read_issues = [i for i in self.read_issues if i.file not in replaced] + issues
        return failed

    def remove_file(self, name: str) -> None:
        self.files = [f for f in self.files if f.name != name]
        self._log("remove_file", name)

    def move_file(self, name: str, new_index: int) -> None:
        """File order matters: the first file given wins a cross-file conflict."""
        f = next(x for x in self.files if x.name == name)
        rest = [x for x in self.files if x.name != name]
        rest.insert(max(0, min(new_index, len(rest))), f)
        self.files = rest
        self._log("reorder", name, after=str(new_index))

    def set_sheet_mapping(self, rule: SheetMapping) -> None:
        """Replace the rule for exactly this file/sheet pattern, or add it in front."""
        before = [m for m in self.mapping.sheets if (m.file, m.sheet) == (rule.file, rule.sheet)]
        self.mapping = Mapping([rule] + [m for m in self.mapping.sheets if (m.file, m.sheet) != (rule.file, rule.sheet)])
        self._log("mapping", f"{rule.file} / {rule.sheet}", before=before[0].to_dict() if before else "",
                  after=rule.to_dict())
        if rule.include_hidden != (before[0].include_hidden if before else False):
            self._reread_hidden(rule)

    def _reread_hidden(self, rule: SheetMapping) -> None:
        """Hidden sheets are left out when a file is read: opting one in (or out) re-reads the stored bytes."""
        for i, f in enumerate(self.files):
            if f.data is None or not file_matches(f.name, rule.file):
                continue
            try:
                new = read_bytes(f.data, f.path, self.mapping.encoding_for(f.name), self.mapping.hidden_reader(f.name))
            except InputError:
                continue
            new = replace(new, name=f.name, sheets=[replace(s, file=f.name) for s in new.sheets],
                          issues=[replace(x, file=f.name) for x in new.issues])
            self.files[i] = new
            self.read_issues = [x for x in self.read_issues if x.file != f.name] + new.issues

    def set_scheme(self, text: str, source: str = "", reason: str = "") -> Scheme:
        scheme = parse_scheme(text, source or "方案")  # validate before accepting
        self._log("scheme", source, before=self.scheme_source, after=f"{scheme.id} {scheme.version} {scheme.fingerprint}",
                  reason=reason)
        self.scheme_text, self.scheme_source = text, source
        return scheme

    def set_year(self, year: int) -> None:
        self._log("year", before=self.year, after=year)
        self.year = year

    def add_correction(self, key: str, field_: str, value: object, reason: str, before: object = "") -> Correction:
        if not reason.strip():
            raise ValueError("更正必须填写理由")
        c = Correction(key, field_, value, reason.strip(), self.user, now_text())
        self.corrections = [x for x in self.corrections if (x.key, x.field) != (key, field_)] + [c]
        self._log("correction", key, field_, before, value, reason.strip())
        return c

    def remove_correction(self, key: str, field_: str, reason: str) -> None:
        old = [x for x in self.corrections if (x.key, x.field) == (key, field_)]
        self.corrections = [x for x in self.corrections if (x.key, x.field) != (key, field_)]
        self._log("remove_correction", key, field_, old[0].value if old else "", "", reason)

    def set_override(self, key: str, tier: str, reason: str, before: str = "") -> TierOverride:
        if not reason.strip():
            raise ValueError("手动调档必须填写理由")
        o = TierOverride(key, tier, reason.strip(), self.user, now_text())
        self.overrides = [x for x in self.overrides if x.key != key] + [o]
        self._log("override", key, "tier", before, tier, reason.strip())
        return o

    def clear_override(self, key: str, reason: str) -> None:
        old = [x for x in self.overrides if x.key == key]
        self.overrides = [x for x in self.overrides if x.key != key]
        self._log("clear_override", key, "tier", old[0].tier if old else "", "", reason)

    def set_prior(self, doc: dict[str, object], source: str = "") -> None:
        """Attach last year's result (`prior.prior_document` of `prior.load_prior`); replaces any earlier one."""
        self._log("prior", source or str(doc.get("source") or ""), before=_prior_text(self.prior),
                  after=_prior_text(doc))
        self.prior = doc

    def clear_prior(self) -> None:
        if self.prior is None:
            return
        self._log("clear_prior", str(self.prior.get("source") or ""), before=_prior_text(self.prior))
        self.prior = None

    # --- the review cycle (each step audited) --------------------------------------------------
    def add_resolution(self, kind: str, key: str, reason: str, target: str = "", code: str = "") -> Resolution:
        """Link / re-code / mark not-an-enterprise / accept / reject a link / release; raises
        ValueError (Chinese) when it cannot stand. A new decision on the same thing replaces the old."""
        r = Resolution(kind, key, normalise_target(kind, target.strip()), code, reason.strip(), self.user, now_text())
        check_resolution(r)
        self.resolutions = [x for x in self.resolutions if not _replaces(r, x)] + [r]
        self._log("resolution", key, kind, "", r.target or r.code or RESOLUTION_KINDS[kind], r.reason)
        return r

    def remove_resolution(self, r: Resolution, reason: str) -> None:
        self.resolutions = [x for x in self.resolutions if x != r]
        self._log("remove_resolution", r.key, r.kind, r.target or r.code, "", reason)

    def freeze_stage(self, stage: str, result: RunResult, note: str = "") -> Stage:
        """Keep the result and every decision as they are now, as stage `stage` (STAGES id)."""
        if stage not in STAGES:
            raise ValueError(f"没有“{stage}”这个阶段")
        st = Stage(stage, now_text(), self.user, note.strip(), self.fingerprint(),
                   snapshot(result, self.scheme_text, self.objections))
        self.stages.append(st)
        self._log("stage", STAGES[stage], after=f"{len(result.table)} 家企业；项目指纹 {st.fingerprint}", reason=note)
        return st

    def find_stage(self, stage: str) -> Stage:
        """The latest frozen snapshot of `stage`; ValueError (Chinese) if there is none."""
        for st in reversed(self.stages):
            if st.stage == stage:
                return st
        raise ValueError(f"尚未保存“{STAGES.get(stage, stage)}”阶段")

    def add_objection(self, key: str, name: str, received: str, claim: str, fields_: list[str] | None = None,
                      tier: bool = False, via: str = "", evidence: list[tuple[str, bytes]] = ()) -> Objection:
        if not claim.strip():
            raise ValueError("请填写异议内容")
        try:
            datetime.strptime(received, "%Y-%m-%d")
        except ValueError as exc:
            raise ValueError(f"收到日期“{received}”无法识别，应写成 2026-03-04 的形式") from exc
        number = max((o.number for o in self.objections), default=0) + 1
        ev = [Evidence(n, hashlib.sha256(d).hexdigest(), d) for n, d in evidence]
        o = Objection(number, received, key, name, claim.strip(), list(fields_ or []), tier, via, ev)
        self.objections.append(o)
        self._log("objection", key, ",".join(o.fields) or ("tier" if tier else ""), "", f"第 {number} 号", claim.strip())
        return o

    def objection(self, number: int) -> Objection:
        for o in self.objections:
            if o.number == number:
                return o
        raise ValueError(f"没有第 {number} 号异议")

    def decide_objection(self, number: int, decision: str, reason: str, handler: str = "",
                         corrections: dict[str, object] | None = None, day: str = "") -> Objection:
        """Record the decision; each data change it makes becomes a correction whose reason names
        the objection, so the next run (which the caller starts) carries it and the stage diff
        can name the decision as the cause."""
        from .review import DECISIONS

        if decision not in DECISIONS:
            raise ValueError(f"复核意见应为：{'、'.join(DECISIONS.values())}")
        if not reason.strip():
            raise ValueError("复核意见必须写明理由")
        o = self.objection(number)
        changes = dict(corrections or {})
        if decision == "rejected" and changes:
            raise ValueError("不予采纳的异议不应更正数据")
        for f, v in changes.items():
            self.add_correction(o.key, f, v, f"异议第 {number} 号复核：{reason.strip()}")
        o.decision, o.decision_reason = decision, reason.strip()
        o.handler = handler or o.handler or self.user
        o.decided = day or now_text()[:10]
        o.corrections = list(o.corrections) + list(changes.items())
        self._log("objection_decision", o.key, "", "", f"第 {number} 号：{DECISIONS[decision]}", reason.strip())
        return o

    def answer_objection(self, number: int, day: str) -> None:
        o = self.objection(number)
        o.answered = day
        self._log("objection_answer", o.key, "", "", f"第 {number} 号，{day}")

    def set_confirmation(self, key: str, status: str, day: str = "", fields_: list[str] | None = None,
                         note: str = "") -> Confirmation:
        """Sent / confirmed / disputed (with the disputed fields) for one firm's data sheet."""
        from .review import CONFIRM_STATUS

        if status not in CONFIRM_STATUS:
            raise ValueError(f"确认状态应为：{'、'.join(CONFIRM_STATUS.values())}")
        c = self.confirmations.get(key) or Confirmation(key)
        c.status = status
        if status == "sent":
            c.sent = day or now_text()[:10]
        else:
            c.returned = day or now_text()[:10]
        c.fields = list(fields_ or []) if status == "disputed" else []
        c.note = note.strip()
        self.confirmations[key] = c
        self._log("confirmation", key, ",".join(c.fields), "", CONFIRM_STATUS[status], c.note)
        return c

    def record_doc_numbers(self, allocation: Allocation, target: str = "") -> None:
        """Keep the register after a batch of letters, with one audit entry for the batch."""
        if not allocation.serials:
            return
        self.doc_numbers = list(allocation.records)
        numbers = sorted(allocation.serials.values())
        self._log("doc_numbers", target, after=f"{len(numbers)} 份告知书，文号序号 {numbers[0]}–{numbers[-1]}；"
                                               f"{allocation.summary()}")

    def set_output_dir(self, folder: str | Path) -> None:
        """The folder this evaluation's outputs go to (kept with the project, so two counties or two
        rounds of the same year never share one)."""
        new = str(folder)
        if new == self.output_dir:
            return
        self._log("output_dir", before=self.output_dir, after=new)
        self.output_dir = new

    def record_export(self, what: str, count: str, folder: str | Path, fingerprint: str, stage: str = "") -> None:
        """One audit entry per output written: what, how many, where, at which stage, from which data
        (`fingerprint`, printed on the outputs as the 核验码)."""
        label = STAGES.get(stage or self.current_stage(), stage)
        code = verification_code(fingerprint) if fingerprint else "无"
        # the folder last: a long path is what the audit page cuts off with …
        self._log("export", what, after=f"{count}；阶段 {label}；核验码 {code}；保存到 {folder}")

    def copy(self) -> Project:
        return replace(self, files=list(self.files), corrections=list(self.corrections),
                       overrides=list(self.overrides), audit=list(self.audit), read_issues=list(self.read_issues),
                       resolutions=list(self.resolutions), stages=list(self.stages),
                       objections=list(self.objections), confirmations=dict(self.confirmations),
                       doc_numbers=list(self.doc_numbers))


_IDENTITY_KINDS = ("link", "recode", "not_enterprise")


def _replaces(new: Resolution, old: Resolution) -> bool:
    """A decision replaces an earlier one on the same thing: what a row is (link, re-code, not an
    enterprise), one finding accepted, one suggested link rejected, one firm released."""
    if new.key != old.key:
        return False
    if new.kind in _IDENTITY_KINDS:
        return old.kind in _IDENTITY_KINDS
    if new.kind == "accept":
        return old.kind == "accept" and old.code == new.code
    if new.kind == "reject_link":
        return old.kind == "reject_link" and old.target == new.target
    return old.kind == new.kind


def _s(v: object) -> str:
    if v is None:
        return ""
    return v if isinstance(v, str) else repr(v) if isinstance(v, (dict, list)) else str(v)


def _prior_text(doc: dict[str, object] | None) -> str:
    """`2024 年度，303 家企业` for the audit log ("" without a prior)."""
    if not doc:
        return ""
    ents = doc.get("enterprises")
    return f"{doc.get('year') or '上年'} 年度，{len(ents) if isinstance(ents, list) else 0} 家企业"


def new_project(year: int, scheme_ref: str = "reference") -> Project:
    """A fresh project on a shipped template or a scheme file."""
    from ..method.scheme import load_scheme

    s = load_scheme(scheme_ref)
    return Project(year=year, scheme_text=s.text, scheme_source=s.id if not Path(scheme_ref).suffix else Path(scheme_ref).name)
