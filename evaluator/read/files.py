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
import threading
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import python_calamine

from ..core.issues import InputError, Issue, first_line

CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")
ROW_BLOCK = 2000  # rows converted per call while reading a sheet (see `_sheet_rows`)
csv.field_size_limit(1 << 30)

# Limits on what a departmental file may ask of memory. calamine holds a sheet as a dense grid of
# 32-byte cells from A1 to the farthest used cell, so one stray cell at XFD1048576 asks for 512 GiB
# and the process dies without a word; a zip member that inflates a thousandfold (one 1 GiB shared
# string in a 1 MB file) takes gigabytes. Both are refused before calamine sees the file.
DENSE_CELLS_FREE = 5_000_000  # a used range this small is read whatever its content
DENSE_CELLS_MAX = 60_000_000  # ~2 GB in calamine: no county sheet is larger
DENSE_PER_CELL = 8  # above DENSE_CELLS_FREE, the used range may be at most this many times the cells present
MEMBER_BYTES_MAX = 1 << 30  # one zip member (a sheet's XML, the shared strings) inflated
MEMBER_RATIO_MAX = 200  # real sheet XML inflates 5–30×; a crafted one thousands of times
MEMBER_RATIO_FROM = 32 << 20  # the ratio test applies to members above this size
CSV_BLANK: tuple[object, ...] = ()  # every blank CSV line is this one object: a pointer each, not a tuple each

IncludeHidden = Callable[[str], bool]  # sheet name → read it although it is hidden
Reader = Callable[[str | Path, str | None, IncludeHidden | None], "RawFile"]  # `read_file` or a stand-in


@dataclass
class RawSheet:
    """One sheet (or a CSV file) as read: a list of rows of cell values.

    Rows are tuples, not lists: a tuple of plain values is dropped from the cycle collector's
    lists, a list never is. As lists, every full collection would walk all of a county's rows
    holding the interpreter lock, freezing the window at random moments. Lists given by callers
    are converted.
    """

    file: str  # the file name shown to the user
    sheet: str
    rows: list[tuple[object, ...]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    formula_cells: list[tuple[int, int]] = field(default_factory=list)  # (row, col), no cached value
    encoding: str = ""  # CSV only
    is_csv: bool = False
    hidden: str = ""  # "" visible, "hidden" or "very_hidden" (read only when the mapping opts it in)

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


def read_file(path: str | Path, encoding: str | None = None, include_hidden: IncludeHidden | None = None) -> RawFile:
    """Read every sheet of one file. Raises `InputError` (Chinese message) if it cannot be read.

    Hidden and very hidden sheets are left out with a warning unless `include_hidden(sheet)` says
    otherwise: they hold last year's figures or workings, and summing them changes results.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p.name}：无法打开文件（{exc.strerror or exc}）") from exc
    return read_bytes(data, p, encoding, include_hidden)


def read_bytes(data: bytes, path: str | Path, encoding: str | None = None,
               include_hidden: IncludeHidden | None = None) -> RawFile:
    """`read_file` over bytes already in memory (a project re-reads its stored originals)."""
    return load_checked(check_bytes(data, path), encoding, include_hidden)


class PendingScans:
    """The guard scan of a workbook's sheets, made on another thread than the one reading it.

    calamine may open the workbook (its shared strings, styles and sheet list) before the scan
    is done, but reads no sheet until `get` has the scan: the scan is what refuses a sheet whose
    used range would take gigabytes."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._scans: dict[str, SheetScan] = {}
        self._error: BaseException | None = None

    def set(self, scans: dict[str, SheetScan]) -> None:
        self._scans = scans
        self._done.set()

    def fail(self, exc: BaseException) -> None:
        self._error = exc
        self._done.set()

    def get(self) -> dict[str, SheetScan]:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._scans


@dataclass(frozen=True)
class CheckedFile:
    """A file's bytes, what they are, and what the sheet-XML guard found, before any sheet is parsed."""

    path: Path
    data: bytes
    digest: str
    kind: str  # `sniff_kind`: xlsx, xls or text (a CSV)
    scans: dict[str, SheetScan] | PendingScans | None  # None: a workbook not scanned yet (`check_head`)


def check_bytes(data: bytes, path: str | Path) -> CheckedFile:
    """The first half of reading a file: what it is, and for a workbook the guard scan of its sheets.
    Raises `InputError` for a file that is empty, a web page, or not what its extension says."""
    head = check_head(data, path)
    return replace(head, scans=scan_sheets(head)) if head.kind == "xlsx" else head


def check_head(data: bytes, path: str | Path) -> CheckedFile:
    """`check_bytes` without the sheets' scan (`scan_sheets`, which may follow on another thread):
    the kind of file, its digest and, for a workbook, the sizes its parts inflate to. A workbook's
    `scans` is None until it is scanned; `load_checked` refuses to read it so."""
    p = Path(path)
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise InputError(f"{p.name}：文件为空")
    kind = sniff_kind(data)
    if kind == "html":
        raise InputError(f"{p.name}：该文件实为网页（HTML）格式而非 Excel，请用 Excel/WPS 打开后另存为 .xlsx 再导入")
    if kind == "xml2003":
        raise InputError(f"{p.name}：该文件为 Excel 2003 XML 格式，请用 Excel/WPS 另存为 .xlsx 再导入")
    if kind not in ("xlsx", "xls") and p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".et"):
        raise InputError(f"{p.name}：扩展名为 {p.suffix}，但内容不是有效的 Excel 文件（文件可能已损坏或被截断）")
    if kind == "xlsx":
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, EOFError):
            pass  # calamine says what is wrong with it
        else:
            _check_members(p.name, zf)
    return CheckedFile(p, data, digest, kind, None if kind == "xlsx" else {})


def scan_sheets(f: CheckedFile) -> dict[str, SheetScan]:
    """The guard scan of every sheet of a workbook that passed `check_head`."""
    return _scan_xlsx(f.path.name, f.data)


def load_checked(f: CheckedFile, encoding: str | None = None, include_hidden: IncludeHidden | None = None) -> RawFile:
    """The second half: every sheet parsed (calamine, which lets go of the interpreter lock while it
    parses), or the CSV decoded and split."""
    p = f.path
    if f.kind in ("xlsx", "xls"):
        if f.scans is None:  # a programming error: the scan is what keeps calamine within memory
            raise ValueError(f"{p.name}: a workbook must be scanned (scan_sheets) before it is read")
        sheets, issues = _read_excel(p, f.data, f.scans, include_hidden)
        return RawFile(str(p), p.name, f.digest, sheets, issues, data=f.data)
    sheet, used, issues = _read_csv(p, f.data, encoding)
    issues.insert(0, Issue("info", f"CSV 文件编码识别为 {used}", p.name, sheet.sheet, code="csv_encoding"))
    return RawFile(str(p), p.name, f.digest, [sheet], issues, data=f.data)


def _scanned(scans: dict[str, SheetScan] | PendingScans) -> dict[str, SheetScan]:
    """The scan, waited for if it is being made on another thread (its error raised)."""
    return scans.get() if isinstance(scans, PendingScans) else scans


_HIDDEN_STATES = {"Hidden": "hidden", "VeryHidden": "very_hidden"}
_HIDDEN_WORDS = {"hidden": "隐藏", "very_hidden": "深度隐藏（在 Excel 中无法直接取消隐藏）"}


def _read_excel(p: Path, data: bytes, scans: dict[str, SheetScan] | PendingScans,
                include_hidden: IncludeHidden | None) -> tuple[list[RawSheet], list[Issue]]:
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several unrelated types for broken files
        _scanned(scans)  # the scan's own error, if it has one, is the one a plain read gives
        raise InputError(f"{p.name}：无法读取 Excel 文件，文件可能已损坏、被截断或加密（{first_line(exc)}）") from exc
    scans = _scanned(scans)  # before any sheet is read
    sheets: list[RawSheet] = []
    issues: list[Issue] = []
    worksheets = [m for m in wb.sheets_metadata if str(getattr(m.typ, "name", "")) in ("WorkSheet", "")]
    for meta in worksheets:
        hidden = _HIDDEN_STATES.get(str(meta.visible).rsplit(".", 1)[-1], "")  # `SheetVisibleEnum.Hidden`
        if hidden:
            if not (include_hidden and include_hidden(meta.name)):
                issues.append(Issue("warning", f"工作表“{meta.name}”为{_HIDDEN_WORDS[hidden]}工作表，未读取（隐藏表常为上年数据或计算过程，"
                                               "计入会改变结果）；如确需读取，请在“导入数据”的列对应设置中勾选“读取隐藏工作表”，"
                                               "或在映射文件中为该表写 include_hidden = true",
                                    p.name, meta.name, code="hidden_sheet_skipped"))
                continue
            issues.append(Issue("info", f"工作表“{meta.name}”为{_HIDDEN_WORDS[hidden]}工作表，按设置读取",
                                p.name, meta.name, code="hidden_sheet_included"))
        scan = scans.get(meta.name)
        refusal = scan.refusal(p.name, meta.name) if scan else None
        if refusal:
            issues.append(refusal)
            continue
        try:
            sh = wb.get_sheet_by_name(meta.name)
            rows = _sheet_rows(sh)
            merged = list(sh.merged_cell_ranges or [])
        except Exception as exc:
            raise InputError(f"{p.name}：工作表“{meta.name}”无法读取（{first_line(exc)}）") from exc
        formulas, errors = (scan.formulas, scan.errors) if scan else ([], {})
        for (r, c), text in errors.items():  # calamine reads error cells as empty: put the error back
            if r < len(rows) and c < len(rows[r]):
                rows[r] = (*rows[r][:c], text, *rows[r][c + 1:])
        sheets.append(RawSheet(p.name, meta.name, rows, merged, formulas, hidden=hidden))
    if not worksheets:
        raise InputError(f"{p.name}：文件中没有工作表")
    return sheets, issues


def _sheet_rows(sh: python_calamine.CalamineSheet) -> list[tuple[object, ...]]:
    """The sheet from A1 as a list of rows, taken a block of rows at a time.

    `to_python` (or `list(iter_rows())`) converts the whole sheet in one call that holds the
    interpreter lock throughout; taking `ROW_BLOCK` rows per call lets the GUI
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


CSV_DELIMITERS = (",", "\t", ";", "|")
DELIMITER_SAMPLE_LINES = 200


def _read_csv(p: Path, data: bytes, encoding: str | None) -> tuple[RawSheet, str, list[Issue]]:
    text, used = decode_text(data, encoding, p.name)
    issues: list[Issue] = []
    if used.endswith("(BOM 有误)"):
        issues.append(Issue("warning", "文件开头带有 UTF-8 标记，但内容是 GBK/GB18030 编码，已按 GBK 读取；"
                                       "请核对中文是否显示正常（如有乱码，请用记事本打开后“另存为”选择 UTF-8 编码）",
                            p.name, p.stem, code="csv_encoding"))
    # Blank lines (and lines of bare separators) after the table are cut off the text in one C
    # call; blank lines inside it become the one shared empty row.
    body = text.rstrip("\r\n\t ,;|")
    blanks = text.count("\n", len(body)) - 1 if len(body) < len(text) else 0
    del text
    delimiter = sniff_delimiter(body)
    if delimiter != ",":
        shown = {"\t": "制表符", ";": "分号", "|": "竖线"}[delimiter]
        issues.append(Issue("info", f"CSV 分隔符识别为{shown}", p.name, p.stem, code="csv_delimiter"))
    try:
        rows = [tuple(r) if any(r) else CSV_BLANK for r in csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise InputError(f"{p.name}：CSV 格式错误（{exc}）") from exc
    del body
    if blanks >= 1000:
        issues.append(Issue("info", f"文件末尾有 {blanks:,} 个空行，已忽略", p.name, p.stem, code="blank_lines"))
    width = max((len(r) for r in rows), default=0)
    grid = [r if len(r) == width or r is CSV_BLANK else (*r, *("",) * (width - len(r))) for r in rows]
    return RawSheet(p.name, p.stem, grid, encoding=used.removesuffix("(BOM 有误)"), is_csv=True), used, issues


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most consistent number of fields.

    Lines are parsed as CSV for each candidate, so a comma inside a quoted field (`"甲,乙公司"`)
    does not make a `;`-separated file look comma-separated. A candidate scores the number of
    lines that have the commonest field count (≥ 2) times that count; ties prefer the comma.
    """
    sample = "\n".join(itertools.islice((line for line in io.StringIO(text[: 1 << 20]) if line.strip()),
                                         DELIMITER_SAMPLE_LINES))
    best, best_score = ",", 0
    for d in CSV_DELIMITERS:
        if d not in sample:
            continue
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(sample, newline=""), delimiter=d) if any(r)]
        except csv.Error:
            continue
        if not counts:
            continue
        width = max(set(counts), key=lambda w: (counts.count(w), w))
        score = counts.count(width) * width if width >= 2 else 0
        if score > best_score:
            best, best_score = d, score
    return best


def decode_text(data: bytes, encoding: str | None, name: str) -> tuple[str, str]:
    """Decode in the order utf-16 (by its BOM), utf-8-sig, utf-8, gb18030 unless the user chose one.

    Excel's "Unicode 文本" is UTF-16 with a BOM. A file whose lines are partly UTF-8 and partly GBK
    (two exports pasted together) decodes as GB18030 without an error but with garbled text, so it
    is refused with a message that says how to re-save it. A UTF-8 BOM in front of GBK text
    (some converters add one) is read as GBK with a warning; the label then ends in `(BOM 有误)`.
    """
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            raise InputError(f"{name}：无法按所选编码 {encoding} 读取；请改选其他编码，"
                             "或用 Excel/WPS 打开后另存为 .xlsx 再导入") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InputError(f"{name}：文件标记为 UTF-16（Unicode 文本），但内容不完整或已损坏；"
                             "请用 Excel/WPS 打开后另存为 .xlsx 再导入") from None
    if b"\x00" in data[:4096]:
        raise InputError(f"{name}：无法识别文件编码，文件不是文本表格（含有二进制内容）；若为 Excel 文件，请用 Excel/WPS 打开后另存为 .xlsx 再导入")
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = _mixed_lines(body)
    if mixed:
        utf8_line, gbk_line = mixed
        raise InputError(f"{name}：文件中混用了两种编码（如第 {utf8_line} 行为 UTF-8，第 {gbk_line} 行为 GBK），"
                         "无法可靠读取中文；请用 Excel/WPS 分别打开原始文件核对后，合并为一个 .xlsx 文件另存再导入，"
                         "或用记事本打开、确认文字正常后“另存为”选择 UTF-8 编码", code="csv_encoding_mixed")
    try:
        text = body.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError(f"{name}：无法识别文件编码（已尝试 UTF-16、UTF-8、GBK/GB18030）；"
                         "请用 Excel/WPS 打开后另存为 .xlsx 再导入，或另存为“CSV UTF-8”") from None
    return text, "gb18030(BOM 有误)" if bom else "gb18030"


def _mixed_lines(body: bytes) -> tuple[int, int] | None:
    """(a UTF-8 line, a non-UTF-8 line), 1-based, when both kinds of non-ASCII line are present."""
    utf8_line = other_line = 0
    for i, line in enumerate(body.split(b"\n"), 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_line = utf8_line or i
        except UnicodeDecodeError:
            other_line = other_line or i
        if utf8_line and other_line:
            return utf8_line, other_line
    return None


_SHEET_ENTRY = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_SHEET_ENTRY_ALT = re.compile(rb'<sheet\b[^>]*?r:id="([^"]*)"[^>]*?name="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')
_REL_ALT = re.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')
_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?(?:/>|>(.*?)</c>)', re.DOTALL)
_HAS_VALUE = re.compile(rb"<v>[^<]+</v>")
_VALUE = re.compile(rb"<v>([^<]*)</v>")


@dataclass
class SheetScan:
    """What one pass over a sheet's XML learnt before calamine reads it."""

    formulas: list[tuple[int, int]] = field(default_factory=list)  # formula cells with no cached value
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # error cells (`#DIV/0!`) and their text
    max_row: int = 0  # 1-based, farthest row used
    max_col: int = 0  # 1-based, farthest column used
    n_cells: int = 0  # `<c>` elements present
    special: bool = False  # formula or error markup somewhere: positions are read from the whole XML

    @property
    def area(self) -> int:
        return self.max_row * self.max_col

    def refusal(self, file: str, sheet: str) -> Issue | None:
        """An error when the used range is absurd for the cells in it (a stray far cell)."""
        area = self.area
        if area <= DENSE_CELLS_FREE or (area <= DENSE_CELLS_MAX and area <= DENSE_PER_CELL * max(self.n_cells, 1)):
            return None
        corner = f"{column_letter(self.max_col - 1)}{self.max_row}"
        return Issue("error", f"工作表的已用区域延伸到 {corner}（{self.max_row:,} 行 × {self.max_col:,} 列，约 {area:,} 个单元格），"
                              f"但只有约 {self.n_cells:,} 个单元格有内容，读取需要的内存远超正常数据表，已跳过该工作表；"
                              f"多半是远处有误输入或残留格式的单元格：请在 Excel/WPS 中删除数据区以外的行和列（按 Ctrl+End 可找到），"
                              "保存后重新导入", file, sheet, code="range_absurd")


# A part the scan cannot read (broken, truncated, encrypted, a compression Python lacks) is left to
# calamine, which says what is wrong with the file.
UNREADABLE_PART = (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError, NotImplementedError)


def _scan_xlsx(name: str, data: bytes) -> dict[str, SheetScan]:
    """Per sheet: its extent and cell count, formula cells without a cached value, error cells.

    calamine reads formulas without a cache and error cells as empty, while the user sees a value
    or an error in Excel. Formulas without a cache come from scripts (openpyxl) or tools that never
    recalculated. Each sheet's XML is streamed once, a block at a time; only sheets that contain
    `<f` or `t="e"` at all are read whole for the positions.
    """
    out: dict[str, SheetScan] = {}
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        wb_xml = zf.read("xl/workbook.xml")
        rels_xml = zf.read("xl/_rels/workbook.xml.rels")
    except UNREADABLE_PART:
        return out
    rels = {rid: tgt for rid, tgt in _REL.findall(rels_xml)}
    rels.update({rid: tgt for tgt, rid in _REL_ALT.findall(rels_xml)})
    entries = _SHEET_ENTRY.findall(wb_xml) or [(n, r) for r, n in _SHEET_ENTRY_ALT.findall(wb_xml)]
    for name_b, rid in entries:
        target = rels.get(rid, b"").decode("utf-8", "replace").lstrip("/")
        if not target:
            continue
        path = target if target.startswith("xl/") else "xl/" + target
        scan = _stream_scan(zf, path)
        if scan is None:
            continue
        out[_xml_unescape(name_b.decode("utf-8", "replace"))] = scan
        if scan.refusal("", "") is not None or not scan.special:
            continue
        try:
            xml = zf.read(path)
        except UNREADABLE_PART:
            continue
        for m in _CELL.finditer(xml):
            col, row, inner = m.group(1), m.group(2), m.group(3)
            if not inner:
                continue
            pos = (int(row) - 1, column_index(col.decode()))
            if b't="e"' in m.group(0)[: m.group(0).find(b">")]:
                v = _VALUE.search(inner)
                scan.errors[pos] = v.group(1).decode("utf-8", "replace") if v else "#错误"
            elif b"<f" in inner and not _HAS_VALUE.search(inner):
                scan.formulas.append(pos)
    return out


def _check_members(name: str, zf: zipfile.ZipFile) -> None:
    """Refuse a workbook whose parts inflate to an absurd size (a crafted or broken file)."""
    for info in zf.infolist():
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > MEMBER_BYTES_MAX or (size > MEMBER_RATIO_FROM and size > MEMBER_RATIO_MAX * packed):
            what = "共享字符串（文字内容）" if info.filename.endswith("sharedStrings.xml") else f"部件“{info.filename}”"
            raise InputError(f"{name}：文件中的{what}解压后达 {size / 2**20:,.0f} MB（压缩时仅 {packed / 2**20:,.1f} MB），"
                             "远超正常数据表，可能含有超长文本或文件已损坏，未读取；请在 Excel/WPS 中打开、删除多余内容后另存为 .xlsx 再导入",
                             code="payload_too_large")


_ROW_NUM = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
# Cells in a column beyond single letter i, or in any two- or three-letter column: one pass per block.
_WIDER = [re.compile(rb'<c r="([' + bytes([65 + i]) + rb'-Z]|[A-Z]{2,3})(\d+)') for i in range(26)]
_WIDE = re.compile(rb'<c r="([A-Z]{2,3})(\d+)')
XML_BYTES_PER_CELL = 16  # `<c r="A1"><v>1</v></c>` is 22 bytes: a sheet's XML size bounds its cells from above


def _stream_scan(zf: zipfile.ZipFile, path: str) -> SheetScan | None:
    """Extent and whether formula/error markup exists, one 1 MB block at a time.

    Plain data sheets (the usual case) are never held in memory whole, and no single search or
    decompression holds the interpreter lock for long (a large sheet is tens of MB of XML). The
    farthest row comes from the row elements and from the cells in columns wider than any seen so
    far (these also catch a crafted far cell inside a short row element); each block costs the
    decompression, one search over the row elements and one over the cells. The cell count is
    estimated from the XML size (counted exactly only for a sheet that is refused).
    """
    scan = SheetScan()
    carry = b""
    widest = 0  # 1-based widest column seen
    try:
        scan.n_cells = zf.getinfo(path).file_size // XML_BYTES_PER_CELL
        with zf.open(path) as fh:
            while True:
                block = fh.read(1 << 20)
                window = carry + block
                if block:
                    cut = window.rfind(b"<")
                    if cut <= 0:
                        cut = len(window)
                    window, carry = window[:cut], window[cut:]
                else:
                    carry = b""
                if window:
                    rows = _ROW_NUM.findall(window)
                    if rows:
                        scan.max_row = max(scan.max_row, max(map(int, rows)))
                    pattern = _WIDER[widest] if widest < 26 else _WIDE
                    for col, row in pattern.findall(window):
                        widest = max(widest, column_index(col.decode()) + 1)
                        scan.max_row = max(scan.max_row, int(row))
                    scan.special = scan.special or _contains(window, b"<f", 1) or _contains(window, b't="e"', 3)
                if not block:
                    break
    except UNREADABLE_PART:
        return None
    scan.max_col = widest
    if scan.refusal("", "") is not None:
        scan.n_cells = _count_cells(zf, path)
    return scan


RARE_HITS = 64  # occurrences of the rare byte checked one by one before a plain search takes over


def _contains(window: bytes, needle: bytes, rare: int) -> bool:
    """`needle in window`, by jumping between occurrences of its byte `rare`.

    In sheet XML, `<` and `t` start most tags while `f` and `e` are scarce (no tag of a plain data
    sheet holds them), so a byte search for those finds the rare candidates many times faster
    than the general search for a needle starting with `<`.
    """
    byte = needle[rare:rare + 1]
    pos = window.find(byte, rare)
    for _ in range(RARE_HITS):
        if pos < 0:
            return False
        if window.startswith(needle, pos - rare):
            return True
        pos = window.find(byte, pos + 1)
    return needle in window


def _count_cells(zf: zipfile.ZipFile, path: str) -> int:
    n = 0
    with zf.open(path) as fh:
        tail = b""
        while block := fh.read(1 << 20):
            window = tail + block
            n += window.count(b"<c ") + window.count(b"<c>") - tail.count(b"<c ") - tail.count(b"<c>")
            tail = window[-3:]
    return n


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


