"""撤销 / 重做 (Ctrl+Z / Ctrl+Y) of the audited edits: corrections, tier overrides, resolutions.

The audit log is append-only, so an undo never deletes the line of the edit it undoes: it is a
new audited edit that puts things back (removing a correction with the reason “撤销”, or
restoring the earlier correction or override with its own reason, which is what the letter
prints), and a redo makes the edit again with its original reason.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

UNDO_REASON = "撤销"


class AuditedEdit(QUndoCommand):
    """One edit already applied when pushed; `undo`/`redo` run the audited inverse or the edit again.

    `changed` tells the session (mark unsaved, autosave, re-evaluate) after either.
    """

    def __init__(self, text: str, redo: Callable[[], object], undo: Callable[[], object],
                 changed: Callable[[], None]) -> None:
        super().__init__(text)
        self._redo, self._undo, self._changed = redo, undo, changed
        self._applied = True  # QUndoStack.push calls redo() at once: the edit is already made

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self._redo()
        self._changed()

    def undo(self) -> None:
        self._undo()
        self._changed()
