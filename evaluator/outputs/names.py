"""Safe file names for per-enterprise outputs.

A firm's name comes from a department's spreadsheet and ends up as a file name on a Windows
share. `../../x`, `A/B`, `CON`, control characters or a 300-character name must never write
outside the chosen folder, fail on Windows, or overwrite an unrelated file.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..core.issues import InputError

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CLOCK$", "CONIN$", "CONOUT$",
                     *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10)),
                     *(f"COM{c}" for c in "¹²³"), *(f"LPT{c}" for c in "¹²³")}
_BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
MAX_STEM = 60  # characters of the name part; 3 bytes each in UTF-8 stays far below 255 bytes


def safe_filename_part(text: str, fallback: str = "企业", max_len: int = MAX_STEM) -> str:
    """A piece of a file name: no separators, no `..`, no control or reserved characters."""
    t = unicodedata.normalize("NFC", str(text or ""))
    t = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in t)
    t = _BAD_CHARS.sub("_", t)
    t = re.sub(r"\.{2,}", "_", t)
    t = re.sub(r"\s+", " ", t).strip(" ._")
    t = t[:max_len].rstrip(" .")
    if not t:
        t = fallback
    if t.split(".")[0].strip().upper() in _WINDOWS_RESERVED:
        t = "_" + t
    return t


def letter_filename(serial: int, name: str, width: int = 3, fallback: str = "企业", suffix: str = ".pdf") -> str:
    """`012_浙江某某有限公司.pdf`."""
    return f"{serial:0{width}d}_{safe_filename_part(name, fallback)}{suffix}"


def path_inside(folder: str | Path, filename: str, resolved: bool = False) -> Path:
    """The file's path in `folder`, refusing anything that would resolve outside it (a name with
    separators or `..`, or an existing link). `resolved=True`: `folder` is already resolved."""
    base = Path(folder) if resolved else Path(folder).resolve()
    p = (base / filename).resolve()
    if p.parent != base:
        raise InputError(f"文件名“{filename}”不安全（会写到输出文件夹之外），已拒绝")
    return p
