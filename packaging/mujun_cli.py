"""Entry script of the bundled command line (`mujun-cli.exe`): the same `mujun` as `pip install`.

PyInstaller runs this file as `__main__`. `freeze_support` comes first because letters are
rendered in worker processes, which in a frozen app re-launch this very executable.
"""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from evaluator.app.start import entry

    entry()
