"""The release gate (发放前核查): no letter, 公示 entry or final list over a problem left open.

A letter fixes a year of differentiated prices for a firm, so a firm is held back while the data
check still has an open finding on it. Which findings hold a firm is decided by code and level,
never by wording: every error-level finding carrying the firm's key, plus the codes in
`HOLDING_CODES`. A finding is resolved by a resolution (`merge.resolutions`): an `accept` of
that code on that firm, or a correction of the field the finding is about (`core.issues.CORRECTED_BY`). Links
and code corrections resolve their findings by moving the orphan's rows into the firm (the orphan
key leaves the table); rows marked not-an-enterprise leave it too, so they never get a notice.
A `release` resolution lets one firm's letter out over open findings: explicit and recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.issues import CORRECTED_BY, ISSUE_CODES, Issue
from ..merge.resolutions import Resolution
from ..pipeline.run import RunResult

# Besides error-level findings: a row that matched no firm has no credit code, so a notice to it
# would go to an identity nobody has checked (a village cooperative got one as if it were a firm).
HOLDING_CODES: frozenset[str] = frozenset({"name_unmatched"})
# Findings that leave it open who a row is: no sheet, list entry or letter may name it yet.
IDENTITY_CODES: frozenset[str] = frozenset({"code_invalid", "name_unmatched"})
# Errors on a whole file, sheet or table carry no firm: the firms in it are missing data no one can
# see, so while one is open every firm is held. An `accept` keyed by the finding's file name (the
# official has looked and the data are complete elsewhere) resolves it.
FILE_LEVEL_CODES: frozenset[str] = frozenset({"file_unreadable", "range_absurd", "payload_too_large",
                                              "csv_encoding_mixed", "table_unreadable"})


def holds(it: Issue) -> bool:
    """Whether this finding, while unresolved, holds its firm back."""
    return bool(it.key) and (it.level == "error" or it.code in HOLDING_CODES)


@dataclass
class GateReport:
    """Per firm in the result: the findings still open, and the firms released over them."""

    open: dict[str, list[Issue]] = field(default_factory=dict)  # key → unresolved holding findings
    released: dict[str, Resolution] = field(default_factory=dict)  # key → the `release` that lets it out
    resolved: int = 0  # holding findings resolved (accepted or corrected)

    @property
    def held(self) -> dict[str, list[Issue]]:
        """Firms that get nothing until their findings are resolved."""
        return {k: v for k, v in self.open.items() if k not in self.released}

    def split(self, keys: Sequence[str]) -> tuple[list[str], list[str]]:
        """(`keys` that may go out, `keys` held back), each in the given order."""
        held = self.held
        return [k for k in keys if k not in held], [k for k in keys if k in held]


def release_gate(result: RunResult) -> GateReport:
    """Which firms of `result` are held back, and by which findings."""
    accepted = {(r.key, r.code) for r in result.resolutions if r.kind == "accept"}
    corrected = {(c.key, c.field) for c in result.corrections}
    present = {k if type(k) is str else str(k) for k in result.table.index.tolist()}  # not `.astype(str)`: a slow string array
    report = GateReport()
    for it in result.issues:
        if not holds(it) or it.key not in present:
            continue
        if (it.key, it.code) in accepted or (it.key, CORRECTED_BY.get(it.code, "")) in corrected:
            report.resolved += 1
            continue
        report.open.setdefault(it.key, []).append(it)
    for it in file_level_findings(result):
        for k in present:
            report.open.setdefault(k, []).append(it)
    for r in result.resolutions:
        if r.kind == "release" and r.key in report.open:
            report.released[r.key] = r
    return report


def file_level_findings(result: RunResult) -> list[Issue]:
    """Open errors on a whole file, sheet or table (no firm key): each holds every firm."""
    accepted = {(r.key, r.code) for r in result.resolutions if r.kind == "accept"}
    return [it for it in result.issues if it.level == "error" and not it.key and it.code in FILE_LEVEL_CODES
            and (it.file, it.code) not in accepted]


def finding_line(it: Issue) -> str:
    """`信用代码有误（税务局.xls / 实缴税金 / 第 110 行）：…` for lists of held firms."""
    where = it.where()
    title = ISSUE_CODES.get(it.code, "数据问题")
    return f"{title}" + (f"（{where}）" if where else "") + f"：{it.message}"


def held_lines(result: RunResult, held: dict[str, list[Issue]], keys: Sequence[str] | None = None) -> list[str]:
    """One line per held firm (name, code, what holds it), for the CLI and the app."""
    t = result.table
    out: list[str] = []
    for k in keys if keys is not None else list(held):
        name = t.at[k, "name"] if k in t.index else ""
        shown = k.split(":", 1)[1] if k.startswith("名称:") else k
        label = f"{name}（{shown}）" if name and name != shown else shown
        out.append(f"{label}：" + "；".join(finding_line(i) for i in held[k]))
    return out
