"""Reading departmental files into raw grids, exactly as the cells are, with nothing interpreted.

A raw grid keeps absolute positions (row 0 is Excel row 1) so that every later message can name
the row the official sees. Interpretation (headers, units, numbers) happens in `sheets.py`.
Excel files are read with calamine (Rust, several times faster than openpyxl); `.xls` is read by
the same engine, so legacy BIFF files need no extra dependency.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from ..core.issues import InputError, Issue, first_line

CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")
ROW_BLOCK = 2000  # rows converted per call while reading a sheet (see `_sheet_rows`)
csv.field_size_limit(1 << 30)


@dataclass
class RawSheet:
    """One sheet (or a CSV file) as read: a list of rows of cell values.

    Rows are tuples, not lists: a tuple of plain values is dropped from the cycle collector's
    lists, a list never is. A county's files are 400k rows, and as lists every full collection
    walked all of them (~0.1 s, holding the interpreter lock, so the window froze at random
    moments); as tuples a full collection costs ~10 ms. Lists given by callers are converted.
    """

    file: str  # the file name shown to the user
    sheet: str
    rows: list[tuple[object, ...]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    formula_cells: list[tuple[int, int]] = field(default_factory=list)  # (row, col), no cached value
    encoding: str = ""  # CSV only
    is_csv: bool = False

    _width: int | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if any(type(r) is not tuple for r in self.rows):
            self.rows = [r if type(r) is tuple else tuple(r) for r in self.rows]

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        if self._width is None or self._width < 0:
            self._width = max((len(r) for r in self.rows), default=0)
        return self._width


@dataclass
class RawFile:
    """A file as read: its sheets, its SHA-256 (for the project file and letter fingerprints)."""

    path: str
    name: str
    sha256: str
    sheets: list[RawSheet]
    issues: list[Issue] = field(default_factory=list)
    # The file's bytes as read, kept so a saved project can be tied to (and re-exported with) its
    # exact inputs even after the original file has moved; not part of equality.
    data: bytes | None = field(default=None, repr=False, compare=False)


def sniff_kind(data: bytes) -> str:
    """`xlsx`, `xls`, `html` or `text`, judged by content: extensions lie in government exports."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<table")) or b"<html" in head[:512]:
        return "html"
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:4096]:
        return "xml2003"
    return "text"


def read_file(path: str | Path, encoding: str | None = None) -> RawFile:
    """Read every sheet of one file. Raises `InputError` (Chinese message) if it cannot be read."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p.name}：无法打开文件（{exc.strerror or exc}）") from exc
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise InputError(f"{p.name}：文件为空")
    kind = sniff_kind(data)
    if kind == "html":
        raise InputError(f"{p.name}：该文件实为网页（HTML）格式而非 Excel，请用 Excel/WPS 打开后另存为 .xlsx 再导入")
    if kind == "xml2003":
        raise InputError(f"{p.name}：该文件为 Excel 2003 XML 格式，请用 Excel/WPS 另存为 .xlsx 再导入")
    if kind in ("xlsx", "xls"):
        sheets = _read_excel(p, data, kind)
        return RawFile(str(p), p.name, digest, sheets, data=data)
    if p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".et"):
        raise InputError(f"{p.name}：扩展名为 {p.suffix}，但内容不是有效的 Excel 文件（文件可能已损坏或被截断）")
    sheet, used = _read_csv(p, data, encoding)
    issues = [Issue("info", f"CSV 文件编码识别为 {used}", p.name, sheet.sheet, code="csv_encoding")]
    return RawFile(str(p), p.name, digest, [sheet], issues, data=data)


def _read_excel(p: Path, data: bytes, kind: str) -> list[RawSheet]:
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise InputError(f"{p.name}：无法读取 Excel 文件，文件可能已损坏、被截断或加密（{first_line(exc)}）") from exc
    special = _special_cells(data) if kind == "xlsx" else {}
    sheets: list[RawSheet] = []
    for meta in wb.sheets_metadata:
        if str(getattr(meta.typ, "name", "")) not in ("WorkSheet", ""):
            continue
        try:
            sh = wb.get_sheet_by_name(meta.name)
            rows = _sheet_rows(sh)
            merged = list(sh.merged_cell_ranges or [])
        except Exception as exc:
            raise InputError(f"{p.name}：工作表“{meta.name}”无法读取（{first_line(exc)}）") from exc
        formulas, errors = special.get(meta.name, ([], {}))
        for (r, c), text in errors.items():  # calamine reads error cells as empty: put the error back
            if r < len(rows) and c < len(rows[r]):
                rows[r] = (*rows[r][:c], text, *rows[r][c + 1:])
        sheets.append(RawSheet(p.name, meta.name, rows, merged, formulas))
    if not sheets:
        raise InputError(f"{p.name}：文件中没有工作表")
    return sheets


def _sheet_rows(sh: python_calamine.CalamineSheet) -> list[tuple[object, ...]]:
    """The sheet from A1 as a list of rows, taken a block of rows at a time.

    `to_python` (or `list(iter_rows())`) converts the whole sheet in one call that holds the
    interpreter lock for 0.1–0.3 s at 100k rows; taking `ROW_BLOCK` rows per call lets the GUI
    thread in between, so the window stays responsive while a worker reads. `iter_rows` starts at
    the first used column, so rows are padded on the left to keep Excel column positions.
    """
    start = sh.start
    pad = start[1] if start else 0
    lead = ("",) * pad
    rows: list[tuple[object, ...]] = []
    it = sh.iter_rows()
    while True:
        block = list(itertools.islice(it, ROW_BLOCK))
        if not block:
            return rows
        rows.extend([(*lead, *r) for r in block] if pad else [tuple(r) for r in block])


def _read_csv(p: Path, data: bytes, encoding: str | None) -> tuple[RawSheet, str]:
    text, used = decode_text(data, encoding, p.name)
    sample = text[:8192]
    delimiter = ","
    counts = {d: sample.count(d) for d in (",", "\t", ";", "|")}
    if counts[","] == 0 and max(counts.values()) > 0:
        delimiter = max(counts, key=lambda d: counts[d])
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise InputError(f"{p.name}：CSV 格式错误（{exc}）") from exc
    width = max((len(r) for r in rows), default=0)
    grid = [tuple(r) if len(r) == width else (*r, *("",) * (width - len(r))) for r in rows]
    return RawSheet(p.name, p.stem, grid, encoding=used, is_csv=True), used


def decode_text(data: bytes, encoding: str | None, name: str) -> tuple[str, str]:
    """Decode in the order utf-8-sig, utf-8, gb18030 unless the user chose an encoding."""
    tried = (encoding,) if encoding else CSV_ENCODINGS
    for enc in tried:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if "\x00" in text[:4096]:
            break
        return text, ("utf-8" if enc == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf") else enc)
    raise InputError(f"{name}：无法识别文件编码或文件不是文本表格（已尝试 {'、'.join(tried)}）")


_SHEET_ENTRY = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_SHEET_ENTRY_ALT = re.compile(rb'<sheet\b[^>]*?r:id="([^"]*)"[^>]*?name="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')
_REL_ALT = re.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')
_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_HAS_VALUE = re.compile(rb"<v>[^<]+</v>")
_VALUE = re.compile(rb"<v>([^<]*)</v>")


def _special_cells(data: bytes) -> dict[str, tuple[list[tuple[int, int]], dict[tuple[int, int], str]]]:
    """Per sheet: formula cells with no cached result, and error cells (`#DIV/0!`) with their text.

    calamine reads both as empty, while the user sees a value or an error in Excel. Formulas
    without a cache come from scripts (openpyxl) or tools that never recalculated. Only sheets
    that contain `<f` or `t="e"` at all are scanned, so plain data files cost a substring search.
    """
    out: dict[str, tuple[list[tuple[int, int]], dict[tuple[int, int], str]]] = {}
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        wb_xml = zf.read("xl/workbook.xml")
        rels_xml = zf.read("xl/_rels/workbook.xml.rels")
    except (zipfile.BadZipFile, KeyError, OSError):
        return out
    rels = {rid: tgt for rid, tgt in _REL.findall(rels_xml)}
    rels.update({rid: tgt for tgt, rid in _REL_ALT.findall(rels_xml)})
    entries = _SHEET_ENTRY.findall(wb_xml) or [(n, r) for r, n in _SHEET_ENTRY_ALT.findall(wb_xml)]
    for name_b, rid in entries:
        target = rels.get(rid, b"").decode("utf-8", "replace").lstrip("/")
        if not target:
            continue
        path = target if target.startswith("xl/") else "xl/" + target
        if not _has_special_markup(zf, path):
            continue
        try:
            xml = zf.read(path)
        except (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib.error):
            continue
        cells: list[tuple[int, int]] = []
        errors: dict[tuple[int, int], str] = {}
        for m in _CELL.finditer(xml):
            col, row, inner = m.group(1), m.group(2), m.group(3)
            if not inner:
                continue
            pos = (int(row) - 1, column_index(col.decode()))
            if b't="e"' in m.group(0)[: m.group(0).find(b">")]:
                v = _VALUE.search(inner)
                errors[pos] = v.group(1).decode("utf-8", "replace") if v else "#错误"
            elif b"<f" in inner and not _HAS_VALUE.search(inner):
                cells.append(pos)
        if cells or errors:
            out[_xml_unescape(name_b.decode("utf-8", "replace"))] = (cells, errors)
    return out


def _has_special_markup(zf: zipfile.ZipFile, path: str) -> bool:
    """Whether the sheet's XML contains a formula or an error cell, read a block at a time.

    Plain data sheets (the usual case) are never held in memory whole, and no single search or
    decompression holds the interpreter lock for long (a 100k-row sheet is ~50 MB of XML).
    """
    tail = b""
    try:
        with zf.open(path) as fh:
            while True:
                block = fh.read(1 << 20)
                if not block:
                    return False
                window = tail + block
                if b"<f" in window or b't="e"' in window:
                    return True
                tail = window[-4:]
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib.error):
        return False


def column_index(letters: str) -> int:
    """`A` → 0, `AB` → 27."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def column_letter(index: int) -> str:
    """0 → `A`, 27 → `AB`: messages name columns the way Excel shows them."""
    s = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        s = chr(65 + rem) + s
    return s


def _xml_unescape(s: str) -> str:
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


