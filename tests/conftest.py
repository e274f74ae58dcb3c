"""Shared test set-up: Qt offscreen, a private config dir, no system fonts, the sample county run once."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Always a private folder (never the developer's own MUJUN_CONFIG_DIR); settings follow it unless
# MUJUN_SETTINGS names a file, so an outer one must not leak into the tests either.
os.environ["MUJUN_CONFIG_DIR"] = tempfile.mkdtemp(prefix="mujun-test-config-")
os.environ.pop("MUJUN_SETTINGS", None)
# No system fonts: the PDFs are made with the fonts shipped in templates/fonts/ only, so a green run
# proves that a machine without any Chinese font works (a test that wants system fonts unsets it).
os.environ["MUJUN_NO_SYSTEM_FONTS"] = "1"

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
# The order an official would give them: statistics first (it wins conflicts), then tax, land, power, flags.
SAMPLE_FILES = [
    SAMPLE / "统计局_工业企业主要指标.xlsx",
    SAMPLE / "税务局_实缴税金.xls",
    SAMPLE / "自然资源局_工业用地.xlsx",
    SAMPLE / "供电公司_用电量.csv",
    SAMPLE / "工信局_企业认定名单.xlsx",
]


@pytest.fixture(scope="session")
def sample_files() -> list[Path]:
    return list(SAMPLE_FILES)


@pytest.fixture(scope="session")
def sample_result():
    from evaluator.method.scheme import load_scheme
    from evaluator.pipeline.run import run

    return run(SAMPLE_FILES, load_scheme("reference"), 2025)


@pytest.fixture(scope="session")
def expected() -> dict:
    import json

    return json.loads((SAMPLE / "expected.json").read_text(encoding="utf-8"))
