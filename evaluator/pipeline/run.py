"""The one pipeline the CLI, the GUI and the project file all run: read → parse → merge → evaluate → prior year.

Each step is a plain function over plain data, so it can be called and tested alone; `run` strings
them together with progress and cancellation. A file that cannot be read is reported and the
other files are still processed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..clean.layout import parse_sheet_tables
from ..clean.sheets import SheetTable
from ..core.issues import InputError, Issue
from ..core.progress import CancelFn, ProgressFn, Steps
from ..merge.corrections import Correction, apply_corrections
from ..merge.leases import build_ledger, is_lease_table, ledger_columns
from ..merge.resolutions import (
    Resolution,
    Suggestion,
    exclude_non_enterprises,
    remap_keys,
    remap_notices,
    suggest_links,
    suggestion_issues,
)
from ..merge.tables import MergedData, merge_tables
from ..method.evaluate import Evaluation, TierOverride, evaluate
from ..method.scheme import Scheme
from ..read.files import RawFile, Reader, read_file
from ..read.identity import admit_files
from ..read.mapping import Mapping
from .prior import attach_stored_prior, stored_prior_figures


@dataclass
class Imported:
    files: list[RawFile]
    tables: list[SheetTable]
    issues: list[Issue]
    failed: list[str] = field(default_factory=list)  # one-line messages for files that could not be read
    mapping: Mapping | None = None  # the column-mapping rules the tables were parsed with (for the fingerprint)


def read_files(paths: Sequence[str | Path], mapping: Mapping | None = None, steps: Steps | None = None,
               existing: Sequence[RawFile] = (), reader: Reader = read_file
               ) -> tuple[list[RawFile], list[Issue], list[str]]:
    """Raw grids of every readable file; unreadable files become error entries, not exceptions.

    Files are admitted after `existing` by path and content (`read.identity`): the same file twice
    is read once, and two files sharing a base name are both kept, shown with their folders. The
    list returned is `existing` with the new files admitted; the issues are the new files' only.
    """
    steps = steps or Steps()
    files: list[RawFile] = list(existing)
    issues: list[Issue] = []
    failed: list[str] = []
    for i, p in enumerate(paths):
        name = Path(p).name
        steps.report(i / max(len(paths), 1), f"读取 {name}")
        try:
            rf = reader(p, mapping.encoding_for(name) if mapping else None,
                        mapping.hidden_reader(name) if mapping else None)
        except InputError as exc:
            failed.append(str(exc))
            issues.append(Issue("error", str(exc), name, code=exc.code or "file_unreadable"))
            continue
        batch = files[len(existing):]
        admitted = admit_files(files, [rf]) if not any(_same_source(rf, x) for x in batch) else \
            admit_files(files, [rf], replaceable=False)
        files = admitted.files
        issues.extend(admitted.issues)
        for f in admitted.added:
            issues.extend(f.issues)
    return files, issues, failed


def _same_source(a: RawFile, b: RawFile) -> bool:
    return a.sha256 == b.sha256 and Path(a.path).resolve() == Path(b.path).resolve()


def parse_files(files: Sequence[RawFile], mapping: Mapping | None = None, steps: Steps | None = None
                ) -> tuple[list[SheetTable], list[Issue]]:
    """Interpret every sheet of the raw files (header, units, rows)."""
    steps = steps or Steps()
    tables: list[SheetTable] = []
    issues: list[Issue] = []
    sheets = [(f, s) for f in files for s in f.sheets]
    for i, (f, s) in enumerate(sheets):
        steps.report(i / max(len(sheets), 1), f"识别 {f.name} / {s.sheet}")
        found_tables, found = parse_sheet_tables(s, mapping.find(f.name, s.sheet) if mapping else None)
        issues.extend(found)
        tables.extend(found_tables)
    return tables, issues


def import_files(paths: Sequence[str | Path], mapping: Mapping | None = None, steps: Steps | None = None,
                 reader: Reader = read_file) -> Imported:
    steps = steps or Steps()
    files, issues, failed = read_files(paths, mapping, steps, reader=reader)
    tables, more = parse_files(files, mapping, steps)
    return Imported(files, tables, issues + more, failed, mapping)


@dataclass
class RunResult:
    """Everything one evaluation run produced; outputs are derived from this alone."""

    scheme: Scheme
    year: int
    imported: Imported
    merged: MergedData
    evaluation: Evaluation
    issues: list[Issue]
    corrections: list[Correction] = field(default_factory=list)
    overrides: list[TierOverride] = field(default_factory=list)
    # the review cycle: decisions on the data, rows that are not enterprises, links still to decide
    resolutions: list[Resolution] = field(default_factory=list)
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)  # merged rows marked not-an-enterprise
    suggestions: list[Suggestion] = field(default_factory=list)
    stage: str = ""  # `evaluator.project.review.STAGES` id the outputs say they are ("" before any stage)
    prior: dict[str, Any] | None = None  # last year's result as attached (`prior.prior_document`)
    prior_matched: int | None = None  # firms that had a prior-year tier; None without a prior

    @property
    def table(self) -> pd.DataFrame:
        return self.evaluation.table

    def issues_by_key(self) -> dict[str, list[Issue]]:
        out: dict[str, list[Issue]] = {}
        for it in self.issues:
            if it.key:
                out.setdefault(it.key, []).append(it)
        return out


def _key_issues(issues: list[Issue], merged: MergedData) -> list[Issue]:
    """Attach the enterprise key to row-level findings so each firm's letter can list its own."""
    todo = [i for i, it in enumerate(issues) if not it.key and it.row is not None]
    if not todo or merged.row_keys.empty:
        return list(issues)
    want = pd.DataFrame({"_file": [issues[i].file for i in todo], "_sheet": [issues[i].sheet for i in todo],
                         "_row": [issues[i].row for i in todo], "_i": todo})
    hit = want.merge(merged.row_keys, on=["_file", "_sheet", "_row"], how="inner")
    out = list(issues)
    for i, k in zip(hit["_i"], hit["_key"]):
        it = out[i]
        out[i] = replace(it, key=str(k))
    return out


def _row_places(merged: MergedData, keys: set[str]) -> dict[str, tuple[str, str, int]]:
    """(file, sheet, row) of each given key's first row."""
    rk = merged.row_keys
    if not keys or rk.empty:
        return {}
    first = rk[rk["_key"].isin(keys)].drop_duplicates("_key")
    return {str(k): (str(f), str(s), int(r))
            for k, f, s, r in zip(first["_key"], first["_file"], first["_sheet"], first["_row"])}


def evaluate_tables(imported: Imported, scheme: Scheme, year: int, corrections: Sequence[Correction] = (),
                    overrides: Sequence[TierOverride] = (), prior: dict[str, Any] | None = None,
                    steps: Steps | None = None, resolutions: Sequence[Resolution] = ()) -> RunResult:
    """Merge, correct and evaluate already-parsed tables, then attach last year's result.

    The one evaluation step every caller runs (`run` for files, `Project.evaluate` for a project,
    which the CLI, `mujun report` and the desktop app all use), so a result saved by one is the
    result the others re-derive. `prior` is the stored form of last year's result
    (`prior.prior_document`); without it the prior-year columns are absent.

    Resolutions apply in the order the data needs: links and code corrections while merging,
    then corrections, then rows that are not enterprises leave the table; links still open are
    suggested (and hold their firm back, see `outputs.gate`).
    """
    steps = steps or Steps()
    steps.report(0.0, "合并企业数据")
    leases = [t for t in imported.tables if is_lease_table(t)]
    merged = merge_tables([t for t in imported.tables if not is_lease_table(t)], remap_keys(resolutions))
    steps.report(0.5, "应用人工更正")
    ent, corr_issues = apply_corrections(merged.enterprises, corrections)
    if leases:  # the land ledger: evaluated land per the scheme's `[land]` rules
        ledger = build_ledger(leases, ent)
        ent = pd.concat([ent, ledger_columns(ledger, ent.index)], axis=1)
        corr_issues = ledger.issues + corr_issues
    ent, excluded, excl_issues = exclude_non_enterprises(ent, resolutions)
    rejected = [(r.key, r.target) for r in resolutions if r.kind == "reject_link"]
    suggestions = suggest_links(ent, rejected)
    places = _row_places(merged, {s.orphan for s in suggestions})
    review_issues = (remap_notices(resolutions, merged.remapped, ent["name"].dropna().astype(str).to_dict() if resolutions else {})
                     + excl_issues + suggestion_issues(suggestions, ent, places))
    steps.report(0.6, "计算指标与评价")
    figures = stored_prior_figures(prior) if prior and scheme.uses_prior else None  # benchmarks from last year
    ev = evaluate(ent, scheme, year, overrides, figures)
    issues = (_key_issues(imported.issues + merged.issues, merged) + corr_issues + review_issues + ev.issues)
    for o in overrides:
        if o.key in ev.table.index:
            issues.append(Issue("info", f"手动调档为 {o.tier} 类，理由：{o.reason}" + (f"（{o.user}，{o.time}）" if o.user or o.time else ""),
                                key=o.key, code="manual_override"))
    result = RunResult(scheme, year, imported, merged, ev, issues, list(corrections), list(overrides),
                       resolutions=list(resolutions), excluded=excluded, suggestions=suggestions)
    result.prior, result.prior_matched = prior, attach_stored_prior(result, prior)
    return result


def run(paths: Sequence[str | Path], scheme: Scheme, year: int, mapping: Mapping | None = None,
        corrections: Sequence[Correction] = (), overrides: Sequence[TierOverride] = (),
        prior: dict[str, Any] | None = None,
        progress: ProgressFn | None = None, cancel: CancelFn | None = None, reader: Reader = read_file) -> RunResult:
    """Files in, graded result out. `reader`: how a file is read (`read.ahead` serves files read
    ahead on the command line)."""
    steps = Steps(progress, cancel)
    steps.stage(0.0, 0.7, "读取文件")
    imported = import_files(paths, mapping, steps, reader)
    steps.stage(0.7, 1.0, "评价")
    result = evaluate_tables(imported, scheme, year, corrections, overrides, prior, steps)
    steps.done()
    return result
