"""文号 allocation: a document number for each letter actually issued, recorded so it is never
given twice and a re-issue after 复核 keeps or replaces it explicitly.

Rules (documented for officials in `templates/letters/README.md`):
- Numbers go only to the letters of a batch being written, never to firms that get no letter;
  within a batch in `letter_order` (population, county rank, credit code), continuing after the
  highest serial already given under the same prefix and year (or from the settings' first serial).
- A firm that already holds a number under that prefix and year keeps it when its letter is
  printed again (`reissue="keep"`, the default: a reprint is the same document); with
  `reissue="supersede"` it gets a new number and the old entry is marked as replaced by it
  (a corrected letter after 复核 is a new document).
- The record lives in the project (`Project.doc_numbers`), so the CLI, `mujun report` and the app
  continue one sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from .settings import Settings

REISSUE_MODES = {"keep": "沿用原文号", "supersede": "作废原文号并重新编号"}


@dataclass(frozen=True)
class DocNumber:
    """One 文号 given to one firm's letter."""

    key: str
    serial: int
    number: str  # as printed: 示工信〔2026〕12号
    series: str  # prefix and year the serial counts in: 示工信〔2026〕
    batch: int
    issued_at: str
    fingerprint: str  # the data fingerprint of the result the letter printed
    replaced_by: str = ""  # the number that superseded this one ("" while in force)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> DocNumber:
        return DocNumber(str(d["key"]), int(d["serial"]), str(d["number"]), str(d["series"]), int(d["batch"]),
                         str(d.get("issued_at", "")), str(d.get("fingerprint", "")), str(d.get("replaced_by", "")))


@dataclass(frozen=True)
class Allocation:
    records: list[DocNumber]  # the whole register after this batch
    serials: dict[str, int]  # the serial each letter of the batch prints
    new: int = 0
    kept: int = 0
    superseded: int = 0

    def summary(self) -> str:
        parts = [f"新编 {self.new} 个"]
        if self.kept:
            parts.append(f"沿用原文号 {self.kept} 个")
        if self.superseded:
            parts.append(f"作废原文号并重新编号 {self.superseded} 个")
        return "，".join(parts)


def series_of(settings: Settings) -> str:
    return settings.document_number(0).removesuffix("0号")


def allocate(records: Sequence[DocNumber], keys: Sequence[str], settings: Settings, fingerprint: str,
             issued_at: str, reissue: str = "keep") -> Allocation:
    """Numbers for the letters of one batch (`keys` in the order they are numbered)."""
    if reissue not in REISSUE_MODES:
        raise ValueError(f"unknown reissue mode {reissue!r}")
    series = series_of(settings)
    out = list(records)
    in_force = {r.key: i for i, r in enumerate(out) if r.series == series and not r.replaced_by}
    used = [r.serial for r in out if r.series == series]
    nxt = max([settings.first_serial - 1, *used]) + 1
    batch = max((r.batch for r in out), default=0) + 1
    serials: dict[str, int] = {}
    new = kept = superseded = 0
    for key in keys:
        old = in_force.get(key)
        if old is not None and reissue == "keep":
            serials[key] = out[old].serial
            kept += 1
            continue
        entry = DocNumber(key, nxt, settings.document_number(nxt), series, batch, issued_at, fingerprint)
        if old is not None:
            out[old] = replace(out[old], replaced_by=entry.number)
            superseded += 1
        else:
            new += 1
        out.append(entry)
        serials[key] = nxt
        nxt += 1
    return Allocation(out, serials, new, kept, superseded)
