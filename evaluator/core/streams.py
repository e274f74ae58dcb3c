"""Writing a document as it is made: the writes on a second thread, overlapping the making.

A file write lets go of the interpreter lock, so while the writer thread waits on the disk the
caller's thread goes on encoding the next piece. The queue between them is short, so no more than
a few pieces are ever held in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from typing import IO

QUEUE_PIECES = 4  # pieces made but not yet written, at most


def write_pieces(out: IO[bytes], pieces: Iterable[bytes]) -> None:
    """Write every piece to `out`, in order, on a writer thread.

    A write that fails stops the making and is raised here; an error while making the pieces
    (cancellation included) stops the writer and is raised as it was. Either way the writer thread
    has ended when this returns.
    """
    todo: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_PIECES)
    failed: list[BaseException] = []

    def writer() -> None:
        while (piece := todo.get()) is not None:
            if not failed:
                try:
                    out.write(piece)
                except BaseException as exc:  # noqa: BLE001 — handed to the caller's thread
                    failed.append(exc)

    thread = threading.Thread(target=writer, name="mujun-writer", daemon=True)
    thread.start()
    try:
        for piece in pieces:
            if failed:
                break
            todo.put(piece)
    finally:
        todo.put(None)
        thread.join()
    if failed:
        raise failed[0]
