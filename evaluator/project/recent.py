"""The recent-projects list (最近打开): a small JSON file in the per-user config folder.

An official reopens the same evaluation many times over several weeks; the list saves hunting
through folders. It is a convenience, so a missing or damaged list is an empty one, never an error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..core.atomic import write_bytes_atomic
from ..core.userdirs import config_dir, ensure_dir

MAX_RECENT = 10
FILE_NAME = "recent.json"


def recent_path() -> Path:
    return config_dir() / FILE_NAME


def _same(a: Path, b: Path) -> bool:
    return os.path.normcase(str(a)) == os.path.normcase(str(b))  # Windows paths ignore case


def load_recent(existing_only: bool = False) -> list[Path]:
    """Most recent first. With `existing_only`, files since moved or deleted are left out."""
    try:
        data = json.loads(recent_path().read_text(encoding="utf-8"))
        paths = [Path(e["path"]) for e in data.get("files", []) if isinstance(e, dict) and isinstance(e.get("path"), str)]
    except (OSError, ValueError, AttributeError, TypeError):
        return []
    return [p for p in paths if p.is_file()] if existing_only else paths


def _store(paths: list[Path]) -> None:
    doc = {"version": 1, "files": [{"path": str(p)} for p in paths[:MAX_RECENT]]}
    ensure_dir(config_dir())
    write_bytes_atomic(recent_path(), json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))


def add_recent(path: str | Path) -> list[Path]:
    """Put `path` at the top of the list (called after opening or saving a project)."""
    p = Path(path).resolve()
    paths = [p] + [q for q in load_recent() if not _same(q, p)]
    try:
        _store(paths)
    except OSError:
        pass  # a read-only profile must not stop the user from working
    return paths[:MAX_RECENT]


def remove_recent(path: str | Path) -> list[Path]:
    p = Path(path).resolve()
    paths = [q for q in load_recent() if not _same(q, p)]
    try:
        _store(paths)
    except OSError:
        pass
    return paths

