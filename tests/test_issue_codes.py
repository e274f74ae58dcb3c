"""Every data-check finding carries a stable code beside its Chinese message."""

import pytest

from evaluator.core.issues import ISSUE_CODES, Issue


def test_unknown_code_is_refused():
    with pytest.raises(ValueError):
        Issue("error", "x", code="no_such_code")


def test_code_goes_into_the_json_form():
    it = Issue("error", "用地面积为 0 亩", "用地.xlsx", "Sheet1", 7, "用地面积", "K", code="land_not_positive")
    assert it.to_json() == {"level": "error", "message": "用地面积为 0 亩", "file": "用地.xlsx", "sheet": "Sheet1",
                            "row": 7, "column": "用地面积", "code": "land_not_positive"}


def test_codes_have_chinese_titles():
    assert all(code.isascii() and code == code.lower() and title for code, title in ISSUE_CODES.items())
