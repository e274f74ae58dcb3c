"""The land ledger from a lease file, through the real import: own + rented in − rented out, a
two-row 出租方/承租方 header, matching by code or name, and 温岭's landlord penalty per tenant."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from evaluator.core.paths import templates_dir
from evaluator.method.scheme import parse_scheme
from evaluator.pipeline.run import run

from .helpers import code

L1, L2, T1, T2, T3, T4 = (code(f"91331081MA2L{i:04d}X") for i in range(6))
FIRMS = [  # code, name, 规上, own land (亩; None: no parcel), tax, electricity
    (L1, "温岭甲机械有限公司", "是", 20, 100, 50),
    (L2, "温岭乙五金厂", "否", 10, 20, 10),
    (T1, "温岭丙电机有限公司", "否", None, 10, 5),
    (T2, "温岭丁泵业有限公司", "否", None, 6, 3),
    (T3, "温岭戊鞋业有限公司", "否", None, 4, 2),
    (T4, "温岭己工具厂", "否", None, 4, 2),
]


def write_firms(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "是否规上", "用地面积（亩）", "实缴税金（万元）", "用电量（万千瓦时）", "行业代码"])
    for c, n, s, land, tax, kwh in FIRMS:
        ws.append([c, n, s, land, tax, kwh, "3411"])
    wb.save(path)
    return path


def write_leases(path: Path) -> Path:
    """A two-row header: merged 出租方 / 承租方 over 统一社会信用代码 and 名称 columns."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "租赁台账"
    ws.append(["2025年度工业企业厂房土地租赁台账"])
    ws.append(["序号", "出租方", None, "承租方", None, "租赁土地面积（亩）"])
    ws.append([None, "统一社会信用代码", "名称", "统一社会信用代码", "名称", None])
    ws.merge_cells("B2:C2")
    ws.merge_cells("D2:E2")
    ws.merge_cells("F2:F3")
    rows = [
        (L1, "温岭甲机械有限公司", T1, "温岭丙电机有限公司", 5),
        (L1, "温岭甲机械有限公司", None, "温岭丁泵业有限公司", 3),  # tenant by name only
        (L1, "温岭甲机械有限公司", T3, None, 2),
        (L2, None, T4, None, 2),
        (None, "城东村股份经济合作社", T4, None, 1),  # a village landlord: only the tenant side counts
        (L2, None, code("91331081MA2L9999X"), "不存在的公司", 4),  # unknown tenant: warning, not counted
        (L1, None, T1, None, None),  # no area: error, not counted
    ]
    for i, r in enumerate(rows, 1):
        ws.append([i, *r])
    wb.save(path)
    return path


WENLING = '''id = "wl"
name = "温岭式测试"
[tiers]
shares = [0.5]
[tiers.labels]
A = "优"
B = "差"
[populations.above]
tenant_penalty = { first = 0, further = 5 }
[[populations.above.indicators]]
id = "tax_per_mu"
weight = 100
benchmark = 1
[populations.below]
tenant_penalty = { first = 10, further = 5 }
[[populations.below.indicators]]
id = "tax_per_mu"
weight = 100
benchmark = 1
'''


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lease")
    return run([write_firms(tmp / "firms.xlsx"), write_leases(tmp / "leases.xlsx")], parse_scheme(WENLING), 2025)


def test_ledger_land_is_own_plus_rented_in_minus_rented_out(result):
    t = result.table
    # L1 20 − (5 + 3 + 2) = 10; L2 10 − 2 = 8; T1 5; T2 3 (matched by name); T3 2; T4 2 + 1 (village) = 3.
    assert t.loc[[L1, L2, T1, T2, T3, T4], "land"].tolist() == pytest.approx([10, 8, 5, 3, 2, 3])
    assert t.loc[[L1, T1], "own_land"].tolist()[0] == 20 and t.loc[T1, "own_land"] != t.loc[T1, "own_land"]
    assert t.loc[[L1, L2, T4], "tenant_count"].tolist() == [3, 1, 0]
    assert t.loc[T1, "landlord"] == L1 and t.loc[T4, "landlord"] == L2
    assert len(t) == 6  # lease rows never become enterprises


def test_landlord_penalty_per_tenant_like_wenling(result):
    t = result.table
    # L1 (规上, 3 tenants): 0 + 5 + 5 = 10; L2 (规下, 1 tenant): 10; tenants 0.
    assert t.loc[[L1, L2, T1], "tenant_penalty"].tolist() == [10, 10, 0]
    # L1 亩均税收 100/10 = 10 → 1000 − 10 = 990; L2 20/8 = 2.5 → 250 − 10 = 240.
    assert t.loc[[L1, L2], "total_score"].tolist() == pytest.approx([990, 240])


def test_lease_rows_are_checked_like_every_file(result):
    msgs = [(i.level, i.row, i.message) for i in result.issues if i.file == "leases.xlsx"]
    assert any(lv == "warning" and row == 9 and "不存在的公司" in m and "未计入" in m for lv, row, m in msgs)
    assert any(lv == "error" and row == 10 and "租赁面积缺失" in m for lv, row, m in msgs)
    assert any(lv == "info" and row == 8 and "城东村股份经济合作社" in m for lv, row, m in msgs)
    assert any("7 条记录，计入 5 条" in m for _, _, m in msgs)


def test_tenants_can_take_the_landlords_tier(tmp_path):
    text = WENLING + '[land]\nlandlord_tier = ["below"]\n'
    r = run([write_firms(tmp_path / "f.xlsx"), write_leases(tmp_path / "l.xlsx")], parse_scheme(text), 2025).table
    # L1 is A among 规上 (alone). 规下: L2 240, T1 200, T2 200, T3 200, T4 133.3 → shares 50 %: 3 A.
    # T1–T3 rent from L1 (A) → A; T4 rents most from L2 (2 亩 against the village's 1): L2's tier.
    assert r.loc[[T1, T2, T3], "tier"].tolist() == ["A", "A", "A"]
    assert r.loc[T4, "tier"] == r.loc[L2, "tier"]
    assert "承租温岭甲机械有限公司的厂房" in r.loc[T1, "tier_reason"]


def test_tenant_list_like_cixi(tmp_path):
    text = (templates_dir() / "schemes" / "reference.toml").read_text(encoding="utf-8")
    text = text.replace("[populations.below]\n", '[populations.tenants]\nlabel = "租赁企业"\nscale = "any"\ntenant = true\n'
                        '[[populations.tenants.indicators]]\nid = "tax_per_mu"\nweight = 100\n\n[populations.below]\n')
    s = parse_scheme(text)
    assert list(s.populations) == ["above", "tenants", "below"]
    r = run([write_firms(tmp_path / "f.xlsx"), write_leases(tmp_path / "l.xlsx")], s, 2025).table
    assert r.loc[[T1, T2, T3, T4], "population"].tolist() == ["tenants"] * 4
    # L2 keeps 8 亩 of its own after renting out 2: a 规下 firm over 5 亩, in the 规下 list.
    assert r.loc[L2, "population"] == "below"


def test_the_letter_itemises_the_landlord_penalty(result, tmp_path):
    from evaluator.outputs.letters import write_letters

    from .outputs_fixtures import flat, pdf_text, settings

    path = write_letters(result, tmp_path / "out", settings(), keys=[L1], workers=1)[0]
    text = flat(pdf_text(path))
    assert "出租厂房（承租企业3家）" in text and "−10" in text


def test_the_graded_list_shows_the_ledger_and_the_penalty(result, tmp_path):
    import openpyxl

    from evaluator.outputs.workbook import write_workbook

    from .outputs_fixtures import settings

    out = tmp_path / "list.xlsx"
    write_workbook(result, out, settings())
    rows = list(openpyxl.load_workbook(out, read_only=True)["全部数据"].iter_rows(values_only=True))  # every column; 全部企业 is the printed list
    h = next(i for i, r in enumerate(rows) if r and "统一社会信用代码" in r)
    head = rows[h]
    l1 = next(r for r in rows[h + 1:] if r[head.index("统一社会信用代码")] == L1)
    assert l1[head.index("自有用地（亩）")] == 20 and l1[head.index("租出用地（亩）")] == 10
    assert l1[head.index("用地面积（亩）")] == 10 and l1[head.index("出租厂房扣分")] == 10
    assert l1[head.index("承租企业数")] == 3
