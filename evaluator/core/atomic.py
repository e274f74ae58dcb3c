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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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


@contextmanager
def atomic_target(target: str | Path, durable: bool = True) -> Iterator[Path]:
    """A temporary path next to `target` to write to; it takes `target`'s place only if the block ends normally.

    A full disk, a crash or a cancel leaves the previous file (or no file) and never a truncated
    one. `durable=False` skips the fsyncs (the rename is still atomic) for many small files such
    as one letter per firm, where the fsyncs would cost more than the writing.
    """
    target = Path(target)
    tmp = temp_path_for(target)
    try:
        yield tmp
        if durable:
            replace_durably(tmp, target)
        else:
            os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def output_overwrites_input(output: str | Path, inputs: Iterable[str | Path]) -> Path | None:
    """The input file that writing `output` would replace (the same file, by any spelling or link), or None."""
    out = Path(output)
    for i in inputs:
        if _same_file(out, Path(i)):
            return Path(i)
    return None
