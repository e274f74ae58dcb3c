"""One data fingerprint: the letters, the graded list, the summary, the JSON, the project and the
audit workbook of one evaluation print the same verification code, whether they came from
`mujun evaluate`, `mujun report` or the desktop app's export."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from evaluator.app.cli import main
from evaluator.pipeline.fingerprint import (
    data_fingerprint,
    fingerprint_of,
    verification_code,
)
from evaluator.project.file import load_project
from evaluator.read.mapping import Mapping, SheetMapping

from .outputs_fixtures import flat, pdf_text

CODE = re.compile(r"核验码：([0-9A-Z]{4}-[0-9A-Z]{4})")
TIMEOUT = 120_000


def _letter_code(folder: Path) -> str:
    pdf = min(folder.glob("0*.pdf"))
    found = set(CODE.findall(flat(pdf_text(pdf))))
    assert len(found) == 1, found
    return found.pop()


def _book_code(path: Path) -> str:
    ws = openpyxl.load_workbook(path, read_only=True)["说明"]
    for row in ws.iter_rows(values_only=True):
        if row[0] == "核验码":
            return str(row[1])[:9]
    raise AssertionError("no 核验码 row")


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory, sample_files):
    d = tmp_path_factory.mktemp("fp")
    settings = d / "settings.toml"
    settings.write_text('[authority]\nissue_date = "2026-03-01"\n', encoding="utf-8")
    rc = main(["evaluate", *map(str, sample_files), "--year", "2025", "--json", str(d / "r.json"),
               "--project", str(d / "县.mujun"), "--letters", str(d / "letters"), "--letters-tier", "A",
               "--xlsx", str(d / "名单.xlsx"), "--settings", str(settings), "--issues", "none"])
    assert rc == 0
    return d


def test_cli_outputs_and_project_print_one_fingerprint(cli_run, sample_result):
    fp = json.loads((cli_run / "r.json").read_text(encoding="utf-8"))["data_fingerprint"]
    code = verification_code(fp)
    assert _letter_code(cli_run / "letters") == code
    assert _book_code(cli_run / "名单.xlsx") == code
    project = load_project(cli_run / "县.mujun")
    assert project.fingerprint() == fp == data_fingerprint(project.run())
    assert fp == data_fingerprint(sample_result)  # the same files without a project: the same fingerprint


def test_report_and_the_apps_export_print_the_same_code(cli_run, qtbot, monkeypatch, tmp_path):
    code = verification_code(json.loads((cli_run / "r.json").read_text(encoding="utf-8"))["data_fingerprint"])
    proj = tmp_path / "县.mujun"
    shutil.copy(cli_run / "县.mujun", proj)
    assert main(["report", str(proj), "--letters", str(tmp_path / "report"), "--letters-tier", "A",
                 "--settings", str(cli_run / "settings.toml")]) == 0
    assert _letter_code(tmp_path / "report") == code
    # the report kept the numbers the evaluation gave (a reprint is the same document)
    assert sorted(p.name for p in (tmp_path / "report").glob("*.pdf")) == sorted(
        p.name for p in (cli_run / "letters").glob("*.pdf"))
    assert len(load_project(proj).doc_numbers) == len(list((cli_run / "letters").glob("*.pdf")))
    exported = [a for a in load_project(proj).audit if a.action == "export"]  # the command line records it too
    assert exported and exported[-1].target == "告知书" and f"核验码 {code}" in exported[-1].after

    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(tmp_path / "config"))
    from ui.main_window import MainWindow

    w = MainWindow()
    w.ask_unsaved = lambda: "discard"
    qtbot.addWidget(w)
    s = w.session
    s.open(proj)
    qtbot.waitUntil(lambda: not s.busy and s.result is not None and not w.refresh_pending(), timeout=TIMEOUT)
    exp = w.export_page
    exp.set_out_dir(tmp_path / "app")
    key = str(s.result.table.index[s.result.table["tier"] == "A"][0])
    assert exp.export_letters(keys=[key], scope_name="选中企业", out_dir=tmp_path / "app", combined=False)
    qtbot.waitUntil(lambda: not exp.runner.busy, timeout=TIMEOUT)
    assert exp.last_error == ""
    assert _letter_code(tmp_path / "app") == code
    assert [a.action for a in s.project.audit[-2:]] == ["doc_numbers", "export"]  # the app records what it issued
    s.cancel()
    exp.runner.cancel()


def test_the_fingerprint_covers_the_mapping_and_every_input():
    base = {"year": 2025, "scheme_text": "x", "file_digests": ["a", "b"], "mapping": Mapping(), "corrections": [],
            "overrides": []}
    fp = fingerprint_of(**base)  # type: ignore[arg-type]
    assert fp == fingerprint_of(**{**base, "mapping": None})  # type: ignore[arg-type]
    changed = [
        {"year": 2024}, {"scheme_text": "y"}, {"file_digests": ["b", "a"]},
        {"mapping": Mapping([SheetMapping(file="税务局.xls", sheet="*", header_row=3)])},
    ]
    for change in changed:
        assert fingerprint_of(**{**base, **change}) != fp, change  # type: ignore[arg-type]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", verification_code(fp))


def test_reissue_after_review_supersedes_numbers_explicitly_and_prints_the_stage(cli_run, tmp_path):
    proj = tmp_path / "县.mujun"
    shutil.copy(cli_run / "县.mujun", proj)
    before = {d.key: d.serial for d in load_project(proj).doc_numbers}
    assert main(["report", str(proj), "--letters", str(tmp_path / "复核"), "--letters-tier", "A", "--reissue",
                 "supersede", "--stage", "复核后结果", "--settings", str(cli_run / "settings.toml")]) == 0
    reg = load_project(proj).doc_numbers
    old = [d for d in reg if d.replaced_by]
    new = {d.key: d.serial for d in reg if not d.replaced_by}
    assert len(old) == len(before) and set(new) == set(before)
    assert min(new.values()) == max(before.values()) + 1  # new numbers continue the register
    text = flat(pdf_text(min((tmp_path / "复核").glob("0*.pdf"))))
    assert "（复核后结果）" in text
    assert [a.action for a in load_project(proj).audit[-2:]] == ["doc_numbers", "export"]
