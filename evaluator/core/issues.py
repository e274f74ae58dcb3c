"""Data-check list entries (数据核查): every problem found, where it is, in words an official reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Level = Literal["error", "warning", "info"]
LEVEL_LABELS: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}


@dataclass(frozen=True)
class Issue:
    """One finding. `row` is the 1-based row as the user sees it in Excel (or the CSV line)."""

    level: Level
    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    key: str = ""  # the enterprise it concerns (normalised credit code or `名称:…`), if any

    def to_json(self) -> dict[str, object]:
        """The METHOD §5.1 form (the enterprise key is carried separately)."""
        d = asdict(self)
        d.pop("key")
        return d

    def where(self) -> str:
        """`文件 / 工作表 / 第 7 行 / 列“实缴税金”` for one-line messages."""
        parts = [p for p in (self.file, self.sheet) if p]
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"列“{self.column}”")
        return " / ".join(parts)


class InputError(Exception):
    """A file or scheme that cannot be used at all; the message is for the user, in Chinese."""


class Cancelled(Exception):
    """Raised at a cancellation point when the user pressed 取消."""
