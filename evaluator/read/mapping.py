"""User overrides for sheets whose headers the detector gets wrong (`--mapping`, the GUI's editor).

A mapping file is TOML with one `[[sheet]]` table per rule; the first rule whose patterns match a
file and sheet applies. Example::

    [[sheet]]
    file = "供电*.csv"          # glob on the file name
    sheet = "*"                 # glob on the sheet name (a CSV's sheet is its file stem)
    header_row = 3              # 1-based first header row (optional)
    header_rows = 1             # how many header rows (optional)
    encoding = "gb18030"        # CSV only (optional)
    include_hidden = true       # read this sheet although it is hidden in Excel (optional)
    [sheet.columns]
    "户名" = "name"             # header text or column letter → field id, or "ignore"
    "本年累计电量" = { field = "electricity", unit = "千瓦时" }
    [sheet.units]
    tax = "元"                  # default unit of a field in this sheet when no header gives one
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.fields import FIELD_BY_ID, IGNORE, normalise_header, unit_factor
from ..core.issues import InputError
from ..core.tomlfiles import load_toml


@dataclass(frozen=True)
class ColumnOverride:
    field: str  # a field id or "ignore"
    unit: str = ""


@dataclass
class SheetMapping:
    file: str = "*"
    sheet: str = "*"
    header_row: int | None = None
    header_rows: int | None = None
    encoding: str | None = None
    skip: bool = False
    include_hidden: bool = False
    columns: dict[str, ColumnOverride] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    def matches(self, file_name: str, sheet_name: str) -> bool:
        return file_matches(file_name, self.file) and fnmatch.fnmatch(sheet_name, self.sheet)

    def column_for(self, label: str, letter: str) -> ColumnOverride | None:
        """An override keyed by column letter wins over one keyed by header text."""
        if letter in self.columns:
            return self.columns[letter]
        key = normalise_header(label)
        for k, v in self.columns.items():
            if normalise_header(k) == key:
                return v
        return None

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"file": self.file, "sheet": self.sheet}
        if self.header_row is not None:
            d["header_row"] = self.header_row
        if self.header_rows is not None:
            d["header_rows"] = self.header_rows
        if self.encoding:
            d["encoding"] = self.encoding
        if self.skip:
            d["skip"] = True
        if self.include_hidden:
            d["include_hidden"] = True
        if self.columns:
            d["columns"] = {k: ({"field": v.field, "unit": v.unit} if v.unit else v.field)
                            for k, v in self.columns.items()}
        if self.units:
            d["units"] = dict(self.units)
        return d


@dataclass
class Mapping:
    sheets: list[SheetMapping] = field(default_factory=list)

    def find(self, file_name: str, sheet_name: str) -> SheetMapping | None:
        for m in self.sheets:
            if m.matches(file_name, sheet_name):
                return m
        return None

    def encoding_for(self, file_name: str) -> str | None:
        for m in self.sheets:
            if file_matches(file_name, m.file) and m.encoding:
                return m.encoding
        return None

    def hidden_reader(self, file_name: str) -> Callable[[str], bool]:
        """`include_hidden` for `read_file`: whether a hidden sheet of this file is to be read."""
        return lambda sheet: bool((m := self.find(file_name, sheet)) and m.include_hidden)


def file_matches(file_name: str, pattern: str) -> bool:
    """A glob on the file name; a name shown with its folder (`用地/数据.xlsx`) also matches on its last part."""
    return fnmatch.fnmatch(file_name, pattern) or ("/" in file_name and fnmatch.fnmatch(file_name.rsplit("/", 1)[1], pattern))


def _column(where: str, key: str, value: object) -> ColumnOverride:
    if isinstance(value, str):
        fid, unit = value, ""
    elif isinstance(value, dict) and isinstance(value.get("field"), str):
        fid, unit = value["field"], str(value.get("unit", ""))
    else:
        raise InputError(f"{where}：列“{key}”的设置应为字段名，或 {{ field = \"…\", unit = \"…\" }}")
    if fid != IGNORE and fid not in FIELD_BY_ID:
        known = "、".join(sorted(FIELD_BY_ID))
        raise InputError(f"{where}：列“{key}”指定的字段“{fid}”不存在（可用：{known}、ignore）")
    if unit and fid != IGNORE and unit_factor(fid, unit) is None:
        raise InputError(f"{where}：列“{key}”的单位“{unit}”不适用于字段 {fid}")
    return ColumnOverride(fid, unit)


def mapping_from_dict(data: dict[str, object], source: str = "映射") -> Mapping:
    """Validate a parsed mapping document; messages name the rule and the offending key."""
    rules = data.get("sheet", [])
    if not isinstance(rules, list):
        raise InputError(f"{source}：应包含若干 [[sheet]] 规则")
    out: list[SheetMapping] = []
    for i, rule in enumerate(rules, 1):
        where = f"{source} 第 {i} 条规则"
        if not isinstance(rule, dict):
            raise InputError(f"{where}：格式错误")
        cols = rule.get("columns", {}) or {}
        units = rule.get("units", {}) or {}
        if not isinstance(cols, dict) or not isinstance(units, dict):
            raise InputError(f"{where}：columns 和 units 应为表")
        for fid, u in units.items():
            if fid not in FIELD_BY_ID or unit_factor(fid, str(u)) is None:
                raise InputError(f"{where}：units 中“{fid} = {u}”无效")
        hr = rule.get("header_row")
        hn = rule.get("header_rows")
        for name, val in (("header_row", hr), ("header_rows", hn)):
            if val is not None and (not isinstance(val, int) or val < 1):
                raise InputError(f"{where}：{name} 应为正整数")
        out.append(
            SheetMapping(
                file=str(rule.get("file", "*")),
                sheet=str(rule.get("sheet", "*")),
                header_row=hr,
                header_rows=hn,
                encoding=rule.get("encoding") or None,
                skip=bool(rule.get("skip", False)),
                include_hidden=bool(rule.get("include_hidden", False)),
                columns={str(k): _column(where, str(k), v) for k, v in cols.items()},
                units={str(k): str(v) for k, v in units.items()},
            )
        )
    return Mapping(out)


def load_mapping(path: str | Path) -> Mapping:
    p = Path(path)
    return mapping_from_dict(load_toml(p, "映射文件"), p.name)
