"""Per-user memory of the desktop app: where it lives, first start, and remembered column mappings.

Departments send the same layout every year. When an official corrects how a sheet is read (header
rows, which column is which field, units), the correction is remembered under the sheet's header
signature (`SheetTable.signature()`), and a later file whose sheet has the same headers gets it
applied automatically. Stored as JSON in the user config folder (`MUJUN_CONFIG_DIR` wins, so tests
never touch the real home). Plain Python, no Qt: the import worker calls it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from evaluator.clean.sheets import SheetTable, detect_header, map_columns
from evaluator.core.issues import InputError
from evaluator.core.userdirs import (
    config_dir,  # the folder shared with the core (`MUJUN_CONFIG_DIR` wins)
)
from evaluator.read.files import RawFile, RawSheet
from evaluator.read.mapping import Mapping, SheetMapping, mapping_from_dict

log = logging.getLogger(__name__)

MAPPINGS_FILE = "mappings.json"
STATE_FILE = "gui_state.json"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:  # a damaged file must not stop the app
        log.warning("cannot read %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


# --- small GUI state (first start, last folders) ------------------------------------------------

def load_state() -> dict[str, Any]:
    return _read_json(config_dir() / STATE_FILE)


def save_state(**values: Any) -> None:
    state = load_state()
    state.update(values)
    try:
        _write_json(config_dir() / STATE_FILE, state)
    except OSError as exc:
        log.warning("cannot save GUI state: %s", exc)


def documents_dir() -> Path:
    """The user's 文档 folder (Windows: Documents under the profile), else the home folder."""
    home = Path.home()
    for name in ("Documents", "文档", "My Documents"):
        if (home / name).is_dir():
            return home / name
    return home


def start_folder(kind: str, *hints: Path | str | None) -> str:
    """Where a file dialog of `kind` ("project", "data", "scheme", …) opens: the first existing
    folder among `hints` (the current project's folder…), then the folder last used for that kind,
    then 文档 — never the program's own folder (the working directory of a double-clicked app)."""
    for h in (*hints, load_state().get(f"folder_{kind}")):
        if h:
            p = Path(h)
            p = p if p.is_dir() else p.parent
            if str(p) not in ("", ".") and p.is_dir():
                return str(p)
    return str(documents_dir())


def remember_folder(kind: str, path: Path | str) -> None:
    """The folder of a file just chosen, for the next dialog of the same kind."""
    p = Path(path)
    save_state(**{f"folder_{kind}": str(p if p.is_dir() else p.parent)})


def saved_font_size() -> str | None:
    """The 字号 setting chosen last (视图 → 字号), None before any choice."""
    v = load_state().get("font_size")
    return v if isinstance(v, str) else None


def remember_font_size(key: str) -> None:
    save_state(font_size=key)


def load_operator() -> str:
    """The official's name recorded as 操作人 ("" until given; then the login name stands in, marked)."""
    name = load_state().get("operator", "")
    return name.strip() if isinstance(name, str) else ""


def save_operator(name: str) -> None:
    """Remember the official's name and record it from now on (`evaluator.project.model.set_operator`)."""
    from evaluator.project.model import set_operator

    save_state(operator=name.strip(), operator_asked=True)
    set_operator(name)


def apply_operator() -> None:
    """At start-up: the remembered name becomes the 操作人 of every edit."""
    from evaluator.project.model import set_operator

    set_operator(load_operator())


def operator_asked() -> bool:
    return bool(load_state().get("operator_asked"))


def is_first_start() -> bool:
    return not load_state().get("started_before", False)


def mark_started() -> None:
    save_state(started_before=True)


# --- remembered mappings ---------------------------------------------------------------------------

def sheet_signature(raw: RawSheet, rule: SheetMapping | None = None) -> str | None:
    """Header signature of a sheet read with `rule`'s header rows (or detected), None if no header."""
    block = detect_header(raw, rule)
    if block is None:
        return None
    cols, data_start, _ = map_columns(raw, block, None)
    return SheetTable(raw.file, raw.sheet, block, data_start, cols, pd.DataFrame()).signature()


class MappingMemory:
    """Rules keyed by header signature; file/sheet patterns are filled in when applied."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or (config_dir() / MAPPINGS_FILE)
        self._rules: dict[str, dict[str, Any]] = {}
        raw = _read_json(self.path).get("rules", {})
        if isinstance(raw, dict):
            self._rules = {str(k): v for k, v in raw.items() if isinstance(v, dict)}

    def copy(self) -> MappingMemory:
        """A snapshot for a worker thread, so the GUI can keep remembering while it runs."""
        other = MappingMemory.__new__(MappingMemory)
        other.path = self.path
        other._rules = {k: dict(v) for k, v in self._rules.items()}
        return other

    def __len__(self) -> int:
        return len(self._rules)

    def remember(self, signature: str, rule: SheetMapping) -> None:
        d = rule.to_dict()
        d.pop("file", None)
        d.pop("sheet", None)
        d.pop("encoding", None)  # encodings belong to one file, not to a layout
        if len(d) == 0:
            self._rules.pop(signature, None)
        else:
            self._rules[signature] = d
        try:
            _write_json(self.path, {"version": 1, "rules": self._rules})
        except OSError as exc:
            log.warning("cannot save remembered mappings: %s", exc)

    def forget(self, signature: str) -> None:
        if self._rules.pop(signature, None) is not None:
            try:
                _write_json(self.path, {"version": 1, "rules": self._rules})
            except OSError as exc:
                log.warning("cannot save remembered mappings: %s", exc)

    def rule_for(self, signature: str, file: str, sheet: str) -> SheetMapping | None:
        d = self._rules.get(signature)
        if d is None:
            return None
        try:
            m = mapping_from_dict({"sheet": [dict(d, file=file, sheet=sheet)]}, "已记住的列对应")
        except InputError as exc:  # a field renamed since: drop the stale rule quietly
            log.warning("stale remembered mapping %s: %s", signature, exc)
            return None
        return m.sheets[0]

    def match(self, raw: RawSheet) -> SheetMapping | None:
        """A remembered rule for this sheet: by the detected header, else by a remembered header row."""
        sig = sheet_signature(raw)
        if sig is not None and sig in self._rules:
            return self.rule_for(sig, raw.file, raw.sheet)
        for s, d in self._rules.items():
            if d.get("header_row"):
                probe = SheetMapping(header_row=int(d["header_row"]), header_rows=d.get("header_rows"))
                if sheet_signature(raw, probe) == s:
                    return self.rule_for(s, raw.file, raw.sheet)
        return None

    def suggest(self, files: list[RawFile], mapping: Mapping) -> list[SheetMapping]:
        """Rules to add for sheets that have no specific rule in the project yet."""
        out: list[SheetMapping] = []
        if not self._rules:
            return out
        for f in files:
            for s in f.sheets:
                existing = mapping.find(f.name, s.sheet)
                if existing is not None and (existing.columns or existing.header_row or existing.skip):
                    continue
                rule = self.match(s)
                if rule is not None:
                    if existing is not None and existing.encoding:
                        rule.encoding = existing.encoding
                    out.append(rule)
        return out
