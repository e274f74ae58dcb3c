"""Output settings a county sets once: who issues the letters, the document number, the appeal route,
the letter template and the font.

They live in a small TOML file so an official can read and edit it, and so the GUI and the CLI use
the same values. Shipped defaults are in `templates/settings.toml`; a county's own values are saved
to the user settings file (`user_settings_path()`), or given explicitly with `--settings`. A file
only needs the keys it changes: everything else keeps the shipped default.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..core.atomic import write_bytes_atomic
from ..core.issues import InputError
from ..core.paths import templates_dir
from ..core.tomlfiles import load_toml
from ..core.userdirs import config_dir


@dataclass(frozen=True)
class Settings:
    authority: str = "示范县经济和信息化局"
    county: str = "示范县"
    scope: str = "全县"
    doc_prefix: str = "示工信"
    doc_year: int = 0  # 0: the issue date's year
    first_serial: int = 1
    issue_date: str = ""  # ISO date; "" means the day the outputs are written
    appeal_days: int = 15
    appeal_office: str = ""
    appeal_address: str = ""
    appeal_phone: str = ""
    letter_template: str = "default"
    status_notices: bool = False
    font_path: str = ""
    font_index: int = 0
    # the review cycle: 公示 period and the data confirmation sheets' return time
    publicity_start: str = ""  # ISO date the 公示 starts; "" means the issue date
    publicity_days: int = 5  # working days
    confirm_days: int = 7  # days a firm has to return its data confirmation sheet

    def issue_day(self) -> dt.date:
        """The date printed on the letters (today unless fixed in the settings)."""
        return parse_date(self.issue_date) if self.issue_date else dt.date.today()

    def publicity_first_day(self) -> dt.date:
        return parse_date(self.publicity_start) if self.publicity_start else self.issue_day()

    def appeal_deadline(self) -> dt.date:
        return self.issue_day() + dt.timedelta(days=self.appeal_days)

    def document_number(self, serial: int) -> str:
        """`示工信〔2026〕12号`."""
        year = self.doc_year or self.issue_day().year
        return f"{self.doc_prefix}〔{year}〕{serial}号"


# (TOML section, key, Settings attribute, type, label for messages)
_KEYS: tuple[tuple[str, str, str, type, str], ...] = (
    ("authority", "name", "authority", str, "评价机关"),
    ("authority", "county", "county", str, "县（市、区）名称"),
    ("authority", "scope", "scope", str, "排名范围称呼"),
    ("authority", "doc_prefix", "doc_prefix", str, "文号前缀"),
    ("authority", "doc_year", "doc_year", int, "文号年份"),
    ("authority", "first_serial", "first_serial", int, "起始文号序号"),
    ("authority", "issue_date", "issue_date", str, "发文日期"),
    ("appeal", "days", "appeal_days", int, "申诉期限"),
    ("appeal", "office", "appeal_office", str, "申诉受理部门"),
    ("appeal", "address", "appeal_address", str, "申诉地址"),
    ("appeal", "phone", "appeal_phone", str, "联系电话"),
    ("letters", "template", "letter_template", str, "告知书模板"),
    ("letters", "status_notices", "status_notices", bool, "未参评企业情况告知书"),
    ("fonts", "path", "font_path", str, "字体文件"),
    ("fonts", "subfont_index", "font_index", int, "字体集序号"),
    ("review", "publicity_start", "publicity_start", str, "公示开始日期"),
    ("review", "publicity_days", "publicity_days", int, "公示期（工作日）"),
    ("review", "confirm_days", "confirm_days", int, "数据确认单回执期限（日）"),
)


def parse_date(text: str) -> dt.date:
    """`2026-03-01`, `2026/3/1` or `2026年3月1日`."""
    t = text.strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    try:
        y, m, d = (int(x) for x in t.split("-"))
        return dt.date(y, m, d)
    except ValueError as exc:
        raise InputError(f"发文日期“{text}”无法识别，应写成 2026-03-01 的形式") from exc


def user_settings_path() -> Path:
    """Where the GUI saves a county's settings: `settings.toml` in the per-user config folder
    (`evaluator.core.userdirs`; `MUJUN_SETTINGS` names another file, `MUJUN_CONFIG_DIR` another folder)."""
    env = os.environ.get("MUJUN_SETTINGS")
    if env:
        return Path(env)
    return config_dir() / "settings.toml"


def _overlay(base: Settings, data: dict[str, Any], source: str) -> Settings:
    known_sections = {s for s, *_ in _KEYS}
    for section, value in data.items():
        if section not in known_sections:
            raise InputError(f"设置文件 {source}：未知的设置节 [{section}]（可用：{'、'.join(sorted(known_sections))}）")
        if not isinstance(value, dict):
            raise InputError(f"设置文件 {source}：[{section}] 应为表")
        allowed = {k for s, k, *_ in _KEYS if s == section}
        unknown = [k for k in value if k not in allowed]
        if unknown:
            raise InputError(f"设置文件 {source}：[{section}] 中有未知的设置项“{'、'.join(unknown)}”"
                             f"（可用：{'、'.join(sorted(allowed))}）")
    changes: dict[str, Any] = {}
    for section, key, attr, typ, label in _KEYS:
        if key not in data.get(section, {}):
            continue
        v = data[section][key]
        ok = isinstance(v, bool) if typ is bool else (isinstance(v, typ) and not isinstance(v, bool))
        if not ok:
            want = {str: "文字（加英文引号）", int: "整数", bool: "true 或 false"}[typ]
            raise InputError(f"设置文件 {source}：[{section}] {key}（{label}）应为{want}，实际为“{v}”")
        if typ is int and v < 0:
            raise InputError(f"设置文件 {source}：[{section}] {key}（{label}）不能为负数")
        changes[attr] = v.strip() if isinstance(v, str) else v
    out = replace(base, **changes)
    for text in (out.issue_date, out.publicity_start):
        if text:
            try:
                parse_date(text)
            except InputError as exc:
                raise InputError(f"设置文件 {source}：{exc}") from exc
    return out


def default_settings() -> Settings:
    """The shipped defaults (`templates/settings.toml`), or the built-in ones if that file is missing."""
    p = templates_dir() / "settings.toml"
    return _overlay(Settings(), load_toml(p, "设置文件"), p.name) if p.exists() else Settings()


def load_settings(path: str | Path | None = None) -> Settings:
    """Shipped defaults overlaid with `path`, or with the user settings file when no path is given.

    A path that was asked for but does not exist is an error; a missing user settings file is not
    (the county simply has not saved any yet).
    """
    base = default_settings()
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise InputError(f"找不到设置文件 {p}")
        return _overlay(base, load_toml(p, "设置文件"), p.name)
    user = user_settings_path()
    if user.exists():
        return _overlay(base, load_toml(user, "设置文件"), user.name)
    return base


# What an unreadable settings file stops: everything printed with the 评价机关 or a 文号 (the letters
# and notices, the graded list, the summary report, the confirmation sheets, the publicity list)
# would otherwise go out with the shipped defaults' authority. The JSON result prints neither.
BLOCKED_OUTPUTS = "告知书、情况告知书、分类名单、汇总报告等印有评价机关或文号的文件"


@dataclass(frozen=True)
class SettingsState:
    """The settings outputs use, and why they cannot be trusted (`problem`, "" when they can)."""

    settings: Settings
    path: Path | None = None  # the file that was read, or that failed
    problem: str = ""

    @property
    def usable(self) -> bool:
        return not self.problem

    def message(self) -> str:
        """One Chinese paragraph for the page banner and the command line."""
        if not self.problem:
            return ""
        return (f"输出设置文件无法使用：{self.path}\n{self.problem}\n在改正之前，不能生成{BLOCKED_OUTPUTS}"
                f"（否则会印上软件自带的默认评价机关）；结果数据文件仍可导出。请在“工具 → 设置”中重新填写并保存，"
                "或改正该文件。")


def read_settings_state(path: str | Path | None = None) -> SettingsState:
    """`load_settings(path)` that never raises: an unreadable file gives the shipped defaults *and*
    the problem, so the caller can refuse what would print them (never a silent fallback)."""
    p = Path(path) if path is not None else user_settings_path()
    try:
        return SettingsState(load_settings(path), p)
    except InputError as exc:
        return SettingsState(default_settings(), p, str(exc))


def settings_to_dict(settings: Settings) -> dict[str, dict[str, Any]]:
    doc: dict[str, dict[str, Any]] = {}
    for section, key, attr, _typ, _label in _KEYS:
        doc.setdefault(section, {})[key] = getattr(settings, attr)
    return doc


def save_settings(settings: Settings, path: str | Path | None = None) -> Path:
    """Write all settings (to the user settings file unless a path is given); returns the path."""
    import tomli_w

    p = Path(path) if path is not None else user_settings_path()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"无法创建设置文件夹 {p.parent}（{exc.strerror or exc}）") from exc
    header = "# 亩均效益综合评价系统：输出设置（由软件保存，可手工修改；说明见 templates/settings.toml）\n"
    try:
        write_bytes_atomic(p, (header + tomli_w.dumps(settings_to_dict(settings))).encode("utf-8"))
    except OSError as exc:
        raise InputError(f"无法保存设置文件 {p}（{exc.strerror or exc}）") from exc
    return p


SETTING_LABELS: dict[str, str] = {attr: label for _s, _k, attr, _t, label in _KEYS}
assert set(SETTING_LABELS) == {f.name for f in fields(Settings)}
