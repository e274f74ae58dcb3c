"""Where a county's output settings are kept: the per-user config folder, like every other user file.

`MUJUN_CONFIG_DIR` moves the folder (tests, portable installs), so the settings move with it;
`MUJUN_SETTINGS` still names one file explicitly; without either, the file stays where earlier
releases kept it (`$XDG_CONFIG_HOME/mujun`, `%APPDATA%\\Mujun`), so nobody's settings are lost.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from evaluator.outputs.settings import (
    default_settings,
    load_settings,
    save_settings,
    user_settings_path,
)

ELSEWHERE = '[authority]\nname = "别处的评价机关"\n'


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config folder of our own, and settings files where the platform default would look."""
    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.delenv("MUJUN_SETTINGS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "appdata"))
    for old in (tmp_path / "xdg" / "mujun" / "settings.toml", tmp_path / "appdata" / "Mujun" / "settings.toml"):
        old.parent.mkdir(parents=True)
        old.write_text(ELSEWHERE, encoding="utf-8")
    return tmp_path


def test_settings_live_in_the_config_dir(dirs: Path) -> None:
    assert user_settings_path() == dirs / "cfg" / "settings.toml"
    assert load_settings() == default_settings()  # the files in the real profile's place are not read
    saved = save_settings(replace(default_settings(), authority="某县经济和信息化局"))
    assert saved == dirs / "cfg" / "settings.toml"
    assert load_settings().authority == "某县经济和信息化局"
    for old in (dirs / "xdg" / "mujun" / "settings.toml", dirs / "appdata" / "Mujun" / "settings.toml"):
        assert old.read_text(encoding="utf-8") == ELSEWHERE  # untouched


def test_mujun_settings_still_names_one_file(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = dirs / "共享" / "县设置.toml"
    monkeypatch.setenv("MUJUN_SETTINGS", str(explicit))
    assert user_settings_path() == explicit
    save_settings(replace(default_settings(), authority="共享设置"))
    assert explicit.exists() and not (dirs / "cfg" / "settings.toml").exists()
    assert load_settings().authority == "共享设置"


def test_without_overrides_the_file_stays_where_earlier_releases_kept_it(dirs: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MUJUN_CONFIG_DIR")
    monkeypatch.setattr(sys, "platform", "linux")
    assert user_settings_path() == dirs / "xdg" / "mujun" / "settings.toml"
    assert load_settings().authority == "别处的评价机关"
    monkeypatch.setattr(sys, "platform", "win32")  # %APPDATA%\Mujun; Windows paths ignore case (was …\mujun)
    assert user_settings_path() == dirs / "appdata" / "Mujun" / "settings.toml"
    assert load_settings().authority == "别处的评价机关"


def test_settings_dialog_saves_into_the_config_dir(dirs: Path, qtbot) -> None:
    from ui.widgets.settings_dialog import SettingsDialog

    d = SettingsDialog()
    qtbot.addWidget(d)
    assert d.settings().authority == default_settings().authority
    d.authority.setText("对话框里填的机关")
    assert d.save() == dirs / "cfg" / "settings.toml"
    assert load_settings().authority == "对话框里填的机关"
