"""`mujun-gui` / `python -m ui`: start the desktop app.

Arguments (all optional): a `.mujun` project to open, or data files to import. At start the app
offers to recover an autosave left by a session that did not close normally and, on the very
first start, to open the demo county.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from .main_window import APP_TITLE, MainWindow
from .style import apply_style


def tune_runtime() -> None:
    """Keep the GUI thread's share of the GIL high while workers compute.

    Workers run pure-Python loops (formatting 100k numbers, pandas string ops). With CPython's
    default 5 ms switch interval, every Qt → Python call the GUI thread makes while a worker is
    busy (a table cell's data(), a timer slot) can wait 5 ms for the GIL; 1 ms keeps scrolling
    and progress updates smooth at a small cost in worker throughput.
    """
    sys.setswitchinterval(0.001)


def create_app(argv: Sequence[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(list(argv or sys.argv))
    app.setApplicationName(APP_TITLE)
    app.setOrganizationName("Mujun")
    apply_style(app)  # type: ignore[arg-type]
    return app  # type: ignore[return-value]


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()  # letters render in worker processes, also from a frozen bundle
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = list(sys.argv[1:] if argv is None else argv)
    tune_runtime()
    app = create_app([sys.argv[0], *args])
    window = MainWindow()
    window.show()

    def after_show() -> None:
        projects = [a for a in args if a.lower().endswith(".mujun")]
        data = [a for a in args if not a.lower().endswith(".mujun") and Path(a).is_file()]
        if projects:
            window.open_project(projects[0])
        elif data:
            window.session.add_files(data)
        elif not window.offer_recovery():
            window.offer_demo()

    QTimer.singleShot(0, after_show)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
