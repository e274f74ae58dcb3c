"""The one-folder bundle (`build_app.spec`): which Qt files it drops, and that it builds and runs.

Building takes minutes, so the build test only runs with `MUJUN_BUILD_BUNDLE=1`; the filter test is
instant and always runs, because a filter that cuts too deep breaks only the shipped app.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "packaging"))
import qt_filter  # noqa: E402


@pytest.mark.parametrize("dest, dropped", [
    ("PySide6/Qt/lib/libQt6Quick.so.6", True),
    ("PySide6/Qt6Quick.dll", True),
    ("PySide6/QtQuick.pyd", True),
    ("PySide6/Qt6WebEngineCore.dll", True),
    ("PySide6/Qt6Network.dll", True),
    ("PySide6\\plugins\\imageformats\\qsvg.dll", True),
    ("PySide6/plugins/imageformats/qpdf.dll", True),
    ("PySide6/plugins/tls/qschannelbackend.dll", True),
    ("PySide6/opengl32sw.dll", True),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", True),
    ("PySide6/Qt/plugins/platforms/libqwayland-egl.so", True),
    ("PySide6/translations/qtbase_de.qm", True),
    ("PySide6/Qt6Core.dll", False),
    ("PySide6/Qt6Gui.dll", False),
    ("PySide6/Qt6Widgets.dll", False),
    ("PySide6/QtWidgets.pyd", False),
    ("PySide6/Qt/lib/libQt6DBus.so.6", False),  # libQt6Gui links it on Linux
    ("PySide6/Qt/lib/libQt6XcbQpa.so.6", False),
    ("PySide6\\plugins\\platforms\\qwindows.dll", False),
    ("PySide6/plugins/platforms/qoffscreen.dll", False),
    ("PySide6/plugins/styles/qmodernwindowsstyle.dll", False),
    ("PySide6/plugins/imageformats/qjpeg.dll", False),
    ("PySide6/translations/qtbase_zh_CN.qm", False),
    ("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so", False),
])
def test_qt_filter_drops_unused_modules_and_keeps_what_widgets_need(dest, dropped):
    assert qt_filter.is_unused(dest) is dropped


def test_modules_the_app_imports_are_never_excluded():
    used = {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "evaluator", "ui", "pandas", "numpy",
            "reportlab", "xlsxwriter", "python_calamine", "sqlite3", "PIL"}
    assert not used & set(qt_filter.PY_EXCLUDES)


@pytest.mark.skipif(os.environ.get("MUJUN_BUILD_BUNDLE") != "1", reason="builds the bundle (minutes); set MUJUN_BUILD_BUNDLE=1")
@pytest.mark.skipif(shutil.which("bash") is None or sys.platform == "win32", reason="the build check script is for Linux")
def test_bundle_builds_and_its_programs_run():
    proc = subprocess.run(["bash", str(ROOT / "packaging" / "build_bundle.sh")], cwd=ROOT, capture_output=True,
                          text=True, timeout=3600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "bundled CLI: same JSON as the source tree" in out
    assert "bundled CLI: report JSON equals evaluation JSON" in out
    assert "GUI self-test OK" in out or "GUI not bundled" in out
    assert "every dependency resolves" in out
