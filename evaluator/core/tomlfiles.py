"""Reading the TOML files officials edit (schemes, letter templates, settings, column mappings).

One place for the Chinese messages a broken file gets: unreadable, not UTF-8, not TOML, each
naming the kind of file and the file.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from .issues import InputError

MAX_TOML_BYTES = 16 << 20  # schemes, templates, settings and mappings are a few KB


def read_text(path: Path, what: str) -> str:
    """The file's text (UTF-8, a BOM from Notepad allowed); `what` names the kind: 方案文件, 设置文件…"""
    try:
        if path.stat().st_size > MAX_TOML_BYTES:
            raise InputError(f"{what} {path.name}：文件过大（超过 16 MB），不是正常的设置文件")
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{what} {path}：无法读取（{exc.strerror or exc}）") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path.name}：应为 UTF-8 编码的文本文件") from exc


_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def toml_error_text(exc: tomllib.TOMLDecodeError) -> str:
    """Where the parser stopped, in Chinese, with the usual causes; the parser's own English
    sentence means nothing to an official."""
    m = _AT.search(str(exc))
    where = f"第 {m.group(1)} 行第 {m.group(2)} 列附近有误" if m else "格式有误"
    return f"{where}（请检查：引号是否成对，每项是否写成“名称 = 值”，标点是否为英文半角）"


def parse_toml(text: str, what: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{what} {source}：TOML 格式错误，{toml_error_text(exc)}") from exc
    except RecursionError as exc:  # a crafted file nesting thousands of levels deep
        raise InputError(f"{what} {source}：TOML 格式错误（嵌套层数过多）") from exc


def load_toml(path: Path, what: str) -> dict[str, Any]:
    return parse_toml(read_text(path, what), what, path.name)
