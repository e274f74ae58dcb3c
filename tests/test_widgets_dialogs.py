"""Edit dialogs: OK only with a reason (and a valid value); values come back in canonical form."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import math  # noqa: E402

import pytest  # noqa: E402

from evaluator.method.scheme import load_scheme  # noqa: E402
from ui.widgets.correction_dialog import (  # noqa: E402
    CORRECTABLE_FIELDS,
    CorrectionDialog,
    parse_input,
    show_value,
)
from ui.widgets.override_dialog import OverrideDialog  # noqa: E402
from ui.widgets.settings_dialog import SettingsDialog  # noqa: E402


@pytest.fixture
def rules():
    return load_scheme("reference").populations["above"].tiers


# --- 手动调档 ---------------------------------------------------------------------------------
def test_override_ok_needs_a_reason(qtbot, rules):
    d = OverrideDialog("示范机械有限公司", rules, "B", "C", "一票否决：安全生产事故")
    qtbot.addWidget(d)
    assert not d.ok_button().isEnabled()
    assert d.values().tier == "C"  # starts at the current final tier
    d.reason.setPlainText("   ")
    assert not d.ok_button().isEnabled()
    d.reason.setPlainText("经复核，事故责任不在企业")
    assert d.ok_button().isEnabled()
    d.tier.setCurrentIndex(d.tier.findData("B"))
    tier, reason = d.values()
    assert (tier, reason) == ("B", "经复核，事故责任不在企业")


def test_override_presets_and_blank_accept_is_refused(qtbot, rules):
    d = OverrideDialog("示范机械有限公司", rules, "B", "B", tier="A", reason="县政府专题会议纪要〔2026〕3号")
    qtbot.addWidget(d)
    assert d.ok_button().isEnabled()
    assert d.values() == ("A", "县政府专题会议纪要〔2026〕3号")
    assert [d.tier.itemText(i) for i in range(d.tier.count())][0] == "A类（优先发展类）"
    d.reason.setPlainText("")
    d.accept()
    assert d.result() == 0  # not accepted


def test_override_without_rules_uses_a_to_d(qtbot):
    d = OverrideDialog("示范机械有限公司")
    qtbot.addWidget(d)
    assert [d.tier.itemData(i) for i in range(d.tier.count())] == ["A", "B", "C", "D"]


# --- 人工更正 ---------------------------------------------------------------------------------
def test_correction_ok_needs_a_reason_and_a_valid_value(qtbot):
    d = CorrectionDialog("示范机械有限公司", {"land": 12.5, "tax": 88.0}, "land")
    qtbot.addWidget(d)
    assert d.current_label.text() == "12.50 亩"
    assert d.unit.text() == "亩"
    assert not d.ok_button().isEnabled()
    d.text.setText("１３，２００.5")  # full-width digits and a separator, as typed in the tables
    assert not d.ok_button().isEnabled()
    d.reason.setPlainText("按不动产权证书核实")
    assert d.ok_button().isEnabled()
    assert d.values() == ("land", 13200.5, "按不动产权证书核实")
    d.text.setText("十二")
    assert not d.ok_button().isEnabled()
    assert "不是数字" in d.problem.text()
    d.text.setText("")  # blank clears the value
    assert d.ok_button().isEnabled()
    assert d.values().value is None


def test_correction_presets_for_flags_years_and_text(qtbot):
    d = CorrectionDialog("示范机械有限公司", {"high_tech": 0.0}, "high_tech", value=1.0, reason="认定文件")
    qtbot.addWidget(d)
    assert d.current_label.text() == "否"
    assert d.values() == ("high_tech", 1.0, "认定文件")
    assert d.ok_button().isEnabled()
    d.field.setCurrentIndex(d.field.findData("commissioned"))
    d.set_value("2019")
    assert d.values().value == 2019
    d.set_value("19")
    assert not d.ok_button().isEnabled()
    d.field.setCurrentIndex(d.field.findData("township"))
    d.set_value(" 城关镇 ")
    assert d.values().value == "城关镇"
    d.field.setCurrentIndex(d.field.findData("above_scale"))
    d.set_value("规下")
    assert d.values().value == 0.0


def test_correction_field_list_shows_units_and_skips_the_key(qtbot):
    d = CorrectionDialog("示范机械有限公司")
    qtbot.addWidget(d)
    texts = [d.field.itemText(i) for i in range(d.field.count())]
    assert "credit_code" not in CORRECTABLE_FIELDS
    assert "实缴税金（万元）" in texts and "用电量（万千瓦时）" in texts
    assert len(texts) == len(CORRECTABLE_FIELDS)


def test_value_helpers():
    from evaluator.core.fields import FIELD_BY_ID

    assert show_value(FIELD_BY_ID["tax"], math.nan) == "空"
    assert show_value(FIELD_BY_ID["employees"], 120.0) == "120 人"
    assert parse_input(FIELD_BY_ID["tax"], "-3")[1]  # negative money is refused
    assert parse_input(FIELD_BY_ID["name"], "") == (None, "")


# --- 输出设置 ---------------------------------------------------------------------------------
def test_settings_dialog_round_trips_and_needs_an_authority(qtbot, tmp_path):
    from evaluator.outputs.settings import Settings

    s = Settings(authority="某县经济和信息化局", doc_prefix="某工信", doc_year=2026, first_serial=7,
                 issue_date="2026-03-01", appeal_days=30, appeal_office="企业服务科", font_index=1,
                 font_path=str(tmp_path / "missing.ttc"))
    d = SettingsDialog(s)
    qtbot.addWidget(d)
    assert d.settings() == s
    assert d.ok_button().isEnabled()
    assert "某工信〔2026〕7号" in d.number_preview.text()
    assert "2026 年 3 月 31 日" in d.deadline_preview.text()
    assert "找不到字体文件" in d.font_status.text()
    d.authority.setText(" ")
    assert not d.ok_button().isEnabled()
    d.authority.setText("另一县经信局")
    d.today.setChecked(True)
    out = d.settings()
    assert (out.authority, out.issue_date) == ("另一县经信局", "")
    from evaluator.outputs.settings import load_settings

    saved = d.save(tmp_path / "settings.toml")
    assert load_settings(saved) == out


def test_settings_dialog_font_check(qtbot):
    from pathlib import Path

    from evaluator.outputs.settings import Settings

    font = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    if not font.exists():
        pytest.skip("no WenQuanYi font here")
    d = SettingsDialog(Settings(font_path=str(font)))
    qtbot.addWidget(d)
    assert d.font_index.isEnabled()
    assert d.check_font()
    assert "将使用" in d.font_status.text()
