"""The command line on the demo county."""

from __future__ import annotations

import json
import subprocess
import sys

from evaluator.app.cli import main

from .conftest import ROOT, SAMPLE_FILES


def test_evaluate_sample_county_writes_method_json(tmp_path, capsys):
    out = tmp_path / "result.json"
    rc = main(["evaluate", *map(str, SAMPLE_FILES), "--year", "2025", "--json", str(out), "--issues", "none"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "企业 303 家" in text and "规上企业：共 160 家" in text
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["summary"]["above"]["evaluated"] == 153 and sum(d["summary"]["above"]["tiers"].values()) == 153


def test_schemes_lists_all_templates(capsys):
    assert main(["schemes"]) == 0
    out = capsys.readouterr().out
    for sid in ("reference", "huangyan-2022", "huaian-2024", "anhui-city"):
        assert sid in out


def test_python_dash_m_and_help():
    r = subprocess.run([sys.executable, "-m", "evaluator", "evaluate", "--help"], capture_output=True, text=True,
                       cwd=ROOT, encoding="utf-8")
    assert r.returncode == 0 and "--scheme" in r.stdout and "--year" in r.stdout and "--mapping" in r.stdout


def test_mapping_file_errors_are_one_line(tmp_path, capsys):
    m = tmp_path / "m.toml"
    m.write_text('[[sheet]]\nfile = "*"\n[sheet.columns]\n"户名" = "nmae"\n', encoding="utf-8")
    rc = main(["evaluate", str(SAMPLE_FILES[0]), "--year", "2025", "--mapping", str(m)])
    err = capsys.readouterr().err
    assert rc == 2 and "m.toml" in err and "nmae" in err and "Traceback" not in err
