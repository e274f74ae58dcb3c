"""Replacing a file so that a crash, a power cut or a full disk never leaves it half written.

The new content goes to a temporary file in the same folder (so the final rename stays on one
volume), is flushed to disk, and only then takes the old file's place with `os.replace`, which is
atomic on NTFS and on POSIX file systems. Until that instant the previous file is untouched.
"""

from __future__ import annotations

import glob
import os
import sys
import time
import uuid
from pathlib import Path

STALE_TEMP_SECONDS = 300  # a temp file this old belongs to a save that died, not one under way


def temp_path_for(target: Path) -> Path:
    """A fresh temp name next to `target`, recognisable as belonging to it."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")


def stale_temps(target: Path, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Temp files left by saves of `target` that were killed before they finished."""
    now = time.time()
    out = []
    try:
        candidates = list(target.parent.glob(f".{glob.escape(target.name)}.*.tmp"))  # names may hold [ ] * ?
    except OSError:
        return []
    for p in candidates:
        try:
            if now - p.stat().st_mtime >= older_than:
                out.append(p)
        except OSError:
            continue
    return out


def fsync_file(path: Path) -> None:
    # Windows needs a handle opened for writing to flush (FlushFileBuffers).
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); NTFS journals it and has no directory handles to sync."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace_durably(tmp: Path, target: Path, attempts: int = 5) -> None:
    """fsync `tmp`, then atomically put it in place of `target`.

    On Windows a virus scanner or the search indexer may hold the old file for a moment and the
    rename fails with a sharing violation; a few short retries ride that out.
    """
    fsync_file(tmp)
    for i in range(attempts):
        try:
            os.replace(tmp, target)
            break
        except PermissionError:
            if i == attempts - 1:
                raise
            time.sleep(0.1 * (i + 1))
    fsync_dir(target.parent)
    for old in stale_temps(target):
        try:
            old.unlink()
        except OSError:
            pass


def write_bytes_atomic(target: str | Path, data: bytes) -> None:
    target = Path(target)
    tmp = temp_path_for(target)
    try:
        tmp.write_bytes(data)
        replace_durably(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
