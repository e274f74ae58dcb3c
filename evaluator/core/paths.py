"""Where the shipped templates and sample data live: the repo, an installed copy, or a bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def app_root() -> Path:
    """The folder holding `templates/` and `sample_data/`.

    `MUJUN_HOME` wins (tests, unusual installs); in a PyInstaller bundle it is the bundle folder;
    otherwise the repository root next to this package.
    """
    env = os.environ.get("MUJUN_HOME")
    if env:
        return Path(env)
    if getattr(sys, "frozen", False):
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
    return Path(__file__).resolve().parents[2]


def templates_dir() -> Path:
    return app_root() / "templates"


def sample_data_dir() -> Path:
    return app_root() / "sample_data"
