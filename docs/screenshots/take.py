"""Regenerate the README screenshots: the demo county on every page of the desktop app.

    QT_QPA_PLATFORM=offscreen python docs/screenshots/take.py [output folder]

Uses a throwaway config folder, opens the demo county, selects a firm, and saves each page with
`QWidget.grab()` (no screen needed).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
cfg = tempfile.mkdtemp(prefix="mujun-shots-")
os.environ["MUJUN_CONFIG_DIR"] = cfg
os.environ.pop("MUJUN_SETTINGS", None)  # settings.toml then lives in MUJUN_CONFIG_DIR
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEventLoop, Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from ui.app import create_app  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
WIDTH, HEIGHT = 1440, 900


def main() -> None:
    app = create_app([])
    w = MainWindow()
    w.ask_unsaved = lambda: "discard"
    w.resize(WIDTH, HEIGHT)
    w.show()

    def pump(seconds: float = 0.3) -> None:
        end = time.time() + seconds
        while time.time() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    w.session.open_demo()
    end = time.time() + 120
    while (w.session.result is None or w.session.busy) and time.time() < end:
        pump(0.1)
    s = w.session
    t = s.result.table
    key = str(t.index[(t["population"] == "above") & (t["tier"] == "C")][0])
    s.set_override(str(t.index[(t["population"] == "above") & (t["tier"] == "B")][1]), "A", "列入县重点培育企业")
    zero = next(i for i in s.result.issues if "年平均职工人数为 0" in i.message)
    s.add_correction(zero.key, "employees", 120.0, "经电话向企业核实，职工人数为 120 人")
    while s.busy:
        pump(0.1)

    def shot(name: str) -> None:
        pump(0.4)
        img = w.grab().toImage().scaledToWidth(1200, Qt.TransformationMode.SmoothTransformation)
        # 256 colours keep UI text crisp at a third of the size of a full-colour PNG
        img = img.convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither
                                  | Qt.ImageConversionFlag.AvoidDither)
        img.save(str(OUT / f"{name}.png"), "PNG", 9)
        print("saved", OUT / f"{name}.png")

    w.go(0)
    w.import_page.select("统计局_工业企业主要指标.xlsx", "规上企业")
    shot("1_import")
    w.go(1)
    shot("2_check")
    w.go(2)
    shot("3_scheme")
    w.go(3)
    w.results_page.show_enterprise(key)
    shot("4_results")
    w.results_page.tabs.setCurrentIndex(1)
    shot("5_summary")
    w.results_page.tabs.setCurrentIndex(0)
    w.go(4)
    shot("6_export")
    w.go(5)
    shot("7_audit")
    w.close()


if __name__ == "__main__":
    main()
