"""Which file is which: files are told apart by path and content, never by base name alone.

The same file given twice, or a copy under another name, would double every additive field
(tax, land …) in the merge; two departments' files that happen to share a base name
(`税务/数据.xlsx`, `用地/数据.xlsx`) must both be kept. `admit_files` applies the rules once for the
CLI, the project file and the desktop app:

- the same path again replaces the earlier read (re-reading a corrected file or another encoding);
- the same bytes under another path are read once, with a warning naming both files;
- a sheet whose cells equal a sheet already admitted (a copy re-saved as CSV, a copied sheet) is
  left out, with a warning naming both;
- a different file whose base name is taken is shown with as much of its folder as tells it apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..core.issues import Issue
from .files import RawFile, RawSheet


@dataclass
class Admission:
    files: list[RawFile]  # the resulting file list, in order
    added: list[RawFile] = field(default_factory=list)  # new or replacing files, as admitted (renamed)
    replaced: list[RawFile] = field(default_factory=list)  # earlier reads a same-path file replaced
    issues: list[Issue] = field(default_factory=list)


def _same_path(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b


def admit_files(existing: Sequence[RawFile], new: Sequence[RawFile], replaceable: bool = True) -> Admission:
    """Add `new` files to `existing` under the rules above.

    `replaceable=False` when `existing` holds files of the same batch: a path given twice in one
    command is the same file given twice, not a re-read.
    """
    files = list(existing)
    out = Admission(files)
    for f in new:
        at = next((i for i, x in enumerate(files) if x.path and f.path and _same_path(x.path, f.path)), None)
        if at is not None and replaceable:
            old = files[at]
            f = _renamed(f, old.name)
            out.replaced.append(old)
            others = files[:at] + files[at + 1:]
            f = _drop_copied_sheets(f, others, out.issues)
            files[at] = f
            out.added.append(f)
            continue
        twin = next((x for x in files if x.sha256 == f.sha256), None)
        if twin is not None:
            out.issues.append(Issue("warning", f"与已导入的文件“{twin.name}”内容完全相同（同一份文件重复给出），只读取一次；"
                                               "如确为两个部门的不同数据，请核对文件是否拿错",
                                    _shown_name(f, files), code="duplicate_file"))
            continue
        f = _renamed(f, _shown_name(f, files))
        f = _drop_copied_sheets(f, files, out.issues)
        files.append(f)
        out.added.append(f)
    return out


def _shown_name(f: RawFile, files: Sequence[RawFile]) -> str:
    """The base name, or with enough parent folders to differ from every name already taken."""
    taken = {x.name for x in files}
    if f.name not in taken:
        return f.name
    parts = Path(f.path).parts[:-1]
    for depth in range(1, len(parts) + 1):
        candidate = "/".join((*parts[-depth:], Path(f.path).name))
        if candidate not in taken:
            return candidate.lstrip("/")
    n = 2
    while f"{f.name}（{n}）" in taken:
        n += 1
    return f"{f.name}（{n}）"


def _renamed(f: RawFile, name: str) -> RawFile:
    if name == f.name:
        return f
    sheets = [replace(s, file=name) for s in f.sheets]
    issues = [replace(i, file=name) if i.file == f.name else i for i in f.issues]
    return replace(f, name=name, sheets=sheets, issues=issues)


def _canonical(v: object) -> str:
    """A cell as text, so that an .xlsx and its CSV copy compare equal (1.0 and "1", dates and their text)."""
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:
            return ""
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if hasattr(v, "isoformat"):
        text = v.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(v).strip()


def _content_rows(s: RawSheet) -> list[tuple[object, ...]]:
    rows = s.rows
    end = len(rows)
    while end and not any(_canonical(v) for v in rows[end - 1]):
        end -= 1
    return rows[:end]


def _same_cells(a: RawSheet, b: RawSheet) -> bool:
    ra, rb = _content_rows(a), _content_rows(b)
    if len(ra) != len(rb) or len(ra) < 2:
        return False

    def canon(row: tuple[object, ...]) -> tuple[str, ...]:
        t = [_canonical(v) for v in row]
        while t and not t[-1]:
            t.pop()
        return tuple(t)

    # The first and last rows differ in most pairs of unrelated sheets: compare them first.
    for i in (0, len(ra) - 1):
        if canon(ra[i]) != canon(rb[i]):
            return False
    return all(canon(x) == canon(y) for x, y in zip(ra, rb))


def _drop_copied_sheets(f: RawFile, files: Sequence[RawFile], issues: list[Issue]) -> RawFile:
    """Leave out each sheet of `f` whose cells equal a sheet already admitted or an earlier sheet of `f`."""
    kept: list[RawSheet] = []
    for s in f.sheets:
        earlier = [(x.name, t) for x in files for t in x.sheets] + [(f.name, t) for t in kept]
        twin = next(((n, t) for n, t in earlier if _same_cells(s, t)), None)
        if twin is None:
            kept.append(s)
            continue
        n, t = twin
        issues.append(Issue("warning", f"该工作表的内容与“{n}”中的工作表“{t.sheet}”完全相同（同一份数据重复给出），只读取一次",
                            f.name, s.sheet, code="duplicate_sheet"))
    return f if len(kept) == len(f.sheets) else replace(f, sheets=kept)
