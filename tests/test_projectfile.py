"""The `.mujun` project file: same result on reopening, no loss on a crash, old files still open."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from evaluator.method.scheme import load_scheme
from evaluator.outputs.json_result import to_json_dict
from evaluator.project import file as pf
from evaluator.project.file import (
    SCHEMA_VERSION,
    ProjectFileError,
    autosave_path,
    discard_autosave,
    find_recoverable,
    load_project,
    load_saved_result,
    read_info,
    recover,
    save_project,
    write_autosave,
)
from evaluator.project.model import Project, new_project
from evaluator.read.files import RawFile, RawSheet

from .conftest import ROOT

FIXTURE_V1 = ROOT / "tests" / "fixtures" / "project_v1.mujun"


@pytest.fixture(scope="module")
def edited(sample_files):
    """The sample county with one correction and one tier override, and its result."""
    project = new_project(2025)
    assert project.add_files(sample_files) == []
    first = to_json_dict(project.run())
    above = [e for e in first["enterprises"] if e["population"] == "above"]
    d_firm = next(e for e in above if e["tier"] == "D")
    corrected = next(e for e in above if e["tier"] == "A")
    project.add_correction(corrected["credit_code"], "land", 500.0, "现场核实：含新征地块", before="")
    project.set_override(d_firm["credit_code"], "C", "复核：企业已完成整改", before="D")
    result = project.run()
    return project, result, d_firm["credit_code"], corrected["credit_code"]


def test_reopened_project_reproduces_the_saved_result_exactly(tmp_path, edited):
    project, result, overridden, corrected = edited
    path = tmp_path / "示范县2025.mujun"
    save_project(project, path, result)
    doc = to_json_dict(result)
    by_code = {e["credit_code"]: e for e in doc["enterprises"]}
    assert by_code[overridden]["initial_tier"] == "D" and by_code[overridden]["tier"] == "C"
    assert by_code[corrected]["indicators"]["tax_per_mu"] is not None

    loaded = load_project(path)
    assert loaded.files == project.files
    assert loaded.mapping == project.mapping
    assert loaded.corrections == project.corrections and loaded.overrides == project.overrides
    assert loaded.audit == project.audit and loaded.read_issues == project.read_issues
    assert (loaded.year, loaded.scheme_text, loaded.scheme_source) == (project.year, project.scheme_text, project.scheme_source)
    assert loaded.fingerprint() == project.fingerprint()
    assert load_saved_result(path) == doc
    assert to_json_dict(loaded.run()) == doc
    # The reopened result serialises to the same bytes as the evaluation's --json.
    assert json.dumps(to_json_dict(loaded.run()), ensure_ascii=False, indent=1) == json.dumps(doc, ensure_ascii=False, indent=1)


def test_original_file_bytes_are_kept_and_survive_a_resave_without_the_sources(tmp_path, sample_files):
    src = tmp_path / "src"
    src.mkdir()
    copies = [Path(shutil.copy(f, src / f.name)) for f in sample_files[:2]]
    project = new_project(2025)
    project.add_files(copies)
    first = tmp_path / "a.mujun"
    save_project(project, first)
    shutil.rmtree(src)  # the department's files are gone
    again = tmp_path / "b.mujun"
    save_project(load_project(first), again)
    for f, original in zip(load_project(again).files, sample_files[:2]):
        assert f.data == original.read_bytes()
        assert hashlib.sha256(f.data).hexdigest() == f.sha256
    assert load_saved_result(again) is None


def test_cell_types_are_preserved(tmp_path):
    rows = [
        ["文本", "", "=1+1", "含\x00空字符", "😀", "-"],
        [1.0, 1, -0.0, 1e-300, 12345678901234567890, True],
        [dt.date(2024, 2, 29), dt.datetime(2025, 1, 2, 3, 4, 5, 678901), dt.time(8, 30), dt.timedelta(days=2, seconds=5),
         None, float("nan")],
        [False, 0, 0.1 + 0.2, float("inf"), "1", "2025-01-01"],
    ]
    sheet = RawSheet("x.xlsx", "表1", rows, merged=[((0, 0), (0, 5))], formula_cells=[(3, 4)])
    csv_sheet = RawSheet("y.csv", "y", [["a", "b"], ["1", ""]], encoding="gb18030", is_csv=True)
    project = Project(year=2025, scheme_text=load_scheme("reference").text, scheme_source="reference",
                      files=[RawFile("D:/数据/x.xlsx", "x.xlsx", "0" * 64, [sheet]),
                             RawFile("y.csv", "y.csv", "1" * 64, [csv_sheet])])
    path = tmp_path / "types.mujun"
    save_project(project, path)
    back = load_project(path).files
    assert [f.data for f in back] == [None, None]  # bytes were not available: recorded as missing, not invented
    got = back[0].sheets[0]
    assert (got.merged, got.formula_cells, got.file, got.sheet) == (sheet.merged, sheet.formula_cells, "x.xlsx", "表1")
    for r0, r1 in zip(rows, got.rows):
        for a, b in zip(r0, r1):
            assert type(a) is type(b), (a, b)
            assert (isinstance(a, float) and math.isnan(a) and math.isnan(b)) or repr(a) == repr(b)
    assert back[1].sheets[0] == csv_sheet


def test_correction_values_keep_their_type(tmp_path):
    project = Project(year=2025, scheme_text=load_scheme("reference").text)
    project.add_correction("A", "land", 12.5, "核实")
    project.add_correction("A", "employees", 30, "核实")
    project.add_correction("A", "township", "城关镇", "核实")
    project.add_correction("A", "tax", None, "数据作废")
    save_project(project, tmp_path / "c.mujun")
    assert [(c.value, type(c.value)) for c in load_project(tmp_path / "c.mujun").corrections] == [
        (12.5, float), (30, int), ("城关镇", str), (None, type(None))]


# --- crash safety ---------------------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import hashlib, sys, time
    sys.path.insert(0, {root!r})
    from evaluator.project import file as pf
    from evaluator.project.model import Project
    from evaluator.read.files import RawFile, RawSheet
    from evaluator.method.scheme import load_scheme

    rows = [[f"企业{{i}}", float(i), i, "913303810000000000"] * 4 for i in range(60000)]
    data = b"x" * 5_000_000
    big = Project(year=2025, scheme_text=load_scheme("reference").text,
                  files=[RawFile("big.csv", "big.csv", hashlib.sha256(data).hexdigest(), [RawSheet("big.csv", "s", rows)],
                                 data=data)])
    mode = sys.argv[1]
    if mode == "hook":
        real = pf.encode_grid
        def slow(grid):
            out = real(grid)
            print("WRITING", flush=True)  # the temp database is open and half written
            time.sleep(120)
            return out
        pf.encode_grid = slow
        pf.save_project(big, sys.argv[2])
    else:
        print("LOOP", flush=True)
        while True:
            pf.save_project(big, sys.argv[2])
""")


def _small_project() -> Project:
    rows = [["企业名称", "统一社会信用代码"], ["甲", "913303810000000011"]]
    return Project(year=2024, scheme_text=load_scheme("reference").text,
                   files=[RawFile("s.csv", "s.csv", hashlib.sha256(b"small").hexdigest(), [RawSheet("s.csv", "s", rows)],
                                  data=b"small")])


def _child(tmp_path: Path, mode: str, target: Path) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=str(ROOT)), encoding="utf-8")
    return subprocess.Popen([sys.executable, str(script), mode, str(target)], stdout=subprocess.PIPE, text=True)


def test_killed_while_writing_leaves_the_previous_file_intact(tmp_path):
    target = tmp_path / "项目[终稿].mujun"  # brackets: the temp-file sweep must not read them as a glob
    save_project(_small_project(), target)
    before = target.read_bytes()
    child = _child(tmp_path, "hook", target)
    try:
        assert child.stdout.readline().strip() == "WRITING"
        temps = [p for p in tmp_path.iterdir() if p.name.startswith(".项目[终稿].mujun.") and p.suffix == ".tmp"]
        assert temps and temps[0].stat().st_size > 0  # killed mid-write, not before it started
    finally:
        child.kill()
        child.wait(timeout=30)
    assert target.read_bytes() == before
    assert load_project(target).files == _small_project().files

    # The next successful save clears the dead save's temp file once it is stale.
    old = time.time() - 3600
    for t in temps:
        os.utime(t, (old, old))
    save_project(_small_project(), target)
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_killed_at_a_random_moment_of_repeated_saves_the_file_is_always_whole(tmp_path):
    target = tmp_path / "p.mujun"
    save_project(_small_project(), target)
    child = _child(tmp_path, "loop", target)
    try:
        assert child.stdout.readline().strip() == "LOOP"
        time.sleep(1.5)  # several saves of a ~10 MB project are under way by now
    finally:
        child.kill()
        child.wait(timeout=30)
    loaded = load_project(target)  # either the small project or the big one, whole, never a broken file
    assert [(loaded.year, f.name, s.n_rows) for f in loaded.files for s in f.sheets] in ([(2024, "s.csv", 2)],
                                                                                         [(2025, "big.csv", 60000)])


# --- versions and damage --------------------------------------------------------------------------

def test_version_1_file_opens_migrates_in_memory_and_evaluates(tmp_path):
    path = tmp_path / "old.mujun"
    shutil.copy(FIXTURE_V1, path)
    raw = path.read_bytes()
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
    con.close()

    project = load_project(path)
    assert path.read_bytes() == raw  # opening never writes
    assert read_info(path).schema_version == SCHEMA_VERSION
    assert [f.name for f in project.files] == ["统计局_小样本.csv", "工信局_认定名单.xlsx"]
    assert all(hashlib.sha256(f.data).hexdigest() == f.sha256 for f in project.files)
    flags = project.files[1].sheets[0]
    assert isinstance(flags.rows[2][4], dt.date) and flags.merged == [((0, 0), (0, 4))]
    assert [a.action for a in project.audit] == ["import", "import", "correction", "override"]

    assert project.prior["year"] == 2024
    doc = to_json_dict(project.run())
    above = doc["summary"]["above"]
    # Σ tax / Σ land over the 4 evaluated 规上 firms, with 丙's land corrected from 80 to 75 亩.
    assert above["benchmarks"]["tax_per_mu"] == pytest.approx((300 + 240 + 160 + 60) / (50 + 30 + 75 + 40))
    by_name = {e["name"]: e for e in doc["enterprises"]}
    assert (by_name["示范县丁化工有限公司"]["initial_tier"], by_name["示范县丁化工有限公司"]["tier"]) == ("C", "B")
    assert by_name["示范县辛热力有限公司"]["status"] == "exempt"
    assert [by_name[n]["prior_tier"] for n in ("示范县甲机械有限公司", "示范县乙电子有限公司", "示范县丁化工有限公司")] == [
        "A", None, "D"]
    saved = load_saved_result(path)
    assert [e["credit_code"] for e in saved["enterprises"]] == [e["credit_code"] for e in doc["enterprises"]]

    resaved = tmp_path / "new.mujun"
    save_project(project, resaved)
    assert read_info(resaved).schema_version == SCHEMA_VERSION
    con = sqlite3.connect(resaved)
    assert "grid_json" not in [r[1] for r in con.execute("PRAGMA table_info(sheets)")]
    con.close()


def test_file_from_a_newer_version_is_refused_clearly(tmp_path):
    path = tmp_path / "future.mujun"
    save_project(_small_project(), path)
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(ProjectFileError, match="更新版本"):
        load_project(path)


def _damaged(tmp_path: Path) -> dict[str, Path]:
    good = tmp_path / "good.mujun"
    save_project(_small_project(), good)
    out = {}
    out["text"] = tmp_path / "text.mujun"
    out["text"].write_text("这不是项目文件", encoding="utf-8")
    out["empty"] = tmp_path / "empty.mujun"
    out["empty"].write_bytes(b"")
    out["truncated"] = tmp_path / "truncated.mujun"
    out["truncated"].write_bytes(good.read_bytes()[:3000])
    out["foreign"] = tmp_path / "foreign.mujun"
    con = sqlite3.connect(out["foreign"])
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    for name, sql in (("grid", "UPDATE sheets SET grid = x'00112233'"),
                      ("bytes", "UPDATE files SET content = x'00'"),
                      ("no_project", "DELETE FROM project")):
        out[name] = tmp_path / f"{name}.mujun"
        shutil.copy(good, out[name])
        con = sqlite3.connect(out[name])
        con.execute(sql)
        con.commit()
        con.close()
    out["missing"] = tmp_path / "missing.mujun"
    return out


def test_damaged_or_foreign_files_give_one_chinese_line(tmp_path):
    for kind, path in _damaged(tmp_path).items():
        with pytest.raises(ProjectFileError) as info:
            load_project(path)
        msg = str(info.value)
        assert path.name in msg and "\n" not in msg, kind
        assert any(w in msg for w in ("损坏", "不是", "不存在")), (kind, msg)


def test_save_into_a_missing_folder_fails_cleanly_and_leaves_no_temp(tmp_path):
    with pytest.raises(ProjectFileError, match="不存在"):
        save_project(_small_project(), tmp_path / "没有这个文件夹" / "x.mujun")
    save_project(_small_project(), tmp_path / "x.mujun")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mujun"]


# --- autosave and recovery ------------------------------------------------------------------------

def _as_if_from_a_dead_session(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = '999999999' WHERE key = 'pid'")
    con.commit()
    con.close()


def test_autosave_of_an_unsaved_project_is_offered_after_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(tmp_path / "cfg"))
    project = _small_project()
    project.add_correction("913303810000000011", "land", 9.0, "电话核实")
    where = write_autosave(project, None)
    assert where == autosave_path(None) and where.parent == tmp_path / "cfg" / "autosave"
    assert find_recoverable() == []  # this session's own autosave is not a crash
    _as_if_from_a_dead_session(where)
    (item,) = find_recoverable()
    assert item.original is None and item.year == 2024
    back = recover(item)
    assert back.corrections == project.corrections and back.files == project.files
    assert back.audit[-1].action == "recover"
    discard_autosave(None)
    assert find_recoverable() == []


def test_autosave_beside_a_saved_project_until_the_next_save(tmp_path, monkeypatch):
    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(tmp_path / "cfg"))
    path = tmp_path / "评价.mujun"
    project = _small_project()
    save_project(project, path)
    project.set_override("913303810000000011", "A", "复核")
    where = write_autosave(project, path)
    assert where == tmp_path / "评价.mujun.autosave"
    _as_if_from_a_dead_session(where)
    later = time.time() + 5
    os.utime(where, (later, later))
    (item,) = find_recoverable(path)
    assert item.original == path.resolve()
    assert find_recoverable(candidates=[path]) == [item]
    assert recover(item).overrides == project.overrides
    save_project(project, path)  # an explicit save makes the autosave obsolete
    assert not where.exists() and find_recoverable(path) == []


def test_saving_straight_to_an_autosave_path_is_recoverable_too(tmp_path, monkeypatch):
    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(tmp_path / "cfg"))
    path = tmp_path / "评价.mujun"
    save_project(_small_project(), autosave_path(path))
    save_project(_small_project(), autosave_path(None))
    for a in (autosave_path(path), autosave_path(None)):
        _as_if_from_a_dead_session(a)
    found = {r.autosave: r.original for r in find_recoverable()}
    assert found == {autosave_path(None): None}  # the one beside 评价.mujun is found through its project
    (item,) = find_recoverable(path)
    assert item.original == path.resolve()


def test_autosave_falls_back_to_the_user_folder_when_the_project_folder_is_unusable(tmp_path, monkeypatch):
    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(tmp_path / "cfg"))
    path = tmp_path / "已拔出的U盘" / "评价.mujun"
    where = write_autosave(_small_project(), path)
    assert where.parent == tmp_path / "cfg" / "autosave" and where.exists()
    _as_if_from_a_dead_session(where)
    (item,) = find_recoverable(path)
    assert item.autosave == where
    discard_autosave(path)
    assert not where.exists()


def test_schema_sql_and_migrations_cover_every_version():
    assert sorted(pf.MIGRATIONS) == list(range(1, SCHEMA_VERSION))


# --- recent files and the user folder -------------------------------------------------------------

def test_recent_list_is_most_recent_first_without_duplicates_and_capped(tmp_path, monkeypatch):
    from evaluator.project.recent import (
        MAX_RECENT,
        add_recent,
        load_recent,
        recent_path,
        remove_recent,
    )

    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(tmp_path / "cfg"))
    assert load_recent() == []
    files = [tmp_path / f"{i}.mujun" for i in range(MAX_RECENT + 2)]
    for f in files:
        f.write_bytes(b"")
        add_recent(f)
    add_recent(files[3])
    assert load_recent() == [files[3]] + [f for f in reversed(files) if f != files[3]][:MAX_RECENT - 1]
    files[5].unlink()
    assert files[5] in load_recent() and files[5] not in load_recent(existing_only=True)
    remove_recent(files[3])
    assert files[3] not in load_recent()
    recent_path().write_text("{损坏", encoding="utf-8")
    assert load_recent() == []  # a damaged list is an empty one, never an error


def test_config_dir_follows_the_platform_and_the_override(monkeypatch, tmp_path):
    from evaluator.core import userdirs as userdirs

    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(tmp_path))
    assert userdirs.config_dir() == tmp_path
    monkeypatch.delenv("MUJUN_CONFIG_DIR")
    monkeypatch.setattr(userdirs.sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", "C:/Users/zhang/AppData/Roaming")
    assert userdirs.config_dir() == Path("C:/Users/zhang/AppData/Roaming/Mujun")
    monkeypatch.setattr(userdirs.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert userdirs.config_dir() == tmp_path / "xdg" / "mujun"
