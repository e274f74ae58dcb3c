"""Entry script of the bundled desktop app (`Mujun.exe`), independent of `ui/__main__.py`.

`--self-test` starts Qt, builds the main window off screen and exits: the build script runs it to
prove the bundle holds every Qt library and plugin the app needs (a windowed app has no console,
so the outcome is the exit status: 0 good, 1 the window could not be built, 2 a module is
missing from the bundle).
"""

import multiprocessing
import os
import sys


def self_test() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from ui.app import create_app
        from ui.main_window import MainWindow
    except ImportError as exc:
        _say(f"GUI self-test: the desktop app cannot be imported from this bundle ({exc})")
        return 2
    try:
        app = create_app([sys.argv[0]])
        window = MainWindow()
        window.show()
        app.processEvents()
        window.close()
    except Exception as exc:  # report, never a traceback dialog
        _say(f"GUI self-test failed: {type(exc).__name__}: {exc}")
        return 1
    from PySide6 import __version__ as qt_version

    _say(f"GUI self-test OK (PySide6 {qt_version}, platform {app.platformName()})")
    return 0


def _say(text: str) -> None:
    if sys.stdout is not None:  # windowed Windows builds have no console
        print(text, flush=True)


def main() -> int:
    multiprocessing.freeze_support()
    if "--self-test" in sys.argv[1:]:
        return self_test()
    from ui.app import main as app_main

    return app_main()


if __name__ == "__main__":
    sys.exit(main())
