"""Input files read ahead while the command line is still loading.

`mujun evaluate` spends its first tenths of a second importing pandas and numpy, and reading a
workbook is mostly calamine parsing its sheets, which it does without holding the interpreter
lock. So the files the command line names are checked at once and parsed on a reader thread
while the imports go on. The check's sheet-XML guard must be done before calamine reads any
sheet; calamine opens the workbook (shared strings, styles, the list of sheets) meanwhile.

What is read ahead is served only to a read that asks for exactly that (the default encoding, no
hidden sheets), once per file; any other read is done as usual. Nothing here decides what a file
holds: a file read ahead gives the same sheets, notices and errors as one read later.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .files import (
    CheckedFile,
    IncludeHidden,
    PendingScans,
    RawFile,
    check_head,
    load_checked,
    read_file,
    scan_sheets,
)


class ReadAhead:
    """Files being read on a reader thread, taken back with `read_file`."""

    def __init__(self, paths: Sequence[str]) -> None:
        self._done: dict[str, RawFile | BaseException] = {}
        self._lock = threading.Lock()
        checked: queue.SimpleQueue[tuple[str, CheckedFile] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._load, args=(checked,), name="mujun-read-ahead", daemon=True)
        self._thread.start()
        # Checked here, one file after another. A workbook goes to the reader as soon as its parts'
        # sizes pass, so that calamine opens it while its sheets are scanned here; the reader
        # waits for the scan before it reads any sheet.
        for path in dict.fromkeys(paths):
            try:
                data = Path(path).read_bytes()
            except OSError:
                continue  # not read ahead: the read asked for later names the problem
            try:
                head = check_head(data, path)
            except Exception as exc:  # noqa: BLE001 — raised again when the file is asked for
                with self._lock:
                    self._done[path] = exc
                continue
            if head.kind != "xlsx":
                checked.put((path, head))
                continue
            pending = PendingScans()
            checked.put((path, replace(head, scans=pending)))
            try:
                pending.set(scan_sheets(head))
            except Exception as exc:  # noqa: BLE001 — the reader raises it for this file
                pending.fail(exc)
            except BaseException as exc:  # Ctrl-C: the reader stops waiting, the command stops
                pending.fail(exc)
                raise
        checked.put(None)

    def _load(self, checked: queue.SimpleQueue[tuple[str, CheckedFile] | None]) -> None:
        # kept under the path as the command line gave it (`Path` would turn `./a.xlsx` into `a.xlsx`)
        while (item := checked.get()) is not None:
            path, f = item
            try:
                got: RawFile | BaseException = load_checked(f)
            except BaseException as exc:  # noqa: BLE001 — raised again when the file is asked for
                got = exc
            with self._lock:
                self._done[path] = got

    def read_file(self, path: str | Path, encoding: str | None = None,
                  include_hidden: IncludeHidden | None = None) -> RawFile:
        """`files.read_file`, served from what was read ahead when it was read the same way."""
        key = str(path)
        if encoding is not None or include_hidden is not None:
            return read_file(path, encoding, include_hidden)
        if key not in self._done:
            self._thread.join()
        with self._lock:
            got = self._done.pop(key, None)
        if got is None:
            return read_file(path, encoding, include_hidden)
        if isinstance(got, BaseException):
            raise got
        return got


def files_named(argv: Sequence[str]) -> list[str]:
    """The files of `evaluate FILE… [options]`, when nothing on the line changes how they are read
    (a mapping or a project reads them its own way). What is read ahead but not asked for is
    only wasted work, never a wrong result."""
    if not argv or argv[0] != "evaluate" or any(_abbreviates(a, ("--mapping", "--project")) for a in argv):
        return []
    return [a for a in itertools.takewhile(lambda a: not a.startswith("-"), argv[1:]) if Path(a).is_file()]


def _abbreviates(arg: str, options: tuple[str, ...]) -> bool:
    """`arg` is one of `options` or an abbreviation of one, as argparse accepts (`--map`)."""
    name = arg.split("=", 1)[0]
    return len(name) > 2 and name.startswith("--") and any(o.startswith(name) for o in options)
