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

from evaluator.app.runtime import freeze_startup_objects

from .main_window import APP_TITLE, MainWindow
from .style import apply_style
from .translations import install_qt_translations
from .user_config import saved_font_size

SWITCH_INTERVAL = 0.00002  # seconds


def tune_runtime() -> None:
    """Keep the GUI thread's share of the GIL high while workers compute.

    Every crossing between Qt and Python on the GUI thread (a cell's data(), a slot, building a
    widget) takes the GIL back from a busy worker, which gives it up only at the switch interval
    (CPython default 5 ms). Building one page makes hundreds of crossings, so at the default a
    page could stall for a second while a 100k-firm evaluation runs. A repaint of the results
    table behind a dialog makes ~3,500 (cells' data(), row and column counts): at 0.2 ms each it
    froze the window ~0.2 s while the graded list was being written; 20 µs makes it ~0.1 s. It
    costs a worker nothing while the GUI is idle, because only a waiting thread forces a switch
    (benchmarks/bench_gui_table.py --heartbeat measures the effect; the export took as long).
    """
    sys.setswitchinterval(SWITCH_INTERVAL)


def create_app(argv: Sequence[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(list(argv or sys.argv))
    app.setApplicationName(APP_TITLE)
    app.setOrganizationName("Mujun")
    install_qt_translations(app)  # Qt's own buttons, menus and dialogs in Chinese
    apply_style(app, saved_font_size())  # type: ignore[arg-type]  # with the 字号 chosen last time
    return app  # type: ignore[return-value]


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()  # letters render in worker processes, also from a frozen bundle
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = list(sys.argv[1:] if argv is None else argv)
    tune_runtime()
    app = create_app([sys.argv[0], *args])
    window = MainWindow()
    freeze_startup_objects()
    window.show()

    def after_show() -> None:
        window.ask_operator()  # once, when no 操作人 name is known yet
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
