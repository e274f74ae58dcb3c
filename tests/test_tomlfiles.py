"""Broken TOML files an official edited: one Chinese line naming the kind of file and the file."""

from __future__ import annotations

import pytest

from evaluator.core.issues import InputError
from evaluator.method.scheme import load_scheme
from evaluator.outputs.letter_template import load_letter_template
from evaluator.read.mapping import load_mapping


@pytest.mark.parametrize("load, what", [(load_scheme, "方案文件"), (load_letter_template, "告知书模板"),
                                        (load_mapping, "映射文件")])
def test_each_failure_names_the_kind_and_the_file(tmp_path, load, what) -> None:
    bad_toml = tmp_path / "坏.toml"
    bad_toml.write_text("[未闭合\n", encoding="utf-8")
    gbk = tmp_path / "编码.toml"
    gbk.write_bytes("名称 = \"示范\"".encode("gbk"))
    missing = tmp_path / "没有.toml"
    for path, why in ((bad_toml, "TOML 格式错误"), (gbk, "应为 UTF-8"), (missing, "无法读取")):
        with pytest.raises(InputError) as err:
            load(path)
        assert what in str(err.value) and path.name in str(err.value) and why in str(err.value)


def test_a_syntax_error_says_where_in_chinese_without_the_parsers_english() -> None:
    import re

    import pytest

    from evaluator.core.issues import InputError
    from evaluator.core.tomlfiles import parse_toml

    with pytest.raises(InputError) as e:
        parse_toml('[issuer]\nauthority = "示范县经济和信息化局\ncounty = "示范县"\n', "设置文件", "settings.toml")
    text = str(e.value)
    assert "第 2 行" in text and "列附近有误" in text and "引号是否成对" in text
    assert not re.search(r"[A-Za-z]{3,}", text.replace("TOML", "").replace("settings.toml", ""))
