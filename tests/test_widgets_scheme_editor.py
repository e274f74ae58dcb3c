"""The scheme editor: templates survive a load/save, edits emit valid schemes, bad edits emit nothing."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from evaluator.core.issues import InputError  # noqa: E402
from evaluator.core.paths import templates_dir  # noqa: E402
from evaluator.method.scheme import parse_scheme  # noqa: E402
from ui.widgets.scheme_editor import SchemeEditor, friendly_message  # noqa: E402

TEMPLATES = sorted((templates_dir() / "schemes").glob("*.toml"))
WAIT_MS = 2000


@pytest.fixture
def editor(qtbot):
    w = SchemeEditor(debounce_ms=50)
    qtbot.addWidget(w)
    return w


def load(editor: SchemeEditor, name: str = "reference.toml") -> str:
    text = (templates_dir() / "schemes" / name).read_text(encoding="utf-8")
    editor.set_scheme_text(text, name)
    return text


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_every_template_round_trips(editor, path: Path):
    text = path.read_text(encoding="utf-8")
    original = parse_scheme(text)
    editor.set_scheme_text(text, path.name)
    assert editor.error() == ""
    # Unchanged form: the original text comes back, comments and all.
    assert editor.scheme_text() == text
    # The text generated from the form means the same scheme.
    regenerated = parse_scheme(editor.form_text())
    assert regenerated.populations == original.populations
    assert (regenerated.id, regenerated.name, regenerated.version, regenerated.year, regenerated.status) == (
        original.id, original.name, original.version, original.year, original.status)
    assert (regenerated.rounding, regenerated.not_graded) == (original.rounding, original.not_graded)


def test_new_editor_starts_valid_on_the_reference(editor):
    assert editor.is_valid()
    assert editor.scheme() is not None and editor.scheme().id == "reference"


def test_weight_change_emits_a_valid_scheme_with_the_new_weight(editor, qtbot):
    load(editor)
    row = editor.panel("above").indicators.rows[0]
    assert row.indicator.value() == "tax_per_mu"
    with qtbot.waitSignal(editor.scheme_changed, timeout=WAIT_MS) as blocker:
        row.weight.setValue(35)
    scheme = parse_scheme(blocker.args[0])
    rule = scheme.populations["above"].indicators[0]
    assert (rule.id, rule.weight) == ("tax_per_mu", 35.0)
    assert "105" in editor.panel("above").weight_total.text()


def test_edits_are_debounced_into_one_signal(editor, qtbot):
    load(editor)
    seen: list[str] = []
    editor.scheme_changed.connect(seen.append)
    row = editor.panel("above").indicators.rows[1]
    for w in (21, 22, 23, 24):
        row.weight.setValue(w)
    qtbot.wait(400)
    assert len(seen) == 1
    assert parse_scheme(seen[0]).populations["above"].indicators[1].weight == 24.0


def test_shares_not_increasing_show_the_error_and_emit_nothing(editor, qtbot):
    load(editor)
    tiers = editor.panel("above").rules.tiers
    with qtbot.assertNotEmitted(editor.scheme_changed, wait=400):
        tiers.rows[1].share.setValue(10)  # B ≤ 10 % after A ≤ 20 %
    assert "累计比例" in editor.error() and "递增" in editor.error()
    assert editor.error() in editor.status_label.text()
    assert editor.scheme() is None
    with pytest.raises(InputError):
        editor.save_as(Path(os.devnull))
    # Fixing it makes the form valid again and emits.
    with qtbot.waitSignal(editor.scheme_changed, timeout=WAIT_MS) as blocker:
        tiers.rows[1].share.setValue(60)
    assert parse_scheme(blocker.args[0]).populations["above"].tiers.shares == (0.2, 0.6, 0.95)
    assert editor.is_valid()


def test_loading_does_not_emit(editor, qtbot):
    with qtbot.assertNotEmitted(editor.scheme_changed, wait=200):
        load(editor, "huaian-2024.toml" if (templates_dir() / "schemes" / "huaian-2024.toml").exists()
             else "reference.toml")


def test_invalid_text_is_refused_and_the_form_kept(editor):
    load(editor)
    with pytest.raises(InputError):
        editor.set_scheme_text("id = 'x'\n[populations.above]\n")
    assert editor.scheme() is not None and editor.scheme().id == "reference"


def test_add_move_remove_indicator(editor, qtbot):
    load(editor)
    table = editor.panel("below").indicators
    table.add_indicator()
    assert [r.indicator.value() for r in table.rows] == ["tax_per_mu", "tax_per_kwh", "va_per_mu"]
    table.selectRow(2)
    table.move_selected(-1)
    assert [r.indicator.value() for r in table.rows] == ["tax_per_mu", "va_per_mu", "tax_per_kwh"]
    qtbot.wait(150)
    below = editor.scheme().populations["below"]
    assert [r.id for r in below.indicators] == ["tax_per_mu", "va_per_mu", "tax_per_kwh"]
    assert below.indicators[1].weight == 10.0
    table.selectRow(1)
    table.remove_selected()
    assert [r.id for r in editor.scheme().populations["below"].indicators] == ["tax_per_mu", "tax_per_kwh"]


def test_duplicate_indicator_is_reported(editor):
    load(editor)
    rows = editor.panel("below").indicators.rows
    rows[1].indicator.set_value("tax_per_mu")
    assert "两次" in editor.error() and "规下企业" in editor.error()


def test_fixed_benchmark_needs_a_value(editor, qtbot):
    load(editor)
    row = editor.panel("above").indicators.rows[0]
    row.bench_method.set_value("fixed")
    assert "value" in editor.error() and "指标第 1 行" in editor.error()
    with qtbot.waitSignal(editor.scheme_changed, timeout=WAIT_MS) as blocker:
        row.bench_value.setValue(2.9)
    b = parse_scheme(blocker.args[0]).populations["above"].indicators[0].benchmark
    assert (b.method, b.value) == ("fixed", 2.9)


def test_below_can_stop_sharing_rules(editor, qtbot):
    load(editor)
    below = editor.panel("below")
    assert below.same_rules is not None and below.same_rules.isChecked()
    below.same_rules.setChecked(False)
    # It starts from a copy of 规上's rules, so nothing changed yet in meaning.
    s = editor.scheme()
    assert s.populations["below"].tiers == s.populations["above"].tiers
    with qtbot.waitSignal(editor.scheme_changed, timeout=WAIT_MS) as blocker:
        below.rules.tiers.rows[0].share.setValue(25)
    s = parse_scheme(blocker.args[0])
    assert s.populations["below"].tiers.shares == (0.25, 0.7, 0.95)
    assert s.populations["above"].tiers.shares == (0.2, 0.7, 0.95)
    assert s.populations["below"].tiers.policies == s.populations["above"].tiers.policies


def test_score_thresholds_and_tier_changes(editor, qtbot):
    load(editor)
    rules = editor.panel("above").rules
    rules.method.set_value("score")  # prefilled with round score lines, so still valid
    assert editor.is_valid(), editor.error()
    assert editor.scheme().populations["above"].tiers.thresholds == (90.0, 75.0, 60.0)
    rules.tiers.add_tier()
    assert rules.tiers.labels() == ["A", "B", "C", "D", "E"]
    assert editor.is_valid(), editor.error()
    rules.tiers.rows[4].label.setText("A")
    assert "重复" in editor.error()


def test_population_can_be_switched_off(editor, qtbot):
    load(editor)
    with qtbot.waitSignal(editor.scheme_changed, timeout=WAIT_MS) as blocker:
        editor.panel("below").enabled.setChecked(False)
    assert set(parse_scheme(blocker.args[0]).populations) == {"above"}
    editor.panel("above").enabled.setChecked(False)
    assert "参评群体" in editor.error()


def test_save_as_writes_the_scheme(editor, tmp_path):
    load(editor)
    editor.panel("above").min_land.setValue(3)
    path = tmp_path / "county.toml"
    editor.save_as(path)
    assert parse_scheme(path.read_text(encoding="utf-8")).populations["above"].min_land == 3.0


def test_friendly_message_names_the_form_place():
    msg = "方案文件 （编辑中）（populations.below.indicators 第 2 项.benchmark）：“value”应大于 0，实际为 0"
    assert friendly_message(msg) == "规下企业 · 指标第 2 行 · 基准值：“value”应大于 0，实际为 0"


EXTRAS = """
id = "x"
[rounding]
total_decimals = 1
[not_graded]
label = "T"
managed_as = "B"
[tiers]
moves = [{ action = "up", flag = "high_tech", reason = "属高成长科技型企业" }]
[tiers.groups]
by = "division"
[[tiers.groups.list]]
name = "金属"
members = ["33"]
[populations.above]
[[populations.above.indicators]]
id = "tax_per_mu"
weight = 100
decimals = 2
[populations.below_small]
label = "规下企业（3 亩以下）"
scale = "below"
max_land = 3
[[populations.below_small.indicators]]
id = "tax_per_kwh"
weight = 100
[populations.below]
min_land = 3
prior_tiers = ["D"]
[[populations.below.indicators]]
id = "tax_per_mu"
weight = 100
"""


def test_settings_the_form_does_not_show_survive_an_edit(editor, qtbot):
    original = parse_scheme(EXTRAS)
    editor.set_scheme_text(EXTRAS, "x.toml")
    assert editor.error() == ""
    row = editor.panel("above").indicators.rows[0]
    with qtbot.waitSignal(editor.scheme_changed, timeout=WAIT_MS):
        row.weight.setValue(90)
    edited = parse_scheme(editor.scheme_text())
    assert edited.populations["above"].indicators[0].weight == 90
    assert (edited.rounding, edited.not_graded) == (original.rounding, original.not_graded)
    assert list(edited.populations) == ["above", "below_small", "below"]  # membership order is a rule
    for pid in original.populations:
        a, b = edited.populations[pid], original.populations[pid]
        assert (a.scale, a.max_land, a.prior_tiers, a.tiers.moves, a.tiers.grouping) == (
            b.scale, b.max_land, b.prior_tiers, b.tiers.moves, b.tiers.grouping)
    assert edited.populations["above"].indicators[0].decimals == 2
