"""The content of one letter as plain strings: what the builder produces and the renderer lays out.

Kept free of pandas so that worker processes that only render PDFs start quickly.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IndicatorLine:
    label: str
    unit: str
    value: str
    benchmark: str
    weight: str
    score: str
    note: str
    ratio: float | None  # value / benchmark, for the chart
    cap: float | None = None  # the ratio at which the score stops growing
    ratio_text: str = ""  # value / benchmark as printed in the table (enough digits to reproduce the score)


@dataclass(frozen=True)
class LetterData:
    """One letter (kind `letter`) or status notice (kind `notice`), ready to lay out."""

    key: str
    serial: int
    filename: str
    kind: str
    doc_number: str
    title: str
    addressee: str
    body: tuple[str, ...]
    identity: tuple[tuple[str, str], ...]
    layout: str = "official"  # `official` (GB/T 9704) or `compact`
    stage: str = ""  # e.g. "初评结果", printed under the title; "" for the final result
    result: tuple[str, ...] = ()  # the result in sentences: score, rank, tier, any adjustment, prior year
    tier_label: str = ""
    tier_index: int = 0  # 0 for the best tier; picks the tier colour
    indicators: tuple[IndicatorLine, ...] = ()
    bonus: tuple[tuple[str, str], ...] = ()  # (item, "+3.00")
    bonus_note: str = ""
    bonus_total: str = ""
    penalty_total: str = ""
    penalty: tuple[tuple[str, str], ...] = ()
    total: str = ""
    score_notes: tuple[str, ...] = ()  # what was done where the rule alone does not explain a figure
    method: tuple[str, ...] = ()  # the scoring rules of the scheme in force, in sentences
    ranks: tuple[str, ...] = ()
    tier_lines: tuple[tuple[str, str], ...] = ()
    policies: str = ""
    headings: dict[str, str] = field(default_factory=dict)
    policies_intro: str = ""
    appeal: tuple[str, ...] = ()
    closing: str = ""
    authority: str = ""
    date: str = ""
    footer: str = ""
    prelude: str = ""  # characters most letters of the batch use, given font codes first (see PdfFonts.prime)

    def text(self) -> str:
        """Everything printed, for glyph checks."""
        parts = [self.doc_number, self.title, self.stage, self.addressee, *self.body, *self.result,
                 *(a + b for a, b in self.identity),
                 *(i.label + i.unit + i.value + i.benchmark + i.ratio_text + i.note for i in self.indicators),
                 *(a + b for a, b in self.bonus + self.penalty), self.bonus_note, *self.ranks, *self.score_notes,
                 *self.method, *(a + b for a, b in self.tier_lines), self.policies, *self.headings.values(),
                 self.policies_intro, *self.appeal, self.closing, self.authority, self.date, self.footer,
                 "—0123456789"]
        return "".join(parts)
