"""The `.mujun` project file: one evaluation, saved whole, reopened weeks later with the same result.

A county evaluation runs for weeks (import, 公示, appeals, corrections, final list), so the file
holds everything `Project.run` needs and nothing it derives: the raw grids exactly as read (types
kept, so a date stays a date and `1` stays an int), the original file bytes (so a letter can be
tied to its inputs by SHA-256), the column mapping, the scheme's full TOML, the year, every
correction and override with who/when/why, the audit log, the prior-year result, and the `--json`
document of the result as it was when saved.

The container is an SQLite database (stdlib `sqlite3`): one file, readable with any SQLite tool
for an audit, robust against partial reads. Saving never edits a file in place: a complete new
database is written to a temp file in the same folder, flushed, and swapped in with `os.replace`
(`atomic.py`), so a crash mid-save leaves the previous file intact. Opening never writes: the file
is read into memory, migrated there if it is older, and closed, so nothing holds a lock on it.

Schema history (`SCHEMA_VERSION`; each step has a migration in `MIGRATIONS`):
  1  first release: grids, the saved result and the prior-year result stored as plain JSON text
     (`sheets.grid_json`, `results.json`, `project.prior`).
  2  all three stored zlib-compressed (`sheets.grid`, `results.doc`, `project.prior_doc` BLOB +
     `codec`): a 10 000-firm county's file shrinks from about 10 MB to 3 MB, which matters for
     files mailed or carried on USB sticks.
  3  every data-check notice carries its stable code (`read_issues.code`, and an eighth element in
     `files.issues` rows); older files get "" (their notices came from file reading only).
  4  the review cycle: `resolutions` (links, code corrections, not-an-enterprise, accepted findings,
     releases), `stages` (snapshots 初评/公示/复核/定稿), `objections` + `evidence` (异议登记 with the
     firms' files), `confirmations` (一企一单 tracking); older files get empty tables.
  5  `doc_numbers`: the 文号 given to letters (`outputs.doc_numbers.DocNumber`, one JSON row each),
     so a later batch or a re-issue continues the same register; older files get an empty one.
  The app's output folder for the project is the `meta` key `output_dir` (no schema step: an older
  file has none and gets the default folder, an older program ignores it).
"""

from __future__ import annotations

import json
import numbers
import os
import socket
import sqlite3
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.atomic import replace_durably, temp_path_for
from ..core.issues import InputError, Issue, first_line
from ..core.userdirs import autosave_dir, ensure_dir
from ..merge.corrections import Correction
from ..merge.resolutions import Resolution
from ..method.evaluate import TierOverride
from ..outputs.doc_numbers import DocNumber
from ..read.files import RawFile, RawSheet
from ..read.mapping import mapping_from_dict
from . import jsonblocks
from .model import AuditEntry, Project, now_text
from .recent import add_recent
from .review import Confirmation, Evidence, Objection, Stage

__all__ = [
    "SCHEMA_VERSION", "SUFFIX", "ProjectFileError", "ProjectInfo", "Recoverable", "add_recent", "autosave_path",
    "discard_autosave", "find_recoverable", "load_project", "load_saved_result", "migrate", "read_info",
    "recover", "save_project", "write_autosave",
]

SCHEMA_VERSION = 5
FORMAT_ID = "mujun-project"
SUFFIX = ".mujun"
AUTOSAVE_SUFFIX = ".autosave"
CODEC = "json+zlib"
ZLIB_LEVEL = 3  # level 6+ costs twice the time for a few per cent less
SQLITE_MAGIC = b"SQLite format 3\x00"

_SESSION = f"{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"


class ProjectFileError(InputError):
    """A project file that cannot be opened or saved; the message is one line for the user."""


# --- schema -------------------------------------------------------------------------------------

_TABLES_COMMON = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,           -- import order (the first file wins a conflict)
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER,
    content BLOB,                     -- original bytes; NULL if they were not available at save
    issues TEXT NOT NULL              -- JSON list of the reader's notices for this file
);
CREATE TABLE read_issues (
    seq INTEGER PRIMARY KEY, level TEXT NOT NULL, message TEXT NOT NULL, file TEXT NOT NULL,
    sheet TEXT NOT NULL, row_no INTEGER, col TEXT NOT NULL, firm_key TEXT NOT NULL,
    code TEXT NOT NULL DEFAULT ''
);
CREATE TABLE corrections (
    seq INTEGER PRIMARY KEY, firm_key TEXT NOT NULL, field_id TEXT NOT NULL,
    value TEXT NOT NULL,              -- typed JSON (see _encode)
    reason TEXT NOT NULL, user_name TEXT NOT NULL, at_time TEXT NOT NULL
);
CREATE TABLE overrides (
    seq INTEGER PRIMARY KEY, firm_key TEXT NOT NULL, tier TEXT NOT NULL,
    reason TEXT NOT NULL, user_name TEXT NOT NULL, at_time TEXT NOT NULL
);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY, at_time TEXT NOT NULL, user_name TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT NOT NULL, field_id TEXT NOT NULL, old_value TEXT NOT NULL, new_value TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""

_COMPRESSED_V2 = """
CREATE TABLE project (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    year INTEGER NOT NULL,
    scheme_text TEXT NOT NULL,
    scheme_source TEXT NOT NULL,
    mapping TEXT NOT NULL,            -- JSON list of SheetMapping.to_dict()
    prior_doc BLOB,                   -- prior-year `--json` document per `codec`, or NULL
    codec TEXT
);
CREATE TABLE sheets (
    file_id INTEGER NOT NULL REFERENCES files(id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    shown_file TEXT NOT NULL,
    is_csv INTEGER NOT NULL,
    encoding TEXT NOT NULL,
    n_rows INTEGER NOT NULL,
    n_cols INTEGER NOT NULL,
    merged TEXT NOT NULL,             -- JSON [[r1, c1, r2, c2], ...], 0-based
    formula_cells TEXT NOT NULL,      -- JSON [[r, c], ...]: formulas with no cached value
    grid BLOB NOT NULL,               -- rows of typed cells, encoded per `codec`
    codec TEXT NOT NULL,
    PRIMARY KEY (file_id, seq)
);
CREATE TABLE results (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    saved_at TEXT NOT NULL, fingerprint TEXT NOT NULL, app_version TEXT NOT NULL,
    doc BLOB NOT NULL,                -- evaluator.outputs.json_result.to_json_dict(result) at save time, per `codec`
    codec TEXT NOT NULL
);
"""

_REVIEW_V4 = """
CREATE TABLE resolutions (
    seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, firm_key TEXT NOT NULL, target TEXT NOT NULL,
    issue_code TEXT NOT NULL, reason TEXT NOT NULL, user_name TEXT NOT NULL, at_time TEXT NOT NULL
);
CREATE TABLE stages (
    seq INTEGER PRIMARY KEY, stage TEXT NOT NULL, at_time TEXT NOT NULL, user_name TEXT NOT NULL,
    note TEXT NOT NULL, fingerprint TEXT NOT NULL,
    doc BLOB NOT NULL,                -- evaluator.project.review.snapshot(...), per `codec`
    codec TEXT NOT NULL
);
CREATE TABLE objections (
    number INTEGER PRIMARY KEY,
    doc TEXT NOT NULL                 -- JSON of Objection.to_dict() (evidence named, bytes below)
);
CREATE TABLE evidence (
    number INTEGER NOT NULL REFERENCES objections(number), seq INTEGER NOT NULL,
    name TEXT NOT NULL, sha256 TEXT NOT NULL, content BLOB,
    PRIMARY KEY (number, seq)
);
CREATE TABLE confirmations (
    firm_key TEXT PRIMARY KEY, status TEXT NOT NULL, sent TEXT NOT NULL, returned TEXT NOT NULL,
    fields TEXT NOT NULL,             -- JSON list of field ids disputed
    note TEXT NOT NULL
);
"""

_DOC_NUMBERS_V5 = """
CREATE TABLE doc_numbers (seq INTEGER PRIMARY KEY, entry TEXT NOT NULL);  -- DocNumber.to_dict() as JSON
"""

SCHEMA_SQL = _TABLES_COMMON + _COMPRESSED_V2 + _REVIEW_V4 + _DOC_NUMBERS_V5


def _migrate_v1_to_v2(con: sqlite3.Connection) -> None:
    """v1 kept grids, the result and the prior as JSON text; v2 compresses them (same JSON, zlib)."""
    for table, old, new in (("sheets", "grid_json", "grid"), ("results", "json", "doc"), ("project", "prior", "prior_doc")):
        con.execute(f"ALTER TABLE {table} ADD COLUMN {new} BLOB")
        con.execute(f"ALTER TABLE {table} ADD COLUMN codec TEXT")
        for rowid, text in con.execute(f"SELECT rowid, {old} FROM {table} WHERE {old} IS NOT NULL").fetchall():
            con.execute(f"UPDATE {table} SET {new} = ?, codec = ? WHERE rowid = ?", (_compress(text), CODEC, rowid))
        con.execute(f"ALTER TABLE {table} DROP COLUMN {old}")


def _migrate_v2_to_v3(con: sqlite3.Connection) -> None:
    """v3 stores each notice's stable code; older notices have none."""
    con.execute("ALTER TABLE read_issues ADD COLUMN code TEXT NOT NULL DEFAULT ''")


def _migrate_v3_to_v4(con: sqlite3.Connection) -> None:
    """v4 adds the review cycle's tables; an older project has none of it yet."""
    for stmt in _REVIEW_V4.split(";"):
        if stmt.strip():
            con.execute(stmt)


def _migrate_v4_to_v5(con: sqlite3.Connection) -> None:
    """v5 adds the 文号 register; a project saved before it has given no numbers."""
    con.execute(_DOC_NUMBERS_V5.split("--")[0].strip().rstrip(";"))


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _migrate_v1_to_v2, 2: _migrate_v2_to_v3, 3: _migrate_v3_to_v4, 4: _migrate_v4_to_v5}


# --- cell values ----------------------------------------------------------------------------------
# Plain JSON keeps str, float (always written with a '.' or exponent), int, bool and None apart;
# dates and times become one-key objects. Grids never hold dicts, so any object is a tagged value.

def _default(v: Any) -> Any:
    if isinstance(v, datetime):
        return {"$dt": v.isoformat()}
    if isinstance(v, date):
        return {"$d": v.isoformat()}
    if isinstance(v, time):
        return {"$t": v.isoformat()}
    if isinstance(v, timedelta):
        return {"$td": [v.days, v.seconds, v.microseconds]}
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    return {"$s": str(v)}


_TAGS: dict[str, Callable[[Any], Any]] = {
    "$dt": datetime.fromisoformat,
    "$d": date.fromisoformat,
    "$t": time.fromisoformat,
    "$td": lambda x: timedelta(days=x[0], seconds=x[1], microseconds=x[2]),
    "$s": str,
}


def _hook(d: dict[str, Any]) -> Any:
    if len(d) == 1:
        (tag, v), = d.items()
        if tag in _TAGS:
            return _TAGS[tag](v)
    raise ValueError(f"unknown cell encoding {list(d)[:3]}")


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_default)


def _decode(text: str) -> Any:
    return json.loads(text, object_hook=_hook)


def _compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8", "surrogatepass"), ZLIB_LEVEL)


def _decompress(blob: bytes, codec: str) -> str:
    if codec != CODEC:
        raise ValueError(f"unknown codec {codec!r}")
    limit = max(INFLATE_MIN, INFLATE_RATIO * len(blob))
    d = zlib.decompressobj()
    data = d.decompress(blob, limit)
    if d.unconsumed_tail:
        raise ValueError("a stored block inflates beyond any real project")
    return data.decode("utf-8", "surrogatepass")


def encode_grid(rows: Sequence[Sequence[object]]) -> bytes:
    """The grid as compressed JSON, written in blocks of rows (see `jsonblocks`)."""
    return jsonblocks.compress(jsonblocks.dumps(list(rows), default=_default, separators=(",", ":")), ZLIB_LEVEL)


def decode_grid(blob: bytes, codec: str) -> list[tuple[object, ...]]:
    if codec != CODEC:
        raise ValueError(f"unknown codec {codec!r}")
    return jsonblocks.loads_list(blob, object_hook=_hook, convert=tuple)  # rows as `RawSheet` keeps them


# --- saving -----------------------------------------------------------------------------------------

def save_project(project: Project, path: str | Path, result: Any = None) -> None:
    """Write `project` (and the result document, if given) to `path`, replacing it atomically.

    `result` is a `RunResult` or an already built `--json` dict. A successful save makes the
    autosave of `path` obsolete, so it is removed. A `path` ending in `.autosave` is written as an
    autosave (as `write_autosave` does), so recovery finds it. Raises `ProjectFileError` (Chinese).
    """
    target = Path(path)
    if target.name.endswith(AUTOSAVE_SUFFIX):  # an autosave written through this function: mark it as one
        original = None
        if target.parent == autosave_dir():
            ensure_dir(target.parent)
        else:
            original = target.with_name(target.name[:-len(AUTOSAVE_SUFFIX)])
        _write(project, target, result, _autosave_meta(original))
        return
    _write(project, target, result, {"kind": "project"})
    discard_autosave(target)


def _result_doc(result: Any) -> dict[str, Any] | None:
    if result is None or isinstance(result, dict):
        return result
    from ..outputs.json_result import to_json_dict

    return to_json_dict(result, lazy=True)  # records are made block by block as they are written


def _write(project: Project, target: Path, result: Any, meta: dict[str, str]) -> None:
    """`result`: a `RunResult`, a `--json` dict or None; a RunResult's document is made anew per
    write, as it is streamed into the file (a retry at a fallback path gets it whole again)."""
    if not target.parent.is_dir():
        raise ProjectFileError(f"{target.name}：无法保存，文件夹“{target.parent}”不存在")
    tmp = temp_path_for(target)
    try:
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            # The temp file is thrown away if anything fails, so SQLite's own journal is redundant.
            con.execute("PRAGMA journal_mode = OFF")
            con.execute("PRAGMA synchronous = OFF")
            con.executescript(SCHEMA_SQL)
            con.execute("BEGIN")
            _insert_all(con, project, _result_doc(result), meta)
            con.execute("COMMIT")
        finally:
            con.close()
        replace_durably(tmp, target)
    except BaseException as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise ProjectFileError(f"{target.name}：无法保存项目文件（{exc.strerror or exc}）") from exc
        if isinstance(exc, sqlite3.Error):
            raise ProjectFileError(f"{target.name}：无法保存项目文件（{exc}）") from exc
        raise


def _insert_all(con: sqlite3.Connection, project: Project, result_doc: dict[str, Any] | None,
                meta: dict[str, str]) -> None:
    fingerprint = project.fingerprint()
    saved_at = now_text()
    all_meta = {
        "format": FORMAT_ID,
        "schema_version": str(SCHEMA_VERSION),
        "app_version": __version__,
        "saved_at": saved_at,
        "saved_by": project.user,
        "fingerprint": fingerprint,
        "pid": str(os.getpid()),
        "host": socket.gethostname(),
        "output_dir": project.output_dir,  # a meta key, not a column: older readers ignore it (no schema step)
        **meta,
    }
    prior = None if project.prior is None else _compress(json.dumps(project.prior, ensure_ascii=False))
    con.execute("INSERT INTO project VALUES (1, ?, ?, ?, ?, ?, ?)", (
        project.year, project.scheme_text, project.scheme_source,
        json.dumps([m.to_dict() for m in project.mapping.sheets], ensure_ascii=False), prior, CODEC))
    for fid, rf in enumerate(project.files, 1):
        content = _file_bytes(rf)
        issues = json.dumps([_issue_row(i) for i in rf.issues], ensure_ascii=False)
        if content is None:
            con.execute("INSERT INTO files VALUES (?, ?, ?, ?, NULL, NULL, ?)", (fid, rf.name, rf.path, rf.sha256, issues))
        else:
            con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, zeroblob(?), ?)", (
                fid, rf.name, rf.path, rf.sha256, len(content), len(content), issues))
            _write_blob(con, "files", "content", fid, content)
        for seq, s in enumerate(rf.sheets):
            con.execute("INSERT INTO sheets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                fid, seq, s.sheet, s.file, int(s.is_csv), s.encoding, s.n_rows, s.n_cols,
                json.dumps([[a, b, c, d] for (a, b), (c, d) in s.merged]),
                json.dumps([[r, c] for r, c in s.formula_cells]),
                encode_grid(s.rows), CODEC))
    con.executemany("INSERT INTO read_issues VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(i, *_issue_row(it)) for i, it in enumerate(project.read_issues)])
    con.executemany("INSERT INTO corrections VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(i, c.key, c.field, _encode(c.value), c.reason, c.user, c.time)
                     for i, c in enumerate(project.corrections)])
    con.executemany("INSERT INTO overrides VALUES (?, ?, ?, ?, ?, ?)",
                    [(i, o.key, o.tier, o.reason, o.user, o.time) for i, o in enumerate(project.overrides)])
    con.executemany("INSERT INTO doc_numbers VALUES (?, ?)",
                    [(i, json.dumps(d.to_dict(), ensure_ascii=False)) for i, d in enumerate(project.doc_numbers)])
    con.executemany("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(i, a.time, a.user, a.action, a.target, a.field, a.before, a.after, a.reason)
                     for i, a in enumerate(project.audit)])
    _insert_review(con, project)
    if result_doc is not None:
        doc = jsonblocks.compress(jsonblocks.dumps(result_doc), ZLIB_LEVEL)
        con.execute("INSERT INTO results VALUES (1, ?, ?, ?, zeroblob(?), ?)", (
            saved_at, fingerprint, __version__, len(doc), CODEC))
        _write_blob(con, "results", "doc", 1, doc)
    # Last, so that a torn write (which the temp file + rename already prevents) never reads as a project.
    con.executemany("INSERT INTO meta VALUES (?, ?)", list(all_meta.items()))


BLOB_PIECE = 1 << 20  # bytes per write into a big blob


def _write_blob(con: sqlite3.Connection, table: str, column: str, rowid: int, data: bytes) -> None:
    """Write `data` into a blob already sized for it, a piece at a time. Bound as one parameter,
    SQLite copies a county's workbook (tens of MB) in one call that holds the interpreter lock,
    and the window waits behind the autosave for as long."""
    with con.blobopen(table, column, rowid) as blob:
        view = memoryview(data)
        for start in range(0, len(view), BLOB_PIECE):
            blob.write(view[start:start + BLOB_PIECE])


def _insert_review(con: sqlite3.Connection, project: Project) -> None:
    con.executemany("INSERT INTO resolutions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(i, r.kind, r.key, r.target, r.code, r.reason, r.user, r.time)
                     for i, r in enumerate(project.resolutions)])
    for i, st in enumerate(project.stages):
        con.execute("INSERT INTO stages VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (
            i, st.stage, st.time, st.user, st.note, st.fingerprint,
            jsonblocks.compress(jsonblocks.dumps(st.doc), ZLIB_LEVEL), CODEC))
    for o in project.objections:
        con.execute("INSERT INTO objections VALUES (?, ?)", (o.number, json.dumps(o.to_dict(), ensure_ascii=False,
                                                                                  default=_default)))
        con.executemany("INSERT INTO evidence VALUES (?, ?, ?, ?, ?)",
                        [(o.number, j, e.name, e.sha256, e.data) for j, e in enumerate(o.evidence)])
    con.executemany("INSERT INTO confirmations VALUES (?, ?, ?, ?, ?, ?)",
                    [(c.key, c.status, c.sent, c.returned, json.dumps(c.fields), c.note)
                     for c in project.confirmations.values()])


def _read_review(con: sqlite3.Connection) -> dict[str, Any]:
    resolutions = [Resolution(*r) for r in con.execute(
        "SELECT kind, firm_key, target, issue_code, reason, user_name, at_time FROM resolutions ORDER BY seq")]
    stages = [Stage(stage, t, user, note, fp, json.loads(_decompress(doc, codec))) for stage, t, user, note, fp, doc, codec
              in con.execute("SELECT stage, at_time, user_name, note, fingerprint, doc, codec FROM stages ORDER BY seq")]
    objections = []
    for number, doc in con.execute("SELECT number, doc FROM objections ORDER BY number").fetchall():
        ev = []
        for name, digest, content in con.execute(
                "SELECT name, sha256, content FROM evidence WHERE number = ? ORDER BY seq", (number,)).fetchall():
            if content is not None and sha256(content).hexdigest() != digest:
                raise ValueError(f"异议第 {number} 号的证明材料“{name}”与其 SHA-256 不符")
            ev.append(Evidence(name, digest, None if content is None else bytes(content)))
        objections.append(Objection.from_dict(json.loads(doc, object_hook=_hook_plain), ev))
    confirmations = {k: Confirmation(k, st, sent, ret, json.loads(fields), note) for k, st, sent, ret, fields, note
                     in con.execute("SELECT firm_key, status, sent, returned, fields, note FROM confirmations")}
    return {"resolutions": resolutions, "stages": stages, "objections": objections, "confirmations": confirmations}


def _hook_plain(d: dict[str, Any]) -> Any:
    """Objection documents are dicts of their own; only one-key tagged values are decoded."""
    if len(d) == 1:
        (tag, v), = d.items()
        if tag in _TAGS:
            return _TAGS[tag](v)
    return d


def _issue_row(it: Issue) -> tuple[Any, ...]:
    return (it.level, it.message, it.file, it.sheet, it.row, it.column, it.key, it.code)


def _file_bytes(rf: RawFile) -> bytes | None:
    """The original bytes: kept from the import, else re-read if the file on disk is unchanged."""
    if rf.data is not None:
        return rf.data
    try:
        data = Path(rf.path).read_bytes()
    except OSError:
        return None
    return data if sha256(data).hexdigest() == rf.sha256 else None


# --- opening ----------------------------------------------------------------------------------------

def load_project(path: str | Path) -> Project:
    """Open a project file of this or any older schema version.

    Raises `ProjectFileError` (one Chinese line) for a missing, foreign, corrupt or too new file.
    """
    p = Path(path)
    con = _open(p)
    try:
        return _read_project(con)
    except ProjectFileError:
        raise
    except InputError as exc:
        raise ProjectFileError(f"{p.name}：项目文件内容无效（{exc}）") from exc
    except (sqlite3.Error, ValueError, KeyError, TypeError, IndexError, zlib.error, *CRAFTED) as exc:
        raise ProjectFileError(f"{p.name}：项目文件已损坏，无法读取（{first_line(exc)}）") from exc
    finally:
        con.close()


# A crafted or damaged file may nest JSON ten thousand levels deep or inflate a blob a
# thousandfold: each is a damaged file to the user, never 内部错误.
CRAFTED = (RecursionError, MemoryError, OverflowError)
INFLATE_MIN = 64 << 20  # a blob may always inflate to this much
INFLATE_RATIO = 200  # beyond INFLATE_MIN, at most this many times its stored size (JSON packs 3–10×)


def load_saved_result(path: str | Path) -> dict[str, Any] | None:
    """The `--json` document stored at the last save, or None if it was saved without one."""
    p = Path(path)
    con = _open(p)
    try:
        row = con.execute("SELECT doc, codec FROM results WHERE id = 1").fetchone()
        return None if row is None else json.loads(_decompress(*row))
    except (sqlite3.Error, ValueError, TypeError, zlib.error, *CRAFTED) as exc:
        raise ProjectFileError(f"{p.name}：项目文件中保存的评价结果已损坏（{first_line(exc)}）") from exc
    finally:
        con.close()


@dataclass(frozen=True)
class ProjectInfo:
    """What a file dialog, the recent list or the recovery prompt shows without loading the grids."""

    path: Path
    schema_version: int
    app_version: str
    saved_at: str
    saved_by: str
    kind: str  # project / autosave
    original_path: str  # for an autosave: the project file it belongs to ("" if never saved)
    fingerprint: str
    year: int
    pid: int | None
    host: str


def read_info(path: str | Path) -> ProjectInfo:
    p = Path(path)
    con = _open(p)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        year = con.execute("SELECT year FROM project").fetchone()[0]
        pid = meta.get("pid", "")
        return ProjectInfo(p, int(meta["schema_version"]), meta.get("app_version", ""), meta.get("saved_at", ""),
                           meta.get("saved_by", ""), meta.get("kind", "project"), meta.get("original_path", ""),
                           meta.get("fingerprint", ""), int(year), int(pid) if pid.isdigit() else None,
                           meta.get("host", ""))
    except (sqlite3.Error, ValueError, KeyError, TypeError, *CRAFTED) as exc:
        raise ProjectFileError(f"{p.name}：项目文件已损坏，无法读取（{first_line(exc)}）") from exc
    finally:
        con.close()


def _open(p: Path) -> sqlite3.Connection:
    """The file's database in memory, migrated to `SCHEMA_VERSION`; the file itself is not touched."""
    try:
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise ProjectFileError(f"{p.name}：项目文件不存在（{p}）") from exc
    except OSError as exc:
        raise ProjectFileError(f"{p.name}：无法打开项目文件（{exc.strerror or exc}）") from exc
    if not data.startswith(SQLITE_MAGIC):
        raise ProjectFileError(f"{p.name}：不是亩均效益评价项目文件（.mujun），或文件已损坏")
    con = sqlite3.connect(":memory:", isolation_level=None)
    try:
        if hasattr(con, "deserialize"):
            con.deserialize(data)
        else:  # SQLite built without deserialize: copy through a read-only connection instead
            src = sqlite3.connect(p.resolve().as_uri() + "?mode=ro", uri=True)
            try:
                src.backup(con)
            finally:
                src.close()
        try:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as exc:  # an SQLite header but no readable meta: damaged or truncated
            raise ProjectFileError(f"{p.name}：项目文件已损坏或不完整，无法读取（{first_line(exc)}）") from exc
        if meta.get("format") != FORMAT_ID:
            raise ProjectFileError(f"{p.name}：不是亩均效益评价项目文件（.mujun）")
        try:
            version = int(meta.get("schema_version", ""))
        except ValueError as exc:
            raise ProjectFileError(f"{p.name}：项目文件已损坏（格式版本无效）") from exc
        if version > SCHEMA_VERSION:
            raise ProjectFileError(
                f"{p.name}：该项目文件由更新版本的程序保存（文件格式版本 {version}，本程序支持到 {SCHEMA_VERSION}），"
                "请升级本程序后再打开")
        if version < 1:
            raise ProjectFileError(f"{p.name}：项目文件已损坏（格式版本 {version} 无效）")
        migrate(con, version)
        return con
    except ProjectFileError:
        con.close()
        raise
    except (sqlite3.Error, ValueError, KeyError, TypeError, zlib.error) as exc:
        con.close()
        raise ProjectFileError(f"{p.name}：项目文件已损坏，无法读取（{first_line(exc)}）") from exc


def migrate(con: sqlite3.Connection, version: int) -> None:
    """Bring an in-memory database from `version` up to `SCHEMA_VERSION`, one step at a time."""
    while version < SCHEMA_VERSION:
        con.execute("BEGIN")
        MIGRATIONS[version](con)
        version += 1
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
        con.execute("COMMIT")


def _read_project(con: sqlite3.Connection) -> Project:
    row = con.execute("SELECT year, scheme_text, scheme_source, mapping, prior_doc, codec FROM project WHERE id = 1"
                      ).fetchone()
    if row is None:
        raise ValueError("project row missing")
    year, scheme_text, scheme_source, mapping_json, prior_blob, codec = row
    rules = json.loads(mapping_json)
    mapping = mapping_from_dict({"sheet": rules}, "项目文件中的列对应设置")
    files: list[RawFile] = []
    for fid, name, path, digest, content, issues_json in con.execute(
            "SELECT id, name, path, sha256, content, issues FROM files ORDER BY id").fetchall():
        if content is not None and sha256(content).hexdigest() != digest:
            raise ValueError(f"其中保存的原始文件“{name}”与其 SHA-256 不符")
        sheets = []
        for sname, shown, is_csv, enc, merged, formulas, grid, codec in con.execute(
                "SELECT name, shown_file, is_csv, encoding, merged, formula_cells, grid, codec FROM sheets "
                "WHERE file_id = ? ORDER BY seq", (fid,)).fetchall():
            sheets.append(RawSheet(
                shown, sname, decode_grid(grid, codec),
                merged=[((a, b), (c, d)) for a, b, c, d in json.loads(merged)],
                formula_cells=[(r, c) for r, c in json.loads(formulas)],
                encoding=enc, is_csv=bool(is_csv)))
        files.append(RawFile(path, name, digest, sheets, [_issue(r) for r in json.loads(issues_json)],
                             data=None if content is None else bytes(content)))
    read_issues = [_issue(r) for r in con.execute(
        "SELECT level, message, file, sheet, row_no, col, firm_key, code FROM read_issues ORDER BY seq").fetchall()]
    corrections = [Correction(k, f, _decode(v), reason, user, t) for k, f, v, reason, user, t in con.execute(
        "SELECT firm_key, field_id, value, reason, user_name, at_time FROM corrections ORDER BY seq").fetchall()]
    overrides = [TierOverride(*r) for r in con.execute(
        "SELECT firm_key, tier, reason, user_name, at_time FROM overrides ORDER BY seq").fetchall()]
    audit = [AuditEntry(*r) for r in con.execute(
        "SELECT at_time, user_name, action, target, field_id, old_value, new_value, reason FROM audit ORDER BY seq"
    ).fetchall()]
    doc_numbers = [DocNumber.from_dict(json.loads(e)) for (e,) in con.execute(
        "SELECT entry FROM doc_numbers ORDER BY seq").fetchall()]
    out_dir = con.execute("SELECT value FROM meta WHERE key = 'output_dir'").fetchone()
    return Project(year=int(year), scheme_text=scheme_text, scheme_source=scheme_source, files=files,
                   mapping=mapping, corrections=corrections, overrides=overrides, audit=audit,
                   doc_numbers=doc_numbers, output_dir=out_dir[0] if out_dir else "",
                   prior=None if prior_blob is None else json.loads(_decompress(prior_blob, codec)),
                   read_issues=read_issues, **_read_review(con))


def _issue(r: Any) -> Issue:
    """A stored notice: seven fields before v3, eight (with the code) since."""
    level, message, file, sheet, row, column, key, *code = r
    return Issue(level, message, file, sheet, row, column, key, code[0] if code else "")




# --- autosave and crash recovery --------------------------------------------------------------------

def autosave_path(path: str | Path | None) -> Path:
    """Where the autosave of `path` goes: beside it (`评价.mujun.autosave`), or, for a project
    never saved, in the per-user autosave folder under a name unique to this session."""
    if path is None:
        return autosave_dir() / f"未命名-{_SESSION}{SUFFIX}{AUTOSAVE_SUFFIX}"
    p = Path(path)
    return p.with_name(p.name + AUTOSAVE_SUFFIX)


def _fallback_autosave_path(path: str | Path) -> Path:
    """Used when the project's own folder cannot be written (read-only share, USB write lock)."""
    p = Path(path).resolve()
    tag = sha256(os.path.normcase(str(p)).encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return autosave_dir() / f"{p.stem}-{tag}{SUFFIX}{AUTOSAVE_SUFFIX}"


def write_autosave(project: Project, path: str | Path | None, result: Any = None) -> Path:
    """Save a recovery copy of the project being edited; returns where it went.

    The project file itself is never touched, so the user's last explicit save stays what it was.
    """
    meta = _autosave_meta(None if path is None else Path(path))
    target = autosave_path(path)
    if path is None:
        ensure_dir(target.parent)
        _write(project, target, result, meta)
        return target
    try:
        _write(project, target, result, meta)
        return target
    except ProjectFileError:
        fallback = _fallback_autosave_path(path)
        ensure_dir(fallback.parent)
        _write(project, fallback, result, meta)
        return fallback


def _autosave_meta(original: Path | None) -> dict[str, str]:
    return {"kind": "autosave", "original_path": "" if original is None else str(original.resolve())}


def discard_autosave(path: str | Path | None) -> None:
    """Remove the autosave(s) of `path` (after a save, or when the user declines recovery)."""
    candidates = [autosave_path(path)] + ([] if path is None else [_fallback_autosave_path(path)])
    for c in candidates:
        try:
            c.unlink(missing_ok=True)
        except OSError:
            pass


@dataclass(frozen=True)
class Recoverable:
    """An autosave left by a session that did not close normally."""

    autosave: Path
    original: Path | None  # the project file it belongs to; None for a project never saved
    saved_at: str
    saved_by: str
    year: int


def find_recoverable(path: str | Path | None = None, candidates: list[Path] | None = None) -> list[Recoverable]:
    """Autosaves worth offering to restore, newest first.

    With `path`: the autosave of that project if it is newer than the project file. Without: every
    autosave in the per-user folder plus those beside `candidates` (e.g. the recent-files list),
    except the ones this very process is writing.
    """
    if path is not None:
        found = [autosave_path(path), _fallback_autosave_path(path)]
    else:
        d = autosave_dir()
        found = sorted(d.glob(f"*{SUFFIX}{AUTOSAVE_SUFFIX}")) if d.is_dir() else []
        found += [autosave_path(c) for c in candidates or []]
    out: dict[Path, Recoverable] = {}
    me = (os.getpid(), socket.gethostname())
    for a in found:
        if a in out or not a.is_file():
            continue
        try:
            info = read_info(a)
        except ProjectFileError:
            continue
        if info.kind != "autosave" or (info.pid, info.host) == me:
            continue
        original = Path(info.original_path) if info.original_path else None
        if original is not None and original.exists():
            try:
                if original.stat().st_mtime >= a.stat().st_mtime:
                    continue  # saved after the last autosave: nothing to recover
            except OSError:
                pass
        out[a] = Recoverable(a, original, info.saved_at, info.saved_by, info.year)
    return sorted(out.values(), key=lambda r: r.saved_at, reverse=True)


def recover(item: Recoverable | str | Path) -> Project:
    """Open an autosave as the project to continue with; the recovery itself goes in the audit log.

    The caller saves it (to `item.original` or a new file) and then calls `discard_autosave`.
    """
    p = item.autosave if isinstance(item, Recoverable) else Path(item)
    project = load_project(p)
    info = read_info(p)
    project.audit.append(AuditEntry(now_text(), project.user, "recover", p.name,
                                    after=f"自动保存于 {info.saved_at}（{info.saved_by}）"))
    return project
