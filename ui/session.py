"""The open evaluation as the GUI sees it: one `Project`, its latest `RunResult`, and the workers.

Pages never run the pipeline themselves. They call a `Session` method for every edit (which goes
through `Project`, so it is audited exactly as the CLI or a script would record it) and listen
for `result_changed`. Every edit re-evaluates at once in a worker on a copy of the project; a
newer edit cancels the older run and its late result is dropped. Parsing the files is the slow
part and does not depend on corrections, overrides, scheme or year, so the parsed tables are
cached and only a change of files or mapping parses again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from evaluator.core.fields import FIELD_BY_ID
from evaluator.core.issues import InputError, Issue
from evaluator.core.progress import CancelFn, ProgressFn, Steps
from evaluator.merge.corrections import Correction
from evaluator.merge.resolutions import RESOLUTION_KINDS, Resolution
from evaluator.method.evaluate import TierOverride
from evaluator.pipeline.prior import prior_document
from evaluator.pipeline.run import Imported, RunResult
from evaluator.project import file as projectfile
from evaluator.project.model import Project, new_project
from evaluator.project.recent import add_recent
from evaluator.read.files import RawFile, RawSheet
from evaluator.read.identity import admit_files
from evaluator.read.mapping import SheetMapping

from .autosave import Autosaver
from .models import (
    ColumnTable,
    build_enterprise_table,
    build_issue_table,
    enterprise_names,
)
from .retire import retire
from .undo import UNDO_REASON, AuditedEdit
from .user_config import MappingMemory, sheet_signature
from .workers import TaskRunner

log = logging.getLogger(__name__)

DEMO_ORDER: tuple[str, ...] = ("统计局", "税务局", "自然资源局", "供电公司", "工信局")
DEMO_YEAR = 2025


def default_year() -> int:
    """Evaluations are done in spring for the year before."""
    return datetime.now().year - 1


def demo_files() -> list[Path]:
    """The demo county's five files in the order the method expects (统计局 first: it wins conflicts)."""
    from evaluator.core.paths import sample_data_dir

    folder = sample_data_dir()
    out: list[Path] = []
    for prefix in DEMO_ORDER:
        hits = sorted(p for p in folder.glob(f"{prefix}*") if p.suffix.lower() in (".xlsx", ".xls", ".csv"))
        out.extend(hits[:1])
    return out


@dataclass
class Outcome:
    """What one evaluation run hands to the GUI thread: the result and ready-made table data."""

    result: RunResult
    enterprises: ColumnTable
    issues: ColumnTable
    names: dict[str, str]
    imported_key: tuple[Any, ...]
    imported: Imported
    issues_by_key: dict[str, list[Issue]] = field(default_factory=dict)


def imported_key(project: Project) -> tuple[Any, ...]:
    """Identity of everything parsing depends on: the files (by object and content) and the mapping."""
    return (tuple((id(f), f.name, f.sha256) for f in project.files),
            repr([m.to_dict() for m in project.mapping.sheets]), len(project.read_issues))


def evaluation_job(project: Project, cached: tuple[tuple[Any, ...], Imported] | None = None):
    """The worker's job for one evaluation of a (copied) project; plain Python, no widgets."""
    key = imported_key(project)

    def job(progress: ProgressFn, cancel: CancelFn) -> Outcome:
        steps = Steps(progress, cancel)
        if cached is not None and cached[0] == key:
            imported = cached[1]
        else:
            steps.stage(0.0, 0.55, "识别数据表")
            imported = project.imported(steps)
        steps.stage(0.55, 0.8, "合并与评价")
        result = project.evaluate(imported, steps)  # the same step `mujun report` runs
        steps.stage(0.8, 1.0, "准备表格")
        names = enterprise_names(result)
        by_key = result.issues_by_key()
        ent = build_enterprise_table(result, by_key)
        steps.report(0.7, "准备数据核查列表")
        issues = build_issue_table(result.issues, names, result.corrections)
        steps.done()
        return Outcome(result, ent, issues, names, key, imported, by_key)

    return job


class Session(QObject):
    """Holds the project and the latest result; every edit goes through here."""

    project_changed = Signal()  # files, mapping, scheme, year or edits changed
    audit_changed = Signal()  # only the audit log grew (an export recorded): nothing else to refresh
    result_changed = Signal()  # a new result is ready (or the result was cleared)
    evaluation_failed = Signal(str)
    files_failed = Signal(list)  # one-line messages for files that could not be read
    path_changed = Signal()
    busy_changed = Signal(bool)
    progress = Signal(float, str)
    message = Signal(str)  # a short status-bar notice
    autosaved = Signal(str)

    def __init__(self, project: Project | None = None, parent: QObject | None = None,
                 memory: MappingMemory | None = None) -> None:
        super().__init__(parent)
        self.project: Project = project or new_project(default_year())
        self.outcome: Outcome | None = None
        self.path: Path | None = None
        self.dirty = False
        self.memory = memory or MappingMemory()
        self._cache: tuple[tuple[Any, ...], Imported] | None = None
        # Reading and evaluating have no side effects: 取消 ends them for the GUI at once, even in
        # the middle of a native workbook read that never looks at the flag (see TaskRunner).
        self.eval_runner = TaskRunner("evaluate", self, detach=True)
        self._import_runner = TaskRunner("import", self, detach=True)
        self._import_queue: list[list[str]] = []  # imports wait their turn: a later one never cancels an earlier
        self._generation = 0  # bumped when the project is replaced; late imports for an old one are dropped
        self._demo_generation = -1  # the generation whose first import is the demo county's own files
        self.file_runner = TaskRunner("projectfile", self, detach=True)  # cancel() skips a save (below)
        self._saving = False  # a save is never cancelled half-way: the file would be written, the state not
        # The recovery copy: written about a second after every change, on its own thread (silent:
        # no busy indicator). `_version` numbers the project's states for it (see ui.autosave).
        self._version = 0
        self._keep_empty = False  # a recovered project is worth a copy even without files
        self.autosaver = Autosaver(self._autosave_snapshot, parent=self)
        self.autosaver.written.connect(self.autosaved)
        for r in (self.eval_runner, self.file_runner, self._import_runner):
            r.busy_changed.connect(self._on_busy)
            r.progress.connect(self.progress)
        # 撤销/重做 of corrections, overrides and resolutions; a new project starts a new history.
        self.undo_stack = QUndoStack(self)
        self._eval_soon = QTimer(self)
        self._eval_soon.setSingleShot(True)
        self._eval_soon.setInterval(0)
        self._eval_soon.timeout.connect(self.evaluate)

    # --- state -------------------------------------------------------------------------------
    @property
    def result(self) -> RunResult | None:
        return self.outcome.result if self.outcome else None

    @property
    def result_is_current(self) -> bool:
        """False while an edit's re-evaluation (or an import) is queued or running."""
        return not (self.eval_runner.busy or self._eval_soon.isActive() or self._import_runner.busy
                    or bool(self._import_queue))

    @property
    def busy(self) -> bool:
        return (self.eval_runner.busy or self._eval_soon.isActive() or self._import_runner.busy
                or bool(self._import_queue) or self.file_runner.busy)

    def _on_busy(self, _: bool) -> None:
        self.busy_changed.emit(self.busy)

    def cancel(self) -> None:
        """取消 in the status bar: stop reading, evaluating and opening (not a save in progress)."""
        self._import_queue.clear()
        for r in (self._import_runner, self.eval_runner):
            r.cancel()
        if not self._saving:
            self.file_runner.cancel()

    def edited(self, evaluate: bool = True) -> None:
        """The project changed through one of its own audited methods (the review page's decisions):
        unsaved, autosaved, shown, and re-evaluated unless the result cannot change."""
        self._changed(evaluate=evaluate)

    def _mark_dirty(self) -> None:
        self.dirty = True
        self._version += 1
        self.autosaver.schedule()

    def _changed(self, evaluate: bool = True, dirty: bool = True) -> None:
        if dirty:
            self._mark_dirty()
        self.project_changed.emit()
        if evaluate:
            self.evaluate_soon()

    def evaluate_soon(self) -> None:
        """Evaluate on the next turn of the event loop, after the pages have taken in the edit:
        their refresh then runs before the worker competes with it for the GIL."""
        if not self._eval_soon.isActive():
            self._eval_soon.start()

    def set_project(self, project: Project, path: Path | None = None) -> None:
        """Replace the whole project (新建, 打开, 示范数据); runs an evaluation."""
        self.eval_runner.cancel()
        self._import_queue.clear()
        self._import_runner.cancel()
        self._generation += 1
        # The window asked about unsaved changes before replacing the project (saved or given
        # up): the old project's recovery copy goes, and no state of it is written any more.
        self.autosaver.discard([self.path], self._version)
        self._version += 1
        self._keep_empty = False
        retire((self.project, self.outcome, self._cache))  # freed off the GUI thread (see ui.retire)
        self.project = project
        self.undo_stack.clear()
        self.path = Path(path) if path else None
        self.outcome = None
        self._cache = None
        self.dirty = False
        self.path_changed.emit()
        self.project_changed.emit()
        self.result_changed.emit()
        self.evaluate()

    def new_project(self, year: int | None = None, scheme_ref: str = "reference") -> None:
        self.set_project(new_project(year or default_year(), scheme_ref))

    def open_demo(self) -> None:
        """示范数据: the demo county of sample_data/, year 2025, files in the method's order."""
        self.set_project(new_project(DEMO_YEAR))
        self._demo_generation = self._generation  # its own files are not a change to save (no “*”)
        self.add_files(demo_files())

    # --- evaluation --------------------------------------------------------------------------
    def evaluate(self) -> None:
        """Re-run merge and evaluation on a snapshot of the project, in a worker."""
        if not self.project.files:
            self.eval_runner.cancel()
            if self.outcome is not None:
                retire((self.outcome, self._cache))
                self.outcome = None
                self._cache = None
                self.result_changed.emit()
            return
        job = evaluation_job(self.project.copy(), self._cache)
        self.eval_runner.start(job, self._on_evaluated, self._on_eval_error)

    def _on_evaluated(self, outcome: Outcome) -> None:
        retire((self.outcome, self._cache))
        self.outcome = outcome
        self._cache = (outcome.imported_key, outcome.imported)
        self.result_changed.emit()
        r = outcome.result
        self.message.emit(f"评价完成：企业 {len(r.table)} 家，数据问题 {len(r.issues)} 条")

    def _on_eval_error(self, message: str, tb: str) -> None:
        self.evaluation_failed.emit(message)

    # --- files -------------------------------------------------------------------------------
    def add_files(self, paths: list[str | Path]) -> None:
        """Read files in a worker; remembered mappings are applied to sheets with known headers.

        Imports run one after another in the order asked for (file order decides conflicts), so
        two drops in quick succession keep their order and neither cancels the other.
        """
        paths = [str(p) for p in paths]
        if paths:
            self._import_queue.append(paths)
            self._next_import()

    def _next_import(self) -> None:
        if self._import_runner.busy or not self._import_queue:
            self._on_busy(False)
            return
        paths = self._import_queue.pop(0)
        p = self.project
        mapping, memory, year, scheme_text, user = p.mapping, self.memory.copy(), p.year, p.scheme_text, p.user
        files = list(p.files)
        generation = self._generation

        def job(progress: ProgressFn, cancel: CancelFn) -> tuple[Project, list[str], list[SheetMapping]]:
            # The scratch starts with the project's files so that files are told apart by path and
            # content (`read.identity`): a copy is read once, a second `数据.xlsx` keeps its folder.
            scratch = Project(year=year, scheme_text=scheme_text, mapping=mapping, user=user, files=list(files))
            failed = scratch.add_files(paths, progress, cancel)
            scratch.files = [f for f in scratch.files if all(f is not x for x in files)]
            return scratch, failed, memory.suggest(scratch.files, mapping)

        def done(out: tuple[Project, list[str], list[SheetMapping]]) -> None:
            if generation == self._generation:  # not for a project that was replaced meanwhile
                pristine = generation == self._demo_generation and not self.dirty
                self._demo_generation = -1
                self._on_imported(out, pristine)
            self._next_import()

        def failed(message: str, tb: str) -> None:
            self.files_failed.emit([message])
            self._next_import()

        self._import_runner.start(job, done, failed, self._next_import)
        self._on_busy(True)

    def _on_imported(self, out: tuple[Project, list[str], list[SheetMapping]], pristine: bool = False) -> None:
        scratch, failed, suggestions = out
        p = self.project
        admitted = admit_files(p.files, scratch.files)  # same path again: replaces the earlier read in its place
        for old in admitted.replaced:
            retire(old)
            p.read_issues = [i for i in p.read_issues if i.file != old.name]
        p.files = admitted.files
        p.audit.extend(scratch.audit)
        p.read_issues.extend(scratch.read_issues + admitted.issues)
        for rule in suggestions:
            p.set_sheet_mapping(rule)
        if suggestions:
            self.message.emit(f"已按记住的列对应关系自动设置 {len(suggestions)} 个工作表")
        if failed:
            self.files_failed.emit(list(failed))
        self._changed(dirty=not pristine)

    def remove_file(self, name: str) -> None:
        retire(self.file(name))
        self.project.remove_file(name)
        self.project.read_issues = [i for i in self.project.read_issues if i.file != name]
        self._changed()

    def move_file(self, name: str, new_index: int) -> None:
        self.project.move_file(name, new_index)
        self._changed()

    def file(self, name: str) -> RawFile | None:
        return next((f for f in self.project.files if f.name == name), None)

    def reread_file(self, name: str, encoding: str | None) -> str | None:
        """Read a CSV again with a chosen encoding; returns an error message or None."""
        f = self.file(name)
        if f is None:
            return f"文件“{name}”不在项目中"
        if not Path(f.path).exists():
            return f"找不到原文件 {f.path}，无法重新读取"
        sheet = f.sheets[0].sheet if f.sheets else Path(name).stem
        old = next((m for m in self.project.mapping.sheets if (m.file, m.sheet) == (name, sheet)), None)
        rule = replace(old, encoding=encoding or None) if old else SheetMapping(file=name, sheet=sheet, encoding=encoding or None)
        self.project.set_sheet_mapping(rule)
        self.add_files([f.path])
        return None

    # --- mapping -----------------------------------------------------------------------------
    def sheet_rule(self, file: str, sheet: str) -> SheetMapping | None:
        return self.project.mapping.find(file, sheet)

    def set_sheet_mapping(self, rule: SheetMapping, raw: RawSheet | None = None, remember: bool = True) -> None:
        """Apply a corrected mapping; remember it for sheets with the same headers."""
        self.project.set_sheet_mapping(rule)
        if remember and raw is not None:
            probe = SheetMapping(header_row=rule.header_row, header_rows=rule.header_rows)
            sig = sheet_signature(raw, probe)
            if sig:
                self.memory.remember(sig, rule)
        self._changed()

    def include_hidden_sheet(self, file: str, sheet: str) -> None:
        """Opt one hidden sheet in: the project re-reads the file from its stored bytes."""
        old = next((m for m in self.project.mapping.sheets if (m.file, m.sheet) == (file, sheet)), None)
        rule = replace(old, include_hidden=True) if old else SheetMapping(file=file, sheet=sheet, include_hidden=True)
        self.project.set_sheet_mapping(rule)
        self._changed()

    def forget_mapping(self, raw: RawSheet) -> None:
        sig = sheet_signature(raw)
        if sig:
            self.memory.forget(sig)

    # --- scheme and year ---------------------------------------------------------------------
    def set_scheme(self, text: str, source: str = "", reason: str = "") -> None:
        """Validate and adopt a scheme; raises `InputError` (shown inline by the scheme page)."""
        if text == self.project.scheme_text and (source or self.project.scheme_source) == self.project.scheme_source:
            return
        self.project.set_scheme(text, source or self.project.scheme_source, reason)
        self._changed()

    def set_output_dir(self, folder: Path | str) -> None:
        """The project's output folder (audited, saved with the project; no re-evaluation)."""
        if str(folder) != self.project.output_dir:
            self.project.set_output_dir(folder)
            self._changed(evaluate=False)

    def record_doc_numbers(self, allocation: Any, target: str) -> None:
        """文号 given to letters (a batch, a cancelled batch, a letter printed from the preview) go into
        the project's register: saved and autosaved like any edit, shown in the audit log."""
        self.project.record_doc_numbers(allocation, target)
        self._mark_dirty()
        self.audit_changed.emit()

    def record_export(self, what: str, count: str, folder: str, fingerprint: str, stage: str = "") -> None:
        """An output written: one audit entry (`Project.record_export`), saved with the project."""
        self.project.record_export(what, count, folder, fingerprint, stage)
        # Saved with the project, but no page but the audit log shows it: the other pages' refresh
        # (the review page's release gate over every firm) would pause the window at 100k firms.
        self._mark_dirty()
        self.audit_changed.emit()

    def set_year(self, year: int) -> None:
        if year != self.project.year:
            self.project.set_year(year)
            self._changed()

    # --- last year's result ------------------------------------------------------------------
    def set_prior(self, prior: pd.DataFrame, source: str) -> None:
        """Attach last year's tiers (`evaluator.pipeline.prior.load_prior`) and re-evaluate; audited."""
        self.project.set_prior(prior_document(prior), source)
        self._changed()

    def clear_prior(self) -> None:
        if self.project.prior is not None:
            self.project.clear_prior()
            self._changed()

    # --- corrections and overrides -----------------------------------------------------------
    def imported_value(self, key: str, field: str) -> object:
        r = self.result
        if r is None or key not in r.merged.enterprises.index or field not in r.merged.enterprises:
            return ""
        v = r.merged.enterprises.at[key, field]
        if v is None or v is np.nan or (isinstance(v, float) and np.isnan(v)):
            return ""
        if v is pd.NA:
            return ""
        return v

    # --- audited edits (each one undoable: ui.undo) ---------------------------------------------
    def _firm(self, key: str) -> str:
        r = self.result
        name = r.table.at[key, "name"] if r is not None and key in r.table.index else None
        return str(name) if isinstance(name, str) and name else "该企业"

    def _push(self, text: str, redo: Callable[[], object], undo: Callable[[], object]) -> None:
        self.undo_stack.push(AuditedEdit(text, redo, undo, self._changed))

    def correction_for(self, key: str, field: str) -> Correction | None:
        return next((c for c in self.project.corrections if (c.key, c.field) == (key, field)), None)

    def _put_correction(self, key: str, field: str, c: Correction | None, value_now: object) -> None:
        """Back to correction `c` (with its own reason), or to no correction (reason 撤销)."""
        if c is None:
            self.project.remove_correction(key, field, UNDO_REASON)
        else:
            self.project.add_correction(key, field, c.value, c.reason, before=value_now)

    def add_correction(self, key: str, field: str, value: object, reason: str) -> None:
        prev = self.correction_for(key, field)
        self.project.add_correction(key, field, value, reason, before=self.imported_value(key, field))
        label = FIELD_BY_ID[field].label if field in FIELD_BY_ID else field
        self._push(f"更正{self._firm(key)}的{label}",
                   lambda: self.project.add_correction(key, field, value, reason,
                                                       before=prev.value if prev else self.imported_value(key, field)),
                   lambda: self._put_correction(key, field, prev, value))
        self._changed()

    def remove_correction(self, key: str, field: str, reason: str) -> None:
        if not reason.strip():
            raise ValueError("撤销更正必须填写理由")
        prev = self.correction_for(key, field)
        self.project.remove_correction(key, field, reason.strip())
        if prev is not None:
            label = FIELD_BY_ID[field].label if field in FIELD_BY_ID else field
            self._push(f"撤销{self._firm(key)}的{label}更正",
                       lambda: self.project.remove_correction(key, field, reason.strip()),
                       lambda: self._put_correction(key, field, prev, self.imported_value(key, field)))
        self._changed()

    def _tier_now(self, key: str) -> str:
        r = self.result
        return str(r.table.at[key, "tier"] or "") if r is not None and key in r.table.index else ""

    def _put_override(self, key: str, o: TierOverride | None) -> None:
        """Back to override `o` (with its own reason: the letter prints it), or to none (撤销)."""
        if o is None:
            self.project.clear_override(key, UNDO_REASON)
        else:
            self.project.set_override(key, o.tier, o.reason, before=self._tier_now(key))

    def set_override(self, key: str, tier: str, reason: str) -> None:
        prev = self.override_for(key)
        self.project.set_override(key, tier, reason, before=self._tier_now(key))
        self._push(f"{self._firm(key)}调档为 {tier} 类",
                   lambda: self.project.set_override(key, tier, reason, before=self._tier_now(key)),
                   lambda: self._put_override(key, prev))
        self._changed()

    def clear_override(self, key: str, reason: str) -> None:
        if not reason.strip():
            raise ValueError("取消调档必须填写理由")
        prev = self.override_for(key)
        self.project.clear_override(key, reason.strip())
        if prev is not None:
            self._push(f"取消{self._firm(key)}的调档",
                       lambda: self.project.clear_override(key, reason.strip()),
                       lambda: self._put_override(key, prev))
        self._changed()

    def add_resolution(self, kind: str, key: str, reason: str, target: str = "", code: str = "") -> Resolution:
        """A 复核 decision (`Project.add_resolution`); the caller marks the change (review page).
        Undo removes it (reason 撤销) and restores the decisions it replaced, with their reasons."""
        before = list(self.project.resolutions)
        made = [self.project.add_resolution(kind, key, reason, target=target, code=code)]
        replaced = [x for x in before if x not in self.project.resolutions]

        def redo() -> None:
            made[0] = self.project.add_resolution(kind, key, reason, target=target, code=code)

        def undo() -> None:
            self.project.remove_resolution(made[0], UNDO_REASON)
            for x in replaced:
                self.project.add_resolution(x.kind, x.key, x.reason, target=x.target, code=x.code)

        self._push(f"复核：{RESOLUTION_KINDS.get(kind, kind)}", redo, undo)
        return made[0]

    def override_for(self, key: str) -> Any | None:
        return next((o for o in self.project.overrides if o.key == key), None)

    # --- project file ------------------------------------------------------------------------
    def save(self, path: Path | None = None, on_done: Any = None) -> None:
        """Save to `path` (or the current path) in a worker; raises InputError without a path."""
        target = Path(path or self.path or "")
        if not str(target):
            raise InputError("请先选择保存位置")
        # A result still being recomputed after an edit belongs to the project before the edit:
        # saved next to the edited project, `mujun report` would call the file inconsistent. The
        # file then carries no result; opening it (or `mujun report`) evaluates afresh.
        snapshot, result, before = self.project.copy(), (self.result if self.result_is_current else None), self.path
        version = self._version
        autosaver = self.autosaver

        def job(progress: ProgressFn, cancel: CancelFn) -> Path:
            progress(0.1, f"正在保存 {target.name}")
            projectfile.save_project(snapshot, target, result=result)
            # File chores here, not in `done`: right after a large save an fsync on the GUI
            # thread waited up to 0.2 s for the disk.
            _remember_recent(target)
            autosaver.saved(version, [before, target])  # the recovery copies of this state are obsolete
            return target

        def done(p: Path) -> None:
            self._saving = False
            old, self.path = self.path, p
            self.dirty = self._version != version  # edited while saving: still unsaved
            if self.dirty:  # the newer state's copy goes beside the new name (then the old one goes)
                self.autosaver.moved(old) if old != p else self.autosaver.write_now()
            self.path_changed.emit()
            self.message.emit(f"已保存：{p}")
            if on_done:
                on_done(p)

        def failed(m: str, tb: str) -> None:
            self._saving = False
            self.evaluation_failed.emit(f"保存失败：{m}")

        self._saving = True
        self.file_runner.start(job, done, failed, lambda: setattr(self, "_saving", False))

    def open(self, path: Path, on_done: Any = None) -> None:
        def job(progress: ProgressFn, cancel: CancelFn) -> Project:
            project = projectfile.load_project(path)
            _remember_recent(Path(path))
            return project

        def done(project: Project) -> None:
            self.set_project(project, Path(path))
            if on_done:
                on_done(project)

        self.file_runner.start(job, done, lambda m, tb: self.evaluation_failed.emit(f"无法打开项目：{m}"))

    def autosave(self) -> bool:
        """Write the recovery copy now (normally it follows every change by itself); False if
        there is nothing to write."""
        return self.autosaver.write_now()

    def _autosave_snapshot(self) -> tuple[Project, Path | None, int] | None:
        if not self.dirty or not (self.project.files or self._keep_empty):
            return None
        return self.project.copy(), self.path, self._version

    def recovered(self, project: Project, original: Path | None, autosave: Path) -> None:
        """Continue with a project restored from `autosave` (恢复): it is unsaved work, so it gets its
        own recovery copy at once; the old copy is removed only after the new one is on disk."""
        self.set_project(project, original)
        self.dirty = True
        self._version += 1
        self._keep_empty = True
        self.project_changed.emit()
        self.autosaver.write_now(remove_after=autosave)

    def close_autosave(self) -> None:
        """At a normal exit (after the window asked about unsaved changes): nothing to recover."""
        self.autosaver.close(discard=[self.path])


def _remember_recent(path: Path) -> None:
    try:
        add_recent(path)
    except Exception as exc:  # the recent list is a convenience: never fail a save or an open for it
        log.warning("recent files: %s", exc)
