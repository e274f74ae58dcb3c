"""Where per-user state lives: the recent-files list and autosaves of projects not yet saved.

Office PCs are shared and roaming profiles are common, so the folder follows each platform's
convention (`%APPDATA%\\Mujun` on Windows, `$XDG_CONFIG_HOME/mujun` or `~/.config/mujun`
elsewhere). `MUJUN_CONFIG_DIR` overrides it, so tests and portable installs never touch the real
profile.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_WINDOWS = "Mujun"
APP_DIR_POSIX = "mujun"


def config_dir() -> Path:
    """The per-user configuration folder (not created here: reading must not write)."""
    env = os.environ.get("MUJUN_CONFIG_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / APP_DIR_WINDOWS
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP_DIR_POSIX


def autosave_dir() -> Path:
    """Autosaves of projects that have no file yet, or whose folder cannot be written."""
    return config_dir() / "autosave"


def ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
