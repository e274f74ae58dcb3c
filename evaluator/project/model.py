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
from ..method.evaluate import TierOverride
from ..method.scheme import Scheme, parse_scheme
from ..pipeline.run import Imported, RunResult, evaluate_tables, parse_files, read_files
from ..read.files import RawFile, read_bytes
from ..read.mapping import Mapping, SheetMapping, file_matches


def now_text() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name on some service accounts
        return ""


@dataclass(frozen=True)
class AuditEntry:
    """审计记录: one human action on the evaluation."""

    time: str
    user: str
    action: str  # import / remove_file / mapping / scheme / correction / override / clear_override / year /
    # evaluate / prior / clear_prior / recover (labels: `audit.ACTION_LABELS`)
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
    user: str = field(default_factory=current_user)

    # --- derived -----------------------------------------------------------------------------
    @property
    def scheme(self) -> Scheme:
        return parse_scheme(self.scheme_text, self.scheme_source or "方案")

    def fingerprint(self) -> str:
        """Ties a printed letter to this exact state: files, mapping, scheme, edits, year."""
        h = hashlib.sha256()
        h.update(str(self.year).encode())
        h.update(self.scheme_text.encode("utf-8"))
        for f in self.files:
            h.update(f.sha256.encode())
        h.update(repr([m.to_dict() for m in self.mapping.sheets]).encode("utf-8"))
        h.update(repr([(c.key, c.field, c.value) for c in self.corrections]).encode("utf-8"))
        h.update(repr([(o.key, o.tier) for o in self.overrides]).encode("utf-8"))
        return h.hexdigest()[:16]

    def imported(self, steps: Steps | None = None) -> Imported:
        tables, issues = parse_files(self.files, self.mapping, steps)
        return Imported(list(self.files), tables, list(self.read_issues) + issues)

    def run(self, progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> RunResult:
        steps = Steps(progress, cancel)
        steps.stage(0.0, 0.6, "识别数据表")
        imported = self.imported(steps)
        steps.stage(0.6, 1.0, "评价")
        result = evaluate_tables(imported, self.scheme, self.year, self.corrections, self.overrides, steps)
        steps.done()
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

    def copy(self) -> Project:
        return replace(self, files=list(self.files), corrections=list(self.corrections),
                       overrides=list(self.overrides), audit=list(self.audit), read_issues=list(self.read_issues))


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
