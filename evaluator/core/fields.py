"""Canonical input fields: what the departments' columns mean and which units they come in.

The importer recognises a column by its header text. Departments use many names for the same
thing and put units in headers, unit rows or a unit line above the table, so every field carries
its synonyms and the units it accepts, with the factor that converts them to the canonical unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["code", "text", "number", "bool", "scale", "year"]


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field of the enterprise table."""

    id: str
    label: str
    kind: Kind
    synonyms: tuple[str, ...] = ()
    unit: str = ""
    units: dict[str, float] = field(default_factory=dict)
    additive: bool = False
    money: bool = False


MONEY_UNITS = {"万元": 1.0, "元": 1e-4, "千元": 1e-1, "百万元": 100.0, "亿元": 1e4}
LAND_UNITS = {
    "亩": 1.0,
    "平方米": 15 / 10000,
    "平米": 15 / 10000,
    "㎡": 15 / 10000,
    "m2": 15 / 10000,
    "m²": 15 / 10000,
    "公顷": 15.0,
    "万平方米": 150.0,
}
POWER_UNITS = {
    "万千瓦时": 1.0,
    "万kwh": 1.0,
    "万kw·h": 1.0,
    "万kw.h": 1.0,
    "万度": 1.0,
    "千瓦时": 1e-4,
    "kwh": 1e-4,
    "kw·h": 1e-4,
    "kw.h": 1e-4,
    "度": 1e-4,
}
ENERGY_UNITS = {"吨标准煤": 1.0, "吨标煤": 1.0, "tce": 1.0, "万吨标准煤": 1e4, "千克标准煤": 1e-3}
PEOPLE_UNITS = {"人": 1.0, "人数": 1.0}
EMISSION_UNITS = {"吨": 1.0, "千克": 1e-3, "公斤": 1e-3}

FLAG_FIELDS: dict[str, str] = {
    "high_tech": "高新技术企业",
    "specialized": "专精特新",
    "smart_factory": "智能工厂",
    "champion": "隐形冠军",
    "safety_accident": "安全生产事故",
    "env_violation": "环境违法",
    "newly_above": "新升规",
}

_FLAG_EXTRA_SYNONYMS: dict[str, tuple[str, ...]] = {
    "high_tech": ("高新技术", "国家高新技术企业", "高企"),
    "specialized": ("专精特新企业", "专精特新中小企业", "专精特新小巨人"),
    "smart_factory": ("智能工厂(车间)", "智能车间", "数字化车间", "智能工厂车间"),
    "champion": ("单项冠军", "隐形冠军企业"),
    "safety_accident": ("发生安全生产事故", "安全事故", "重大安全生产事故"),
    "env_violation": ("环境违法行为", "环保违法", "生态环境违法"),
    "newly_above": ("新升规企业", "新增规上", "当年新升规"),
}


def _flag_spec(fid: str, label: str) -> FieldSpec:
    base = (label,) + _FLAG_EXTRA_SYNONYMS.get(fid, ())
    syn = base + tuple("是否" + s for s in base)
    return FieldSpec(fid, label, "bool", syn)


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "credit_code",
        "统一社会信用代码",
        "code",
        ("社会信用代码", "信用代码", "统一代码", "纳税人识别号", "统一社会信用代码(纳税人识别号)",
         "组织机构代码/统一社会信用代码", "社会统一信用代码"),
    ),
    FieldSpec(
        "name",
        "企业名称",
        "text",
        ("单位名称", "单位详细名称", "纳税人名称", "用电户名", "户名", "企业(单位)名称",
         "土地使用权人", "使用权人", "权利人", "企业全称", "公司名称"),
    ),
    FieldSpec(
        "township",
        "所属乡镇",
        "text",
        ("乡镇", "乡镇(街道)", "乡镇街道", "所在乡镇", "属地", "所属乡镇(街道)", "所在乡镇(街道)",
         "镇街", "所属镇街", "乡镇(园区)", "所属区域"),
    ),
    FieldSpec(
        "industry",
        "行业代码",
        "text",
        ("国民经济行业代码", "行业类别代码", "所属行业代码", "行业小类代码", "国民经济行业分类代码"),
    ),
    FieldSpec("above_scale", "是否规上", "scale", ("规模", "企业规模", "是否规模以上", "是否规模以上企业", "规上/规下")),
    FieldSpec(
        "land",
        "用地面积",
        "number",
        ("占地面积", "土地面积", "土地使用权面积", "实际用地面积", "用地面积合计", "宗地面积",
         "实际占地面积", "使用权面积"),
        "亩",
        LAND_UNITS,
        additive=True,
    ),
    FieldSpec(
        "tax",
        "实缴税金",
        "number",
        ("税收实际贡献", "实缴税收", "入库税金", "纳税总额", "税收合计", "实缴税金合计", "实际入库税金",
         "税收", "实缴税费"),
        "万元",
        MONEY_UNITS,
        additive=True,
        money=True,
    ),
    FieldSpec("value_added", "工业增加值", "number", ("增加值", "工业增加值(现价)"), "万元", MONEY_UNITS,
              additive=True, money=True),
    FieldSpec(
        "revenue",
        "营业收入",
        "number",
        ("主营业务收入", "销售收入", "营业收入合计", "营业总收入", "工业销售产值"),
        "万元",
        MONEY_UNITS,
        additive=True,
        money=True,
    ),
    FieldSpec(
        "electricity",
        "用电量",
        "number",
        ("年用电量", "工业用电量", "总用电量", "本年用电量", "用电总量", "全年用电量", "实际用电量"),
        "万千瓦时",
        POWER_UNITS,
        additive=True,
    ),
    FieldSpec("energy", "综合能耗", "number", ("综合能源消费量", "能源消费总量", "综合能源消费总量"),
              "吨标准煤", ENERGY_UNITS, additive=True),
    FieldSpec(
        "employees",
        "年平均职工人数",
        "number",
        ("从业人员平均人数", "全部从业人员平均人数", "职工人数", "从业人员", "从业人员年平均人数",
         "年末从业人员", "平均职工人数"),
        "人",
        PEOPLE_UNITS,
    ),
    FieldSpec("rd_expense", "研发经费支出", "number",
              ("R&D经费支出", "研究与试验发展经费支出", "研发费用", "研发投入", "研发经费"),
              "万元", MONEY_UNITS, additive=True, money=True),
    FieldSpec("emissions", "主要污染物排放当量", "number", ("排放当量", "污染物排放量", "主要污染物排放量"),
              "吨", EMISSION_UNITS, additive=True),
    FieldSpec("commissioned", "投产时间", "year", ("投产日期", "投产年份", "投产年度", "建成投产时间")),
    *(_flag_spec(fid, label) for fid, label in FLAG_FIELDS.items()),
)

FLOOR_UNITS = {"平方米": 1.0, "平米": 1.0, "㎡": 1.0, "m2": 1.0, "m²": 1.0, "万平方米": 1e4}

# A lease file (租赁台账): one row per lease, naming both parties. Its columns are recognised like
# any other, but its rows are leases, not enterprises: they build the land ledger
# (`evaluator.merge.leases`), never rows of the enterprise table.
LEASE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("lessor_code", "出租方统一社会信用代码", "code",
              ("出租方信用代码", "出租方代码", "出租人统一社会信用代码", "出租方社会信用代码")),
    FieldSpec("lessor_name", "出租方名称", "text", ("出租方", "出租人", "出租单位", "出租方单位名称", "出租企业", "业主名称")),
    FieldSpec("lessee_code", "承租方统一社会信用代码", "code",
              ("承租方信用代码", "承租方代码", "承租人统一社会信用代码", "承租方社会信用代码")),
    FieldSpec("lessee_name", "承租方名称", "text", ("承租方", "承租人", "承租单位", "承租方单位名称", "承租企业")),
    FieldSpec("leased_land", "租赁土地面积", "number",
              ("租赁用地面积", "出租土地面积", "租赁面积", "出租面积", "租用土地面积", "租赁土地"), "亩", LAND_UNITS),
    FieldSpec("leased_floor", "租赁厂房面积", "number",
              ("出租厂房面积", "租赁建筑面积", "租用厂房面积", "租赁厂房"), "平方米", FLOOR_UNITS),
)
LEASE_FIELD_IDS: tuple[str, ...] = tuple(f.id for f in LEASE_FIELDS)
# A header under a merged 出租方 / 承租方 cell names that party's code or name.
LEASE_PARTIES: dict[str, dict[str, str]] = {
    "出租": {"credit_code": "lessor_code", "name": "lessor_name"},
    "承租": {"credit_code": "lessee_code", "name": "lessee_name"},
}

FIELD_BY_ID: dict[str, FieldSpec] = {f.id: f for f in FIELDS + LEASE_FIELDS}
ADDITIVE_FIELDS: tuple[str, ...] = tuple(f.id for f in FIELDS if f.additive)
IGNORE = "ignore"

# Full-width forms (U+FF01..U+FF5E) map to ASCII by a fixed offset; U+3000 is the ideographic space.
FULLWIDTH_TABLE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
FULLWIDTH_TABLE[0x3000] = 0x20


def to_halfwidth(text: str) -> str:
    """Full-width letters, digits and brackets are common in hand-typed Chinese tables."""
    return text.translate(FULLWIDTH_TABLE)


_HEADER_NOISE = re.compile(r"[\s\u3000*＊※#:：]+")
_UNIT_IN_HEADER = re.compile(r"[（(\[【]\s*([^（）()\[\]【】]*)\s*[）)\]】]|[/／]\s*([^/／]+)$|单位[:：]?\s*(\S+)$")


def normalise_header(text: str) -> str:
    """Header text in a comparable form: half-width, no spaces, line breaks or footnote marks."""
    return _HEADER_NOISE.sub("", to_halfwidth(str(text))).lower()


def _unit_key(text: str) -> str:
    return normalise_header(text).replace("²", "2")


def split_header(text: str) -> tuple[str, str]:
    """Split `用地面积（平方米）` or `实缴税金/元` into the name and the unit text (may be empty)."""
    raw = normalise_header(text)
    unit = ""
    for m in _UNIT_IN_HEADER.finditer(raw):
        cand = next(g for g in m.groups() if g is not None) if any(m.groups()) else ""
        if cand and lookup_unit_any(cand) is not None:
            unit = cand
    name = _UNIT_IN_HEADER.sub("", raw) if unit else raw
    return name, unit


_ALL_UNITS: dict[str, float] = {}
for _f in FIELDS + LEASE_FIELDS:
    for _u in _f.units:
        _ALL_UNITS.setdefault(_unit_key(_u), 0.0)


def lookup_unit_any(text: str) -> str | None:
    """The canonical spelling of a unit word if it is a unit of any field, else None."""
    key = _unit_key(text)
    key = key.removeprefix("单位").lstrip(":：")
    return key if key in _ALL_UNITS else None


def unit_factor(field_id: str, unit_text: str) -> float | None:
    """Factor converting `unit_text` to the field's canonical unit; None if it is not a unit of it."""
    spec = FIELD_BY_ID[field_id]
    key = _unit_key(unit_text).removeprefix("单位").lstrip(":：")
    for u, f in spec.units.items():
        if _unit_key(u) == key:
            return f
    return None


def _build_synonym_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for spec in FIELDS + LEASE_FIELDS:
        for text in (spec.label, spec.id, *spec.synonyms):
            index.setdefault(normalise_header(text), spec.id)
    return index


SYNONYMS: dict[str, str] = _build_synonym_index()


def match_field(header_text: str) -> str | None:
    """The canonical field a header names, or None. Units in the header are ignored here."""
    if not header_text:
        return None
    name, _ = split_header(header_text)
    if name in SYNONYMS:
        return SYNONYMS[name]
    raw = normalise_header(header_text)
    if raw in SYNONYMS:
        return SYNONYMS[raw]
    # Trailing qualifiers such as `实缴税金合计(万元)` or `年用电量(本年)`.
    for suffix in ("合计", "总计", "(本年)", "本年", "(全年)", "全年"):
        if name.endswith(suffix) and name[: -len(suffix)] in SYNONYMS:
            return SYNONYMS[name[: -len(suffix)]]
        if name.startswith(suffix) and name[len(suffix):] in SYNONYMS:
            return SYNONYMS[name[len(suffix):]]
    return None
