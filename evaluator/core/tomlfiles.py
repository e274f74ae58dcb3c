"""Reading the TOML files officials edit (schemes, letter templates, settings, column mappings).

One place for the Chinese messages a broken file gets: unreadable, not UTF-8, not TOML, each
naming the kind of file and the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .issues import InputError


def read_text(path: Path, what: str) -> str:
    """The file's text (UTF-8, a BOM from Notepad allowed); `what` names the kind: 方案文件, 设置文件…"""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{what} {path}：无法读取（{exc.strerror or exc}）") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path.name}：应为 UTF-8 编码的文本文件") from exc


def parse_toml(text: str, what: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{what} {source}：TOML 格式错误（{exc}）") from exc


def load_toml(path: Path, what: str) -> dict[str, Any]:
    return parse_toml(read_text(path, what), what, path.name)
