"""Generate the demo county "示范县" (evaluation year 2025) as messy departmental files.

Run from the repository root::

    python sample_data/generate.py

Why this exists: the importer (``evaluator/``) must cope with the files county officials
really receive (METHOD.md §2).  Real files cannot be shipped, so this script fabricates
about 300 industrial enterprises with realistic magnitudes and writes them out the way
five different departments would, each with its own layout quirks, and with a catalogue
of deliberately injected data problems.  Everything the generator knows is written to
``expected.json`` (ground truth in canonical units, exactly as the files state the
values) and ``README.md`` (human-readable list of files and problems) so tests can check
the importer against it.

The script is deterministic: one ``numpy`` generator seeded with 2025 drives every random
choice, and the xlsx containers are written with fixed timestamps, so re-running it
reproduces byte-identical outputs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import xlsxwriter
import xlwt
from openpyxl.styles import Alignment, Font

# --------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------

SEED = 2025
YEAR = 2025
COUNTY = "示范县"
REGION = "330381"  # county administrative division code used inside credit codes
OUT_DIR = Path(__file__).resolve().parent

N_ABOVE = 160
N_BELOW = 140

F_STATS = "统计局_工业企业主要指标.xlsx"
F_TAX = "税务局_实缴税金.xls"
F_ELEC = "供电公司_用电量.csv"
F_LAND = "自然资源局_工业用地.xlsx"
F_FLAGS = "工信局_企业认定名单.xlsx"

TOWNSHIPS = ["城关镇", "经济开发区", "高新技术产业园", "东山镇", "西河镇", "南湖街道", "北塘乡", "青石镇"]
# 规上 firms concentrate in the development zones; 规下 firms are spread more evenly.
TOWNSHIP_WEIGHTS_ABOVE = [0.12, 0.24, 0.18, 0.11, 0.10, 0.09, 0.07, 0.09]
TOWNSHIP_WEIGHTS_BELOW = [0.16, 0.12, 0.08, 0.14, 0.14, 0.12, 0.12, 0.12]

# GB/T 4754-2017 manufacturing classes: code -> (relative frequency, name words).
INDUSTRIES = {
    "1311": (6, ["粮油", "米业"]),
    "1371": (5, ["食品", "农产品"]),
    "1713": (10, ["印染", "纺织印染"]),
    "1810": (16, ["服饰", "制衣"]),
    "1951": (13, ["鞋业", "皮革制品"]),
    "2021": (8, ["木业", "板材"]),
    "2231": (10, ["包装", "纸制品"]),
    "2641": (6, ["涂料", "化工涂料"]),
    "2662": (7, ["化工", "精细化工"]),
    "2927": (18, ["塑业", "塑料制品"]),
    "3021": (8, ["建材", "水泥制品"]),
    "3039": (7, ["新型建材", "建筑材料"]),
    "3130": (6, ["钢业", "金属材料"]),
    "3311": (15, ["钢结构", "钢构"]),
    "3360": (7, ["表面处理", "金属表面处理"]),
    "3391": (9, ["锻造", "锻压"]),
    "3484": (28, ["机械", "精密机械", "传动机械", "机械制造"]),
    "3511": (9, ["矿山机械", "重工"]),
    "3670": (24, ["汽车部件", "汽车零部件", "汽配"]),
    "3825": (8, ["光伏科技", "新能源科技"]),
    "3874": (11, ["照明电器", "光电科技"]),
    "3973": (6, ["微电子", "半导体科技"]),
    "4190": (8, ["工艺品", "日用品"]),
}
# Utilities (divisions 44-46) that the reference scheme exempts: (code, name word, 规上?).
UTILITY_FIRMS = [("4411", "热电", True), ("4610", "自来水", True), ("4430", "供热", False)]

TRADE_FIRST = list("华恒宏永金瑞天东新远鑫嘉万中明正海信德富盛锦卓博精汇誉凯隆泰安康荣美佳力宇洪振元捷")
TRADE_SECOND = list("兴达远盛鑫丰成方力源和通泰华辉宇诚利昌隆顺发茂晟锐越创邦威特")
ROADS = ["工业大道", "兴业路", "纬一路", "纬二路", "经三路", "创业路", "科技路", "滨河路", "环城北路", "东港路"]

# Two electricity accounts that match no enterprise in any other file.
UNMATCHED_ELEC = [
    ("示范县东山村股份经济合作社", "东山镇", "一般工商业用电", "village cooperative, not an enterprise"),
    ("示范县青石镇永发五金加工厂", "青石镇", "一般工商业用电", "small 规下 workshop missing from every other file"),
]

# GB 32100-2015 unified social credit code.
CC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
# GB 11714 organisation code (characters 9-17 of the credit code).
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]

FLAG_KEYS = ["high_tech", "specialized", "smart_factory", "champion",
             "safety_accident", "env_violation", "newly_above"]

FIXED_TIME = dt.datetime(2026, 3, 15, 9, 0, 0)


# --------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------

@dataclass(eq=False)
class Firm:
    """One enterprise as the generator designs it.

    Numeric fields are already rounded to the precision the files use, so the
    expected values are exactly what a careful reader of the files obtains.
    ``stats_override`` holds raw cell values that replace the clean rendering in the
    统计 file (text numbers, placeholders, formulas); ``expected_override`` holds the
    value a reader should then obtain (usually ``None`` for unusable cells).
    """

    name: str
    code: str
    township: str
    industry: str
    above: bool
    commissioned: int
    commissioned_month: int
    commissioned_style: str  # "date" | "text" | "year"
    industry_prefixed: bool = False
    parcels_m2: list = field(default_factory=list)
    tax_yuan: list = field(default_factory=list)
    meters_kwh: list = field(default_factory=list)
    value_added: float | None = None
    revenue: float | None = None
    rd_expense: float | None = None
    energy: float | None = None
    employees: int | None = None
    flags: dict = field(default_factory=lambda: {k: False for k in FLAG_KEYS})
    in_flag_list: bool = False
    stats_override: dict = field(default_factory=dict)
    expected_override: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    rows: dict = field(default_factory=dict)

    @property
    def tax_wan(self) -> float:
        """Designed total tax in 万元 (before any file-level corruption)."""
        return sum(self.tax_yuan) / 10000

    @property
    def land_mu(self) -> float:
        """Designed land in 亩 as stated by the parcel areas in 平方米."""
        return sum(self.parcels_m2) * 15 / 10000


class Problems:
    """Collects every injected problem with its exact file position.

    Tests use this list to check that the importer reports each problem at the right
    place, so every injection goes through :meth:`add` at the moment the cell is written.
    """

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, file, sheet, row, column, kind, who, detail, level):
        self.items.append({
            "file": file, "sheet": sheet, "row": row, "column": column, "kind": kind,
            "credit_code_or_name": who, "detail": detail, "suggested_level": level,
        })


# --------------------------------------------------------------------------------------
# Credit codes and names
# --------------------------------------------------------------------------------------

def credit_check_char(first17: str) -> str:
    """GB 32100-2015 check character, so generated codes pass the importer's check."""
    total = sum(CC_ALPHABET.index(c) * w for c, w in zip(first17, CC_WEIGHTS))
    return CC_ALPHABET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    """GB 11714 check character of the embedded organisation code (realism only)."""
    total = sum(int(c, 36) * w for c, w in zip(body8, ORG_WEIGHTS))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def make_credit_code(rng, recent: bool, used: set) -> str:
    """A unique valid code; firms registered after 2015 get the new ``MA…`` org codes."""
    while True:
        if recent:
            tail = "".join(rng.choice(list(CC_ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY"), 5))
            body = "MA2" + tail
        else:
            body = "".join(str(d) for d in rng.integers(0, 10, 8))
            body = str(rng.choice(list("1234567"))) + body[1:]
        region = REGION if rng.random() < 0.9 else "330300"
        first17 = "91" + region + body + org_check_char(body)
        code = first17 + credit_check_char(first17)
        if code not in used:
            used.add(code)
            return code


def make_name(rng, industry: str, word: str, used_trades: set) -> str:
    """A realistic, unique Chinese enterprise name; some carry full-width parentheses."""
    while True:
        trade = str(rng.choice(TRADE_FIRST)) + str(rng.choice(TRADE_SECOND))
        if trade[0] != trade[1] and trade not in used_trades:
            used_trades.add(trade)
            break
    tech = industry in ("3825", "3874", "3973")
    r = rng.random()
    if industry[:2] in ("44", "45", "46"):  # utilities are plain local companies
        return f"{COUNTY}{trade}{word}有限公司"
    if r < 0.50:
        return f"{COUNTY}{trade}{word}有限公司"
    if r < 0.62:
        return f"浙江{trade}{word}股份有限公司"
    if r < 0.70:
        return f"浙江{trade}{word}有限公司"
    if r < 0.74:
        return f"{COUNTY}{trade}（集团）有限公司"
    if r < 0.80:
        return f"{trade}{word}（浙江）有限公司"
    if r < 0.86:
        return f"浙江{trade}{word}（{COUNTY}）有限公司"
    if tech:
        return f"示范{trade}{word}有限公司"
    return f"示范{trade}{word}科技有限公司"


# --------------------------------------------------------------------------------------
# Designing the county
# --------------------------------------------------------------------------------------

def lognormal(rng, median: float, sigma: float, lo: float, hi: float) -> float:
    """Clipped lognormal draw: firm indicators are skewed with a long upper tail."""
    return float(np.clip(rng.lognormal(math.log(median), sigma), lo, hi))


def split_total(rng, total: float, parts: int) -> np.ndarray:
    """Split an amount into ``parts`` uneven shares (parcels, meters, tax rows)."""
    if parts == 1:
        return np.array([total])
    return total * rng.dirichlet([2.0] * parts)


def draw_commissioned(rng) -> tuple[int, int, str]:
    """Year/month of commissioning and how the 统计 file writes it."""
    year = int(rng.integers(1995, 2024))
    month = int(rng.integers(1, 13))
    style = str(rng.choice(["date", "text", "year"], p=[0.4, 0.35, 0.25]))
    return year, month, style


def design_economics(rng, f: Firm, land_mu: float) -> None:
    """Fill land, tax, value added, revenue, R&D, energy, employees and electricity.

    Magnitudes follow the published county aggregates in METHOD.md §1 (禹州 2020):
    规上 亩均税收 ≈ 3, 亩均增加值 ≈ 80, 劳动生产率 ≈ 15; 规下 亩均税收 ≈ 0.5, 单位电耗税收 ≈ 0.24.
    """
    if f.above:
        tax_per_mu = lognormal(rng, 2.0, 0.9, 0.2, 40)
        tax = land_mu * tax_per_mu
        va = tax * lognormal(rng, 26, 0.35, 8, 90)
        revenue = va * rng.uniform(3, 5)
        if revenue < 2000:  # 规上 means 主营业务收入 ≥ 2000 万元
            revenue = rng.uniform(2000, 3200)
            va = revenue / rng.uniform(3, 5)
        employees = int(np.clip(round(va / lognormal(rng, 14, 0.4, 4, 60)), 30, 1500))
        energy = va / lognormal(rng, 3.5, 0.6, 1, 10)
        rd = 0.0 if rng.random() < 0.15 else revenue * rng.uniform(0.002, 0.06)
        elec_wan = tax / lognormal(rng, 0.6, 0.5, 0.2, 2)
        n_meters = int(rng.choice([1, 2, 3], p=[0.45, 0.35, 0.20]))
    else:
        tax_per_mu = lognormal(rng, 0.38, 0.75, 0.03, 5)
        tax = land_mu * tax_per_mu
        va = tax * lognormal(rng, 30, 0.4, 8, 90)
        revenue = va * rng.uniform(3, 5)
        if revenue >= 2000:  # 规下 stays below the threshold
            revenue = rng.uniform(1200, 1990)
            va = revenue / rng.uniform(3, 5)
        employees = int(np.clip(round(va / lognormal(rng, 10, 0.4, 3, 40)), 5, 120))
        energy = va / lognormal(rng, 3.0, 0.6, 0.8, 10)
        rd = 0.0 if rng.random() < 0.6 else revenue * rng.uniform(0.002, 0.03)
        elec_wan = tax / lognormal(rng, 0.22, 0.5, 0.05, 1.5)
        n_meters = int(rng.choice([1, 2, 3], p=[0.80, 0.17, 0.03]))

    n_parcels = int(rng.choice([1, 2, 3], p=[0.70, 0.22, 0.08])) if land_mu >= 5 else 1
    f.parcels_m2 = [round(float(x), 2) for x in split_total(rng, land_mu * 10000 / 15, n_parcels)]
    f.tax_yuan = [round(tax * 10000, 2)]
    kwh = split_total(rng, elec_wan * 10000, n_meters)
    f.meters_kwh = [max(1, int(round(x))) for x in kwh]
    f.value_added = round(va, 1)
    f.revenue = round(revenue, 1)
    f.rd_expense = round(rd, 2)
    f.energy = round(energy, 2)
    f.employees = employees


def build_firms(rng) -> list[Firm]:
    """Design the 300 enterprises: 160 规上 then 140 规下 (8 of them below 5 亩)."""
    firms: list[Firm] = []
    used_codes: set = set()
    used_trades: set = set()
    codes = list(INDUSTRIES)
    weights = np.array([INDUSTRIES[c][0] for c in codes], dtype=float)
    weights /= weights.sum()
    utilities = {0: UTILITY_FIRMS[0], 1: UTILITY_FIRMS[1], N_ABOVE: UTILITY_FIRMS[2]}
    small_below = set(range(N_ABOVE + 10, N_ABOVE + 10 + 8 * 15, 15))  # 8 规下 firms < 5 亩

    for i in range(N_ABOVE + N_BELOW):
        above = i < N_ABOVE
        if i in utilities:
            industry, word, _ = utilities[i]
        else:
            industry = str(rng.choice(codes, p=weights))
            word = str(rng.choice(INDUSTRIES[industry][1]))
        year, month, style = draw_commissioned(rng)
        code = make_credit_code(rng, recent=year >= 2016 or rng.random() < 0.1, used=used_codes)
        f = Firm(
            name=make_name(rng, industry, word, used_trades), code=code,
            township=str(rng.choice(TOWNSHIPS, p=TOWNSHIP_WEIGHTS_ABOVE if above else TOWNSHIP_WEIGHTS_BELOW)),
            industry=industry, above=above, commissioned=year, commissioned_month=month,
            commissioned_style=style,
            industry_prefixed=industry[:2] not in ("44", "45", "46") and rng.random() < 0.25,
        )
        if above:
            land = lognormal(rng, 45, 0.75, 10, 300)
        elif i in small_below:
            land = rng.uniform(1.2, 4.8)
        else:
            land = lognormal(rng, 13, 0.55, 5.2, 40)
        design_economics(rng, f, land)
        if i in small_below:
            f.notes.append("规下 with land < 5 亩: out of scope under the reference scheme")
        if i in utilities:  # utilities report no R&D; a heat-and-power plant burns a lot of coal
            f.notes.append(f"industry {industry} (division {industry[:2]}): exempt under the reference scheme")
            f.rd_expense = 0.0
            if industry == "4411":
                f.energy = round(f.value_added * 2.5, 2)
        firms.append(f)
    return firms


# --------------------------------------------------------------------------------------
# Choosing which firms carry which problem
# --------------------------------------------------------------------------------------

class RolePicker:
    """Hands out distinct firms for each injected problem.

    Problems are kept on different firms so each one can be tested in isolation and the
    designed status counts stay exact.
    """

    def __init__(self, rng, firms: list[Firm]):
        self.rng = rng
        self.firms = firms
        self.taken: set[int] = set()

    def pick(self, above: bool, n: int = 1, where=None) -> list[Firm]:
        pool = [i for i, f in enumerate(self.firms)
                if f.above == above and i not in self.taken
                and f.industry[:2] not in ("44", "45", "46") and f.land_mu >= 5
                and (where is None or where(f))]
        chosen = sorted(self.rng.choice(pool, n, replace=False).tolist())
        self.taken.update(chosen)
        return [self.firms[i] for i in chosen]

    def reserve(self, fs: list[Firm]) -> None:
        self.taken.update(self.firms.index(f) for f in fs)


def assign_roles(rng, firms: list[Firm]) -> tuple[dict[str, list[Firm]], RolePicker]:
    """Decide which firms carry each injected problem or special status."""
    p = RolePicker(rng, firms)
    p.reserve([f for f in firms if f.industry[:2] in ("44", "45", "46") or f.land_mu < 5])
    roles = {
        # status design
        "new_above": p.pick(True, 3), "new_below": p.pick(False, 2),
        "no_parcel_above": p.pick(True, 1), "no_parcel_below": p.pick(False, 2),
        "land_text": p.pick(True, 1, lambda f: len(f.parcels_m2) == 1),
        "land_negative": p.pick(False, 1, lambda f: len(f.parcels_m2) == 1),
        # 统计 cells
        "st_thousands": p.pick(True, 1), "st_fullwidth": p.pick(True, 1),
        "st_trailing": p.pick(True, 1), "st_dash": p.pick(True, 1), "st_slash": p.pick(True, 1),
        "st_div0": p.pick(True, 1), "st_formula": p.pick(True, 1), "st_zero_emp": p.pick(True, 1),
        "st_below_thousands": p.pick(False, 1, lambda f: f.revenue >= 1000),
        "st_below_trailing": p.pick(False, 1), "st_below_none": p.pick(False, 1),
        "st_below_empty": p.pick(False, 1), "st_below_hyphen": p.pick(False, 1),
        # 税务
        "tax_bad_check": p.pick(True, 1), "tax_two_rows": p.pick(True, 1),
        "tax_negative": p.pick(False, 1), "tax_text": p.pick(True, 3) + p.pick(False, 1),
        "tax_lower": p.pick(True, 2, lambda f: any(c.isalpha() for c in f.code)),
        "tax_space": p.pick(True, 1) + p.pick(False, 1), "tax_fullwidth": p.pick(True, 1),
        # 供电
        "elec_missing": p.pick(False, 1),
        "elec_spaces": p.pick(True, 4) + p.pick(False, 3),
    }
    with_parens = [i for i, f in enumerate(firms) if "（" in f.name and i not in p.taken]
    roles["elec_halfwidth"] = [firms[i] for i in sorted(rng.choice(with_parens, 10, replace=False).tolist())]
    return roles, p


def apply_status_roles(rng, roles) -> None:
    """New firms (exempt) and firms with unusable land (incomplete)."""
    years = [2024, 2025, 2025]
    for f, y in zip(roles["new_above"], years):
        f.commissioned = y
    for f, y in zip(roles["new_below"], [2024, 2025]):
        f.commissioned = y
    for f in roles["new_above"] + roles["new_below"]:
        f.commissioned_month = int(rng.integers(1, 10))
        f.notes.append(f"commissioned {f.commissioned}: exempt as new under the reference scheme")


def proxy_scores(firms: list[Firm]) -> dict:
    """Reference-scheme 规上 score without bonus, on designed values.

    Used only to put the veto and protection flags on firms where they change the tier.
    """
    parts = [(30, lambda f: f.tax_wan, lambda f: f.land_mu), (20, lambda f: f.value_added, lambda f: f.land_mu),
             (15, lambda f: f.value_added, lambda f: f.energy),
             (10, lambda f: f.tax_wan, lambda f: sum(f.meters_kwh) / 10000),
             (15, lambda f: f.value_added, lambda f: f.employees), (10, lambda f: f.rd_expense, lambda f: f.revenue)]
    score = {f: 0.0 for f in firms}
    for weight, num, den in parts:
        bench = sum(num(f) for f in firms) / sum(den(f) for f in firms)
        for f in firms:
            score[f] += weight * min(max(num(f) / den(f) / bench, 0), 2)
    return score


def assign_flags(rng, firms: list[Firm], p: RolePicker) -> dict[str, Firm]:
    """Choose the ~40 firms on the 工信 list and their flags.

    The veto/protection flags are put on firms whose scores make them matter: the best
    规上 firm gets a safety accident and the third best an environmental violation (A →
    capped at C); two of the weakest are 新升规 (D → raised to C).
    """
    clean_above = [f for i, f in enumerate(firms) if f.above and i not in p.taken
                   and f.industry[:2] not in ("44", "45", "46") and f.land_mu >= 5]
    by_score = sorted(clean_above, key=proxy_scores(clean_above).get, reverse=True)
    special = {
        "safety_top": by_score[0], "env_top": by_score[2], "newly_low1": by_score[-1], "newly_low2": by_score[-3],
    }
    p.reserve(list(special.values()))
    special["safety_top"].notes.append("top-scoring 规上 firm + safety accident: expected A, capped at C")
    special["env_top"].notes.append("third-scoring 规上 firm + env violation: expected A, capped at C")
    for key in ("newly_low1", "newly_low2"):
        special[key].notes.append("among the lowest-scoring 规上 firms + 新升规: expected D, raised to C")
    safety = [special["safety_top"]] + p.pick(True, 1) + p.pick(False, 1)
    env = [special["env_top"]] + p.pick(False, 1)
    newly = [special["newly_low1"], special["newly_low2"]] + p.pick(True, 2)

    def rd_weight(f):
        return (f.rd_expense or 0) / f.revenue + 0.002

    def pick_weighted(above, n):
        pool = [i for i, f in enumerate(firms) if f.above == above and i not in p.taken
                and f.industry[:2] not in ("44", "45", "46") and f.land_mu >= 5]
        w = np.array([rd_weight(firms[i]) for i in pool])
        chosen = rng.choice(pool, n, replace=False, p=w / w.sum()).tolist()
        p.taken.update(chosen)
        return [firms[i] for i in sorted(chosen)]

    high_tech = pick_weighted(True, 22) + pick_weighted(False, 3)
    specialized = [f for f in high_tech if f.above][:12] + pick_weighted(True, 3)
    smart = [high_tech[i] for i in (0, 3, 6, 9, 12)] + specialized[-3:] + pick_weighted(True, 2)
    champion = [high_tech[i] for i in (1, 4)] + [specialized[-1], specialized[2]] + pick_weighted(True, 1)

    for key, group in [("high_tech", high_tech), ("specialized", specialized), ("smart_factory", smart),
                       ("champion", champion), ("safety_accident", safety), ("env_violation", env),
                       ("newly_above", newly)]:
        for f in group:
            f.flags[key] = True
            f.in_flag_list = True
    special["township_conflict"] = high_tech[5]
    return special


# --------------------------------------------------------------------------------------
# Cell rendering helpers
# --------------------------------------------------------------------------------------

def fullwidth(s: str) -> str:
    """Full-width form of digits, letters and the decimal point (as typed by IME users)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def thousands(x: float, decimals: int) -> str:
    """Number as text with thousands separators, the way it looks after copy-paste."""
    return f"{x:,.{decimals}f}"


def freeze_zip(path: Path) -> None:
    """Rewrite an openpyxl xlsx with fixed zip timestamps and core-property dates.

    openpyxl stamps the current time into both, which would make every run of the
    generator produce a git diff.
    """
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                start = text.find("<dcterms:modified")
                end = text.find("</dcterms:modified>")
                if start >= 0 and end >= 0:
                    head = text[:start]
                    text = head + f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>' \
                        + text[end + len("</dcterms:modified>"):]
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(zi, data)


# --------------------------------------------------------------------------------------
# 1. 统计局 workbook
# --------------------------------------------------------------------------------------

STATS_COLUMNS = ["序号", "企业名称", "统一社会信用代码", "所属乡镇", "行业代码", "企业规模",
                 "工业增加值", "营业收入", "研发经费支出", "综合能耗（吨标准煤）", "年平均职工人数", "投产时间"]
STATS_FIELD_COL = {"value_added": 7, "revenue": 8, "rd_expense": 9, "energy": 10, "employees": 11}


def inject_stats_cells(roles) -> None:
    """Decide the corrupted 统计 cells and what a reader should make of them."""
    def put(f, fld, raw, expected, kind, level):
        f.stats_override[fld] = (raw, kind, level)
        f.expected_override[fld] = expected

    f = roles["st_thousands"][0]
    put(f, "revenue", thousands(f.revenue, 1), f.revenue, "number_as_text_thousands", "info")
    f = roles["st_fullwidth"][0]
    put(f, "value_added", fullwidth(f"{f.value_added:.1f}"), f.value_added, "number_fullwidth", "info")
    f = roles["st_trailing"][0]
    put(f, "energy", f"{f.energy:.2f}  ", f.energy, "number_as_text_spaces", "info")
    f = roles["st_dash"][0]
    put(f, "energy", "—", None, "placeholder_missing", "warning")
    f = roles["st_slash"][0]
    put(f, "rd_expense", "/", None, "placeholder_missing", "warning")
    f = roles["st_div0"][0]
    put(f, "rd_expense", "#DIV/0!", None, "error_text", "warning")
    f = roles["st_formula"][0]
    put(f, "revenue", "=FORMULA", None, "formula_no_cached_value", "warning")
    f = roles["st_zero_emp"][0]
    put(f, "employees", 0, 0, "zero_value", "warning")
    f.employees = 0
    f = roles["st_below_thousands"][0]
    put(f, "revenue", thousands(f.revenue, 1), f.revenue, "number_as_text_thousands", "info")
    f = roles["st_below_trailing"][0]
    put(f, "employees", f" {f.employees} ", f.employees, "number_as_text_spaces", "info")
    f = roles["st_below_none"][0]
    put(f, "rd_expense", "无", None, "placeholder_missing", "warning")
    f = roles["st_below_empty"][0]
    put(f, "value_added", None, None, "empty_value", "warning")
    f = roles["st_below_hyphen"][0]
    put(f, "energy", "-", None, "placeholder_missing", "warning")


def stats_sheet_header(ws, title: str) -> None:
    """Title, unit line and the two-row merged header (rows 1-4)."""
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=12)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.append(["金额单位：万元"])
    upper = ["序号", "企业名称", "统一社会信用代码", "所属乡镇", "行业代码", "企业规模",
             "主要经济指标", None, None, "能源消费", "年平均职工人数", "投产时间"]
    lower = [None] * 6 + ["工业增加值", "营业收入", "研发经费支出", "综合能耗（吨标准煤）", None, None]
    ws.append(upper)
    ws.append(lower)
    for col in (1, 2, 3, 4, 5, 6, 11, 12):
        ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    ws.merge_cells(start_row=3, start_column=7, end_row=3, end_column=9)
    for r in (3, 4):
        for c in range(1, 13):
            ws.cell(r, c).font = Font(bold=True)
            ws.cell(r, c).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for col, width in zip("ABCDEFGHIJKL", [6, 34, 22, 14, 9, 9, 12, 12, 12, 14, 10, 12]):
        ws.column_dimensions[col].width = width


def commissioned_cell(f: Firm):
    """投产时间 as a date cell, ``2019年5月`` text, or a plain year number."""
    if f.commissioned_style == "date":
        return dt.date(f.commissioned, f.commissioned_month, 1 + (len(f.name) % 27))
    if f.commissioned_style == "text":
        return f"{f.commissioned}年{f.commissioned_month}月"
    return f.commissioned


def write_stats_firm_row(ws, r: int, serial: int, f: Firm, probs: Problems, sheet: str) -> None:
    """One enterprise row, applying any injected cell corruption."""
    industry = ("C" + f.industry) if f.industry_prefixed else f.industry
    values = [serial, f.name, f.code, f.township, industry, "规上" if f.above else "规下",
              f.value_added, f.revenue, f.rd_expense, f.energy, f.employees, commissioned_cell(f)]
    for c, v in enumerate(values, start=1):
        ws.cell(r, c).value = v
    for fld, (raw, kind, level) in f.stats_override.items():
        c = STATS_FIELD_COL[fld]
        cell = ws.cell(r, c)
        if raw == "=FORMULA":
            raw = f"=G{r}*4"
            cell.value = raw
        else:
            cell.value = raw
            if isinstance(raw, str):
                cell.data_type = "s"  # keep "#DIV/0!" as text, not an error cell
        probs.add(F_STATS, sheet, r, STATS_COLUMNS[c - 1], kind, f.code, repr(raw) if raw is not None else "empty cell", level)
    f.rows["stats"] = 1


def write_total_row(ws, r: int, label: str, firms: list[Firm], merge: bool) -> None:
    """小计/合计 row: sums of the designed values, as a statistician would have typed them."""
    if merge:
        ws.cell(r, 1).value = label
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=6)
    else:
        ws.cell(r, 2).value = label
    for fld, c in STATS_FIELD_COL.items():
        vals = [getattr(f, fld) for f in firms if getattr(f, fld) is not None]
        ws.cell(r, c).value = round(sum(vals), 2)
    for c in range(1, 13):
        ws.cell(r, c).font = Font(bold=True)


def write_stats_sheet(wb, sheet: str, title: str, firms: list[Firm], probs: Problems,
                      subtotals: bool, blank_after: int) -> None:
    """One 统计 sheet: firms ordered by township, optional 小计 rows, 合计 and notes."""
    ws = wb.create_sheet(sheet)
    stats_sheet_header(ws, title)
    probs.add(F_STATS, sheet, 1, None, "title_row", None, title, "info")
    probs.add(F_STATS, sheet, 2, None, "unit_line", None, "金额单位：万元", "info")
    probs.add(F_STATS, sheet, 3, None, "two_row_merged_header", None, "rows 3-4", "info")
    ordered = sorted(firms, key=lambda f: (TOWNSHIPS.index(f.township), f.code))
    r, serial = 5, 0
    for t in TOWNSHIPS:
        block = [f for f in ordered if f.township == t]
        for f in block:
            serial += 1
            write_stats_firm_row(ws, r, serial, f, probs, sheet)
            r += 1
            if serial == blank_after:
                probs.add(F_STATS, sheet, r, None, "blank_row", None, "empty row inside the data", "info")
                r += 1
        if subtotals and block:
            write_total_row(ws, r, f"{t}小计", block, merge=False)
            probs.add(F_STATS, sheet, r, "企业名称", "subtotal_row", None, f"{t}小计", "info")
            r += 1
    write_total_row(ws, r, "合计", ordered, merge=True)
    probs.add(F_STATS, sheet, r, "序号", "total_row", None, "合计 (merged A:F)", "info")
    notes = ["注：1. 数据来源于示范县统计局“一套表”联网直报平台2025年年报。",
             "2. 规上工业企业指年主营业务收入2000万元及以上的工业法人单位；研发经费支出取自研发统计报表。",
             "填表人：张三  审核人：李四  填报日期：2026年3月10日"]
    r += 2
    for text in notes:
        ws.cell(r, 1).value = text
        probs.add(F_STATS, sheet, r, None, "note_row", None, text, "info")
        r += 1


def write_stats(firms: list[Firm], probs: Problems) -> None:
    """统计局 workbook with 规上企业 and 规下企业 sheets (openpyxl for real merged cells)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "示范县统计局"
    wb.properties.created = FIXED_TIME
    above = [f for f in firms if f.above]
    below = [f for f in firms if not f.above]
    write_stats_sheet(wb, "规上企业", f"{YEAR}年度{COUNTY}规上工业企业主要经济指标", above, probs,
                      subtotals=True, blank_after=37)
    write_stats_sheet(wb, "规下企业", f"{YEAR}年度{COUNTY}规下工业企业主要经济指标", below, probs,
                      subtotals=False, blank_after=81)
    path = OUT_DIR / F_STATS
    wb.save(path)
    freeze_zip(path)


# --------------------------------------------------------------------------------------
# 2. 税务局 legacy .xls
# --------------------------------------------------------------------------------------

def corrupt_code(f: Firm, kind: str) -> str:
    """A code as typed by a tax clerk; all but ``code_bad_check`` normalise to the valid code."""
    c = f.code
    if kind == "code_lowercase":
        return c.lower()
    if kind == "code_inner_space":
        return f"{c[:6]} {c[6:14]} {c[14:]}"
    if kind == "code_fullwidth":
        return fullwidth(c)
    if kind == "code_bad_check":
        wrong = CC_ALPHABET[(CC_ALPHABET.index(c[-1]) + 7) % 31]
        return c[:-1] + wrong
    raise ValueError(kind)


def tax_rows(rng, firms: list[Firm], roles) -> list[dict]:
    """Rows of the tax file in 元; one firm on two rows, one refund, codes as typed."""
    code_kind = {}
    for kind, key in [("code_lowercase", "tax_lower"), ("code_inner_space", "tax_space"),
                      ("code_fullwidth", "tax_fullwidth"), ("code_bad_check", "tax_bad_check")]:
        for f in roles[key]:
            code_kind[f.code] = kind
    text_codes = {f.code for f in roles["tax_text"]}

    neg = roles["tax_negative"][0]
    neg.tax_yuan = [-35000.00]
    neg.notes.append("tax refund: 实缴税金 = -35000.00 元")
    two = roles["tax_two_rows"][0]
    total = two.tax_yuan[0]
    first = round(total * float(rng.uniform(0.55, 0.8)), 2)
    two.tax_yuan = [first, round(total - first, 2)]
    two.notes.append("two rows in 税务 (two tax types), summed")

    rows = []
    for f in sorted(firms, key=lambda f: f.code):
        for k, amount in enumerate(f.tax_yuan):
            rows.append({"firm": f, "code": corrupt_code(f, code_kind[f.code]) if f.code in code_kind else f.code,
                         "code_kind": code_kind.get(f.code), "amount": amount,
                         "as_text": f.code in text_codes, "second": k == 1})
    # the second row of the two-row firm sits far from the first, as in a real export
    second = next(r for r in rows if r["second"])
    rows.remove(second)
    rows.insert(len(rows) - 12, second)
    return rows


def write_tax(rng, firms: list[Firm], roles, probs: Problems) -> None:
    """Legacy BIFF workbook: title, header, amounts in 元, 合计 row."""
    rows = tax_rows(rng, firms, roles)
    sheet_name = "实缴税金"
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet_name)
    bold = xlwt.easyxf("font: bold on; align: horiz center")
    money = xlwt.easyxf(num_format_str="#,##0.00")
    title = f"国家税务总局{COUNTY}税务局{YEAR}年度重点企业实缴税金明细"
    ws.write_merge(0, 0, 0, 3, title, bold)
    probs.add(F_TAX, sheet_name, 1, None, "title_row", None, title, "info")
    for c, h in enumerate(["纳税人识别号", "纳税人名称", "所属期", "实缴税金（元）"]):
        ws.write(1, c, h, bold)
    period = f"{YEAR}-01-01至{YEAR}-12-31"
    total = 0.0
    for i, row in enumerate(rows):
        r = i + 2
        f: Firm = row["firm"]
        ws.write(r, 0, row["code"])
        ws.write(r, 1, f.name)
        ws.write(r, 2, period)
        if row["as_text"]:
            ws.write(r, 3, thousands(row["amount"], 2))
            probs.add(F_TAX, sheet_name, r + 1, "实缴税金（元）", "number_as_text_thousands", f.code,
                      thousands(row["amount"], 2), "info")
        else:
            ws.write(r, 3, row["amount"], money)
        if row["amount"] < 0:
            probs.add(F_TAX, sheet_name, r + 1, "实缴税金（元）", "negative_value", f.code,
                      f"{row['amount']:.2f} (退税)", "warning")
        if row["code_kind"]:
            who = row["code"] if row["code_kind"] == "code_bad_check" else f.code
            level = "error" if row["code_kind"] == "code_bad_check" else "info"
            probs.add(F_TAX, sheet_name, r + 1, "纳税人识别号", row["code_kind"], who, repr(row["code"]), level)
        if len(f.tax_yuan) > 1:
            probs.add(F_TAX, sheet_name, r + 1, "纳税人识别号", "duplicate_rows_summed", f.code,
                      f"{len(f.tax_yuan)} rows for this taxpayer", "info")
        total += row["amount"]
    r = len(rows) + 2
    ws.write(r, 1, "合计", bold)
    ws.write(r, 3, round(total, 2), money)
    probs.add(F_TAX, sheet_name, r + 1, "纳税人名称", "total_row", None, "合计", "info")
    for c, w in enumerate([24, 40, 26, 18]):
        ws.col(c).width = w * 256
    wb.save(str(OUT_DIR / F_TAX))


# --------------------------------------------------------------------------------------
# 3. 供电公司 CSV (GBK, no credit codes, one row per meter)
# --------------------------------------------------------------------------------------

def elec_name(rng, f: Firm, roles_sets) -> tuple[str, str | None]:
    """The account name as the utility typed it: half-width brackets, stray spaces."""
    name, kind = f.name, None
    if f.code in roles_sets["halfwidth"]:
        name, kind = name.replace("（", "(").replace("）", ")"), "name_halfwidth_parens"
    elif f.code in roles_sets["spaces"]:
        variants = [f" {name}", f"{name}  ", name.replace(COUNTY, COUNTY + " ", 1) if name.startswith(COUNTY)
                    else name[:2] + " " + name[2:]]
        name, kind = str(rng.choice(variants)), "name_extra_spaces"
    return name, kind


def write_electricity(rng, firms: list[Firm], roles, probs: Problems) -> None:
    """GBK CSV, one row per meter, no credit-code column, some thousands separators."""
    missing = roles["elec_missing"][0]
    missing.meters_kwh = []
    missing.notes.append("no account in 供电 file (转供电 via landlord): electricity missing")
    roles_sets = {"halfwidth": {f.code for f in roles["elec_halfwidth"]},
                  "spaces": {f.code for f in roles["elec_spaces"]}}
    accounts = []
    for f in firms:
        for kwh in f.meters_kwh:
            accounts.append((f, kwh))
    for name, town, kind, why in UNMATCHED_ELEC:
        kwh = int(rng.integers(8000, 60000)) if "合作社" in name else int(rng.integers(150000, 400000))
        accounts.append(({"name": name, "township": town, "kind": kind, "why": why}, kwh))
    numbers = rng.choice(np.arange(3300000000, 3309999999, 7919), len(accounts), replace=False)
    order = np.argsort(numbers)

    lines = [["户号", "用电户名", "用电地址", "用电类别", "本年用电量(千瓦时)"]]
    for k in order:
        owner, kwh = accounts[k]
        line_no = len(lines) + 1
        if isinstance(owner, Firm):
            name, kind = elec_name(rng, owner, roles_sets)
            town = owner.township
            category = "大工业用电" if owner.above else "一般工商业用电"
            if kind:
                probs.add(F_ELEC, None, line_no, "用电户名", kind, owner.code, repr(name), "info")
        else:
            name, town, category = owner["name"], owner["township"], owner["kind"]
            probs.add(F_ELEC, None, line_no, "用电户名", "unmatched_name", f"name:{name}", owner["why"], "warning")
        address = f"{COUNTY}{town}{rng.choice(ROADS)}{int(rng.integers(1, 300))}号"
        value = thousands(kwh, 0) if kwh >= 1000 and rng.random() < 0.06 else str(kwh)
        if "," in value:
            who = owner.code if isinstance(owner, Firm) else f"name:{owner['name']}"
            probs.add(F_ELEC, None, line_no, "本年用电量(千瓦时)", "number_as_text_thousands", who, value, "info")
        lines.append([str(int(numbers[k])), name, address, category, value])
    probs.add(F_ELEC, None, 1, None, "no_code_column", None, "match by 用电户名", "info")
    probs.add(F_ELEC, None, None, "用电户名", "missing_row", missing.code, "firm has no electricity account", "warning")

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(lines)
    (OUT_DIR / F_ELEC).write_bytes(buf.getvalue().encode("gbk"))


# --------------------------------------------------------------------------------------
# 4. 自然资源局 land parcels
# --------------------------------------------------------------------------------------

def write_land(rng, firms: list[Firm], roles, probs: Problems) -> None:
    """One row per parcel in 平方米; 暂无, a negative area, missing firms, a 总计 row."""
    sheet = "宗地信息"
    no_parcel = roles["no_parcel_above"] + roles["no_parcel_below"]
    for f in no_parcel:
        f.parcels_m2 = []
        f.notes.append("no parcel in 自然资源局 file: land missing → incomplete")
        probs.add(F_LAND, sheet, None, "土地使用权面积（平方米）", "missing_row", f.code, "no parcel row", "warning")
    text_firm = roles["land_text"][0]
    neg_firm = roles["land_negative"][0]

    parcels = []
    town_no = {t: 101 + i for i, t in enumerate(TOWNSHIPS)}
    for f in firms:
        for area in f.parcels_m2:
            parcel_id = f"{REGION}{town_no[f.township]}{int(rng.integers(1, 40)):03d}GB{int(rng.integers(1, 99999)):05d}"
            parcels.append((parcel_id, f, area))
    parcels.sort(key=lambda p: p[0])

    wb = xlsxwriter.Workbook(str(OUT_DIR / F_LAND))
    wb.set_properties({"created": FIXED_TIME, "author": "示范县自然资源和规划局"})
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1})
    num = wb.add_format({"num_format": "0.00"})
    title = f"{COUNTY}工业用地宗地登记信息表（截至{YEAR}年12月31日）"
    ws.merge_range(0, 0, 0, 5, title, wb.add_format({"bold": True, "font_size": 14, "align": "center"}))
    probs.add(F_LAND, sheet, 1, None, "title_row", None, title, "info")
    ws.write_row(1, 0, ["序号", "宗地编号", "土地使用权人", "统一社会信用代码", "坐落", "土地使用权面积（平方米）"], bold)
    total = 0.0
    for i, (pid, f, area) in enumerate(parcels):
        r = i + 2
        ws.write_number(r, 0, i + 1)
        ws.write_string(r, 1, pid)
        ws.write_string(r, 2, f.name)
        ws.write_string(r, 3, f.code)
        ws.write_string(r, 4, f"{f.township}{rng.choice(ROADS)}{int(rng.integers(1, 300))}号")
        if f is text_firm:
            ws.write_string(r, 5, "暂无")
            probs.add(F_LAND, sheet, r + 1, "土地使用权面积（平方米）", "placeholder_missing", f.code, "暂无", "warning")
        elif f is neg_firm:
            ws.write_number(r, 5, -area, num)
            probs.add(F_LAND, sheet, r + 1, "土地使用权面积（平方米）", "negative_value", f.code, f"{-area:.2f}", "error")
            total -= area
        else:
            ws.write_number(r, 5, area, num)
            total += area
    r = len(parcels) + 2
    ws.merge_range(r, 0, r, 4, "总计", bold)
    ws.write_number(r, 5, round(total, 2), num)
    probs.add(F_LAND, sheet, r + 1, "序号", "total_row", None, "总计 (merged A:E)", "info")
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 36)
    ws.set_column(3, 3, 22)
    ws.set_column(4, 4, 28)
    ws.set_column(5, 5, 20)
    wb.close()
    text_firm.notes.append("land area written as text 暂无: land missing → incomplete")
    neg_firm.notes.append(f"land area negative ({-neg_firm.parcels_m2[0]:.2f} m²): unusable → incomplete")


# --------------------------------------------------------------------------------------
# 5. 工信局 flag list
# --------------------------------------------------------------------------------------

FLAG_COLUMNS = [("high_tech", "是否高新技术企业"), ("specialized", "专精特新"), ("smart_factory", "智能工厂(车间)"),
                ("champion", "隐形冠军"), ("safety_accident", "安全生产事故"), ("env_violation", "环境违法"),
                ("newly_above", "新升规")]


def flag_value(key: str, value: bool, i: int):
    """Each column uses its own yes/no convention, with a few cells breaking it."""
    if key == "high_tech":
        if value and i in (4, 17):
            return "Y" if i == 4 else 1
        return "是" if value else "否"
    if key in ("specialized", "env_violation"):
        return "√" if value else None
    if key == "smart_factory":
        return "Y" if value else "N"
    if key == "champion":
        return 1 if value else 0
    if key == "safety_accident":
        return "是" if value else None
    if key == "newly_above":
        if value and i % 2 == 0:
            return "是"
        return "Y" if value else "N"
    raise ValueError(key)


def write_flags(firms: list[Firm], special: dict, probs: Problems) -> None:
    """工信局 list: title, header on row 2, only firms with at least one flag."""
    sheet = "认定名单"
    listed = sorted([f for f in firms if f.in_flag_list], key=lambda f: (TOWNSHIPS.index(f.township), f.code))
    conflict: Firm = special["township_conflict"]
    other_town = TOWNSHIPS[(TOWNSHIPS.index(conflict.township) + 3) % len(TOWNSHIPS)]
    wb = xlsxwriter.Workbook(str(OUT_DIR / F_FLAGS))
    wb.set_properties({"created": FIXED_TIME, "author": "示范县经济和信息化局"})
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True, "align": "center", "border": 1, "text_wrap": True})
    title = f"{COUNTY}{YEAR}年度企业认定及监管情况汇总名单"
    ws.merge_range(0, 0, 0, 9, title, wb.add_format({"bold": True, "font_size": 14, "align": "center"}))
    probs.add(F_FLAGS, sheet, 1, None, "title_row", None, title, "info")
    ws.write_row(1, 0, ["统一社会信用代码", "企业名称", "所属乡镇"] + [h for _, h in FLAG_COLUMNS], bold)
    for i, f in enumerate(listed):
        r = i + 2
        town = f.township
        if f is conflict:
            town = other_town
            probs.add(F_FLAGS, sheet, r + 1, "所属乡镇", "cross_file_conflict", f.code,
                      f"工信 says {other_town}, 统计 says {f.township}", "warning")
            f.notes.append(f"township conflict: 统计 {f.township} vs 工信 {other_town} (统计 value expected)")
        ws.write_row(r, 0, [f.code, f.name, town])
        for c, (key, _) in enumerate(FLAG_COLUMNS):
            v = flag_value(key, f.flags[key], i)
            if v is not None:
                ws.write(r, 3 + c, v)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 36)
    ws.set_column(2, 9, 11)
    wb.close()


# --------------------------------------------------------------------------------------
# Ground truth
# --------------------------------------------------------------------------------------

def reference_status(e: dict) -> str:
    """Status under the reference scheme (METHOD §4), so tests can check the pipeline."""
    land = e["land"]
    if land is None or land <= 0:
        return "incomplete"
    if e["industry"] and e["industry"][:2] in ("44", "45", "46"):
        return "exempt"
    if e["commissioned"] in (YEAR, YEAR - 1):
        return "exempt"
    if e["above_scale"] is False and land < 5:
        return "out_of_scope"
    return "evaluated"


def firm_expected(f: Firm, roles) -> dict:
    """Canonical-unit values for one firm, exactly as the files state them."""
    def stat(fld):
        return f.expected_override.get(fld, getattr(f, fld))

    land = round(f.land_mu, 9) if f.parcels_m2 else None
    if f is roles["land_text"][0] or f is roles["land_negative"][0]:
        land = None
    tax = None if f in roles["tax_bad_check"] else round(sum(f.tax_yuan) / 10000, 9)
    e = {
        "name": f.name, "township": f.township, "industry": f.industry,
        "industry_raw": ("C" + f.industry) if f.industry_prefixed else f.industry,
        "above_scale": f.above, "land": land, "tax": tax,
        "value_added": stat("value_added"), "revenue": stat("revenue"), "rd_expense": stat("rd_expense"),
        "electricity": round(sum(f.meters_kwh) / 10000, 9) if f.meters_kwh else None,
        "energy": stat("energy"), "employees": stat("employees"), "commissioned": f.commissioned,
        "flags": dict(f.flags), "in_flag_list": f.in_flag_list,
        "rows": {"stats": 1, "tax": 0 if f in roles["tax_bad_check"] else len(f.tax_yuan),
                 "land": len(f.parcels_m2), "electricity": len(f.meters_kwh)},
        "notes": list(f.notes),
    }
    if f is roles["land_negative"][0]:
        e["land_as_stated"] = round(-f.land_mu, 9)
    e["status_reference"] = reference_status(e)
    return e


def build_expected(firms: list[Firm], roles, probs: Problems) -> dict:
    """expected.json: every enterprise any file mentions, plus the problem list."""
    enterprises = {}
    for f in firms:
        enterprises[f.code] = firm_expected(f, roles)
    bad = roles["tax_bad_check"][0]
    enterprises[bad.code]["notes"].append(
        "税务 row carries a wrong check character, so tax cannot be merged: tax null; "
        "the 供电 name also matches the bad-code entry, electricity belongs here (valid code)")
    wrong = corrupt_code(bad, "code_bad_check")
    enterprises[wrong] = blank_entry(bad.name, tax=round(sum(bad.tax_yuan) / 10000, 9), rows={"tax": 1}, notes=[
        f"税务 code fails the GB 32100 check (valid code of the same name: {bad.code}); "
        "kept as its own enterprise with an error, not merged"])
    for name, town, _, why in UNMATCHED_ELEC:
        line = next(p for p in probs.items if p["credit_code_or_name"] == f"name:{name}" and p["kind"] == "unmatched_name")
        enterprises[f"name:{name}"] = blank_entry(name, electricity=None, rows={"electricity": 1},
                                                  notes=[f"供电 account matching no firm ({why}), line {line['row']}"])
    for key, e in enterprises.items():
        e.setdefault("status_reference", reference_status(e))
    # electricity of the unmatched accounts is read back from the CSV below
    return {"county": COUNTY, "year": YEAR, "seed": SEED, "enterprises": enterprises}


def blank_entry(name: str, **values) -> dict:
    """An enterprise known only from one file row (no statistics record)."""
    e = {"name": name, "township": None, "industry": None, "industry_raw": None, "above_scale": None,
         "land": None, "tax": None, "value_added": None, "revenue": None, "rd_expense": None,
         "electricity": None, "energy": None, "employees": None, "commissioned": None,
         "flags": {k: False for k in FLAG_KEYS}, "in_flag_list": False,
         "rows": {"stats": 0, "tax": 0, "land": 0, "electricity": 0}, "notes": []}
    rows = values.pop("rows", {})
    e["rows"].update(rows)
    e.update(values)
    e["status_reference"] = reference_status(e)
    return e


def fill_unmatched_electricity(expected: dict) -> None:
    """Unmatched accounts: read their kWh back from the CSV so expected equals the file."""
    text = (OUT_DIR / F_ELEC).read_bytes().decode("gbk")
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        key = f"name:{row[1]}"
        if key in expected["enterprises"]:
            expected["enterprises"][key]["electricity"] = int(row[4].replace(",", "")) / 10000


def designed_counts(expected: dict) -> dict:
    """Status counts by population, as designed (what the reference scheme should report)."""
    out: dict = {}
    for e in expected["enterprises"].values():
        pop = {True: "above", False: "below", None: "unknown"}[e["above_scale"]]
        out.setdefault(pop, {}).setdefault(e["status_reference"], 0)
        out[pop][e["status_reference"]] += 1
    for pop, d in out.items():
        d["total"] = sum(d.values())
    return out


# --------------------------------------------------------------------------------------
# Read-back verification
# --------------------------------------------------------------------------------------

def verify(expected: dict, probs: Problems) -> None:
    """Read every file back with python-calamine and check it against the ground truth.

    This is a light independent reader (not the importer): it checks that each file opens,
    that designed values survive the round trip, and that every problem points at a row
    that really holds the intended content.
    """
    import python_calamine as pc

    ents = expected["enterprises"]
    valid = {k: v for k, v in ents.items() if not k.startswith("name:") and v["rows"]["stats"]}

    def sheet_rows(fname, sheet):
        wb = pc.CalamineWorkbook.from_path(str(OUT_DIR / fname))
        return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)

    # 统计: each code appears exactly once; the formula and #DIV/0! cells read as intended
    codes_seen = {}
    for sheet in ("规上企业", "规下企业"):
        rows = sheet_rows(F_STATS, sheet)
        for i, row in enumerate(rows):
            if isinstance(row[2], str) and row[2] in valid:
                codes_seen[row[2]] = (sheet, i + 1)
    assert set(codes_seen) == set(valid), "统计 is missing firms"
    for p in probs.items:
        if p["file"] == F_STATS and p["kind"] in ("formula_no_cached_value", "error_text"):
            rows = sheet_rows(F_STATS, p["sheet"])
            cell = rows[p["row"] - 1][STATS_COLUMNS.index(p["column"])]
            assert cell in ("", "#DIV/0!"), (p, cell)

    # 税务: amounts in 元 sum to expected tax
    wb = pc.CalamineWorkbook.from_path(str(OUT_DIR / F_TAX))
    rows = wb.get_sheet_by_name("实缴税金").to_python()
    tax: dict = {}
    for row in rows[2:]:
        code = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in str(row[0])).replace(" ", "").upper()
        if not code:
            continue
        amount = row[3] if isinstance(row[3], float) else float(str(row[3]).replace(",", ""))
        tax[code] = tax.get(code, 0.0) + amount
    for code, e in ents.items():
        if e["tax"] is not None:
            assert abs(tax[code] / 10000 - e["tax"]) < 1e-6, code

    # 自然资源: parcels sum to expected land
    rows = sheet_rows(F_LAND, "宗地信息")
    land: dict = {}
    for row in rows[2:]:
        if isinstance(row[5], float) and row[5] > 0 and row[3]:
            land[row[3]] = land.get(row[3], 0.0) + row[5]
    for code, e in valid.items():
        if e["land"] is not None:
            assert abs(land[code] * 15 / 10000 - e["land"]) < 1e-6, code
        elif code in land:
            raise AssertionError(f"{code}: land expected null but file has positive area")

    # 供电: GBK decode, names normalise to known firms, kWh sums match
    text = (OUT_DIR / F_ELEC).read_bytes().decode("gbk")
    by_name = {norm_name(e["name"]): k for k, e in valid.items()}
    elec: dict = {}
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        key = by_name.get(norm_name(row[1]), f"name:{row[1]}")
        elec[key] = elec.get(key, 0) + int(row[4].replace(",", ""))
    for code, e in ents.items():
        if e["electricity"] is not None:
            assert abs(elec[code] / 10000 - e["electricity"]) < 1e-6, code
        else:
            assert code not in elec, code

    # 工信: listed firms and flags round-trip
    rows = sheet_rows(F_FLAGS, "认定名单")
    listed = {row[0] for row in rows[2:] if row[0]}
    assert listed == {k for k, e in valid.items() if e["in_flag_list"]}

    # every problem points at a row that really holds the firm (or the structural text)
    csv_rows = list(csv.reader(io.StringIO(text)))
    for p in probs.items:
        if p["row"] is None:
            continue
        row = csv_rows[p["row"] - 1] if p["file"] == F_ELEC else sheet_rows(p["file"], p["sheet"])[p["row"] - 1]
        cells = [str(c) for c in row]
        who = p["credit_code_or_name"]
        if p["kind"] in ("code_bad_check", "code_lowercase", "code_inner_space", "code_fullwidth"):
            assert repr(cells[0]) == p["detail"], (p, cells)
        elif who and who.startswith("name:"):
            assert cells[1] == who[5:], (p, cells)
        elif who:
            name = ents[who]["name"]
            assert who in cells or name in cells or norm_name(cells[1]) == norm_name(name), (p, cells)
        elif p["kind"] in ("total_row", "subtotal_row", "note_row", "title_row", "unit_line"):
            assert any(c and c in p["detail"] for c in cells), (p, cells)
        elif p["kind"] == "blank_row":
            assert not any(cells), (p, cells)


def norm_name(s: str) -> str:
    """METHOD §2.3 name normalisation: trim, drop spaces, full-width → half-width, （）→ ()."""
    s = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in s)
    return s.replace(" ", "").replace("\u3000", "")


# --------------------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------------------

README_HEAD = """# 示范县 sample data (demo county, evaluation year 2025)

> **Generated file** — written by `python sample_data/generate.py` (seed 2025). Edit the
> script, not this file. Ground truth for tests is in `expected.json`.

A fictitious county of {n_firms} industrial enterprises ({n_above} 规上, {n_below} 规下), delivered the
way five departments would deliver it (METHOD.md §2). Every firm is keyed by a valid GB 32100-2015
统一社会信用代码 (`91` + `330381`/`330300` + 9-char organisation code + check character).

## Files

| file | department | layout and quirks |
|---|---|---|
| `{F_STATS}` | 统计局 | openpyxl workbook, sheets `规上企业` and `规下企业`. Row 1 title merged A:L; row 2 unit line `金额单位：万元` (applies to 工业增加值/营业收入/研发经费支出, not to 综合能耗 which carries its own unit, nor to 年平均职工人数); rows 3–4 a two-row header: 序号, 企业名称, 统一社会信用代码, 所属乡镇, 行业代码, 企业规模 (规上/规下), 年平均职工人数, 投产时间 merged vertically, group `主要经济指标` merged over G3:I3 (工业增加值, 营业收入, 研发经费支出), group `能源消费` over `综合能耗（吨标准煤）`. Data from row 5, ordered by township. `规上企业` has a `<乡镇>小计` row (label in 企业名称) after each township block; both sheets have one blank row inside the data, a `合计` row (merged A:F) and three note rows (`注：1. …`, `2. …`, `填表人：张三  审核人：李四 …`). 行业代码 is `3311` or, for about a quarter of firms, `C3311`. 投产时间 is a real date cell, text `2019年5月`, or a plain number `2016`. |
| `{F_TAX}` | 税务局 | Legacy BIFF8 (xlwt), sheet `实缴税金`. Row 1 title (merged A:D), row 2 header `纳税人识别号 / 纳税人名称 / 所属期 / 实缴税金（元）`; amounts in **元** with cents (number format `#,##0.00`); a `合计` row at the end (label in 纳税人名称). No 小计. |
| `{F_ELEC}` | 供电公司 | CSV, **GBK**, CRLF. Header `户号,用电户名,用电地址,用电类别,本年用电量(千瓦时)`. **No credit-code column** — match by name. One row per meter ({n_meter_firms} firms have 2–3 meters, {n_meter_rows} rows in total), values in **千瓦时**, some quoted with thousands separators (`"1,234,567"`). |
| `{F_LAND}` | 自然资源局 | xlsxwriter workbook, sheet `宗地信息`. Row 1 title (merged A:F), row 2 header `序号 / 宗地编号 / 土地使用权人 / 统一社会信用代码 / 坐落 / 土地使用权面积（平方米）`; one row per parcel ({n_parcel_firms} firms have 2–3 parcels, {n_parcel_rows} parcel rows); area in **平方米** (亩 = m² × 15 / 10000); a `总计` row merged A:E at the end. |
| `{F_FLAGS}` | 工信局 | xlsxwriter workbook, sheet `认定名单`. Row 1 title (merged A:J), header on row 2: `统一社会信用代码 / 企业名称 / 所属乡镇 / 是否高新技术企业 / 专精特新 / 智能工厂(车间) / 隐形冠军 / 安全生产事故 / 环境违法 / 新升规`. Only the {n_listed} firms with at least one flag are listed; firms not listed have every flag false. Conventions per column: 高新 `是/否` (one `Y`, one numeric `1`), 专精特新 `√`/blank, 智能工厂 `Y/N`, 隐形冠军 numeric `1/0`, 安全生产事故 `是`/blank, 环境违法 `√`/blank, 新升规 `Y/N` mixed with `是`. |
| `expected.json` | – | Ground truth (see below). |
| `generate.py` | – | The generator. |

## Design (what the reference scheme should find)

Status counts under the reference scheme (METHOD §4, Y = 2025), by population:

{counts_table}

- **exempt**: industry 4411 热电 and 4610 自来水 (规上), 4430 供热 (规下) — divisions 44–46; plus 5 firms
  commissioned in 2024/2025 (3 规上, 2 规下).
- **incomplete**: land missing or unusable — 3 firms without any parcel row (1 规上, 2 规下), 1 规上 firm
  whose only parcel says `暂无`, 1 规下 firm whose only parcel area is negative; plus the three entries
  known from a single row only (the bad-code tax row and the two unmatched electricity accounts).
- **out_of_scope**: 8 规下 firms with land < 5 亩.
- Flags: {flag_counts}. The top-scoring 规上 firm has a safety accident and the third an environmental
  violation (A → at most C); two of the lowest-scoring 规上 firms are 新升规 (D → at least C). The other
  flagged firms are random (see *Special firms*).
- Designed aggregates over firms evaluated in each population (Σ/Σ, from expected.json):
  {aggregates}

## expected.json

`enterprises` is keyed by the valid, normalised credit code; the tax row with a wrong check character is
also present under its own (normalised, invalid) code, and the two electricity accounts that match no
firm are keyed `name:<用电户名>`. Each entry holds name, township, industry (4 digits; `industry_raw` as
written), above_scale, land (亩, Σ parcels), tax (万元), value_added / revenue / rd_expense (万元),
electricity (万千瓦时, Σ meters), energy (吨标准煤), employees, commissioned (year), flags (7 booleans),
`in_flag_list`, `rows` (how many rows each file contributes — rows to be combined), `notes`, and
`status_reference` (status under the reference scheme). Values are exactly what the files state,
converted to canonical units (e.g. 1,234,567.89 元 → 123.456789 万元); compare with tolerance 1e-6.
`null` means deliberately missing or unusable (placeholder, formula without cached value, `#DIV/0!`,
`暂无`, negative area — the negative one also gives `land_as_stated`). The tax of the firm whose 税务
code has a bad check character is `null` under its valid code (it cannot be merged) and appears under
the invalid code. `problems` lists every injected problem: `file, sheet, row` (1-based Excel row, or CSV
line with the header as line 1; `null` for a missing row), `column`, `kind`, `credit_code_or_name`,
`detail` (the raw cell) and `suggested_level`.

## Injected problems

Structural rows (title, unit line, header, blank, 小计/合计/总计, notes) are listed in `expected.json`
with kind `title_row`, `unit_line`, `two_row_merged_header`, `blank_row`, `subtotal_row`, `total_row`,
`note_row`, `no_code_column`; the two tax rows of one taxpayer as `duplicate_rows_summed`. Meters and
parcels to be combined are not listed row by row: `enterprises[code].rows` gives how many rows each
file contributes. The data problems proper:

"""


def special_firm_rows(expected: dict) -> list[str]:
    """README rows for firms that are not plainly evaluated or carry a veto/protection flag."""
    out = []
    for code, e in expected["enterprises"].items():
        roles = [] if e["status_reference"] == "evaluated" else [e["status_reference"]]
        roles += [k for k in ("safety_accident", "env_violation", "newly_above") if e["flags"][k]]
        if e["rows"]["tax"] > 1:
            roles.append("tax rows summed")
        note = "; ".join(e["notes"]).replace("|", "\\|")
        out += [f"| {role} | {e['name']} | `{code}` | {note} |" for role in roles]
    return out


def write_readme(expected: dict, firms: list[Firm]) -> None:
    """Human-readable description of the files and every injected data problem."""
    counts = expected["designed_counts"]
    statuses = ["evaluated", "exempt", "incomplete", "out_of_scope", "total"]
    table = ["| population | " + " | ".join(statuses) + " |", "|---" * (len(statuses) + 1) + "|"]
    for pop in ("above", "below", "unknown"):
        label = {"above": "规上", "below": "规下", "unknown": "not in 统计 (single-row entries)"}[pop]
        table.append(f"| {label} | " + " | ".join(str(counts.get(pop, {}).get(s, 0)) for s in statuses) + " |")
    flag_counts = ", ".join(f"{k} {sum(f.flags[k] for f in firms)}" for k in FLAG_KEYS)
    agg = expected["designed_aggregates"]
    aggregates = "; ".join(f"{pop}: " + ", ".join(f"{k} {v:.3f}" for k, v in d.items()) for pop, d in agg.items())
    head = README_HEAD.format(
        n_firms=len(firms), n_above=sum(f.above for f in firms), n_below=sum(not f.above for f in firms),
        F_STATS=F_STATS, F_TAX=F_TAX, F_ELEC=F_ELEC, F_LAND=F_LAND, F_FLAGS=F_FLAGS,
        n_meter_firms=sum(len(f.meters_kwh) > 1 for f in firms),
        n_meter_rows=sum(len(f.meters_kwh) for f in firms) + len(UNMATCHED_ELEC),
        n_parcel_firms=sum(len(f.parcels_m2) > 1 for f in firms),
        n_parcel_rows=sum(len(f.parcels_m2) for f in firms),
        n_listed=sum(f.in_flag_list for f in firms),
        counts_table="\n".join(table), flag_counts=flag_counts, aggregates=aggregates)
    structural = {"title_row", "unit_line", "two_row_merged_header", "blank_row", "subtotal_row", "total_row",
                  "note_row", "no_code_column", "duplicate_rows_summed"}
    names = {k: e["name"] for k, e in expected["enterprises"].items()}
    lines = ["| # | file | sheet | row | column | kind | firm | raw / detail | level |", "|---|---|---|---|---|---|---|---|---|"]
    n = 0
    for p in expected["problems"]:
        if p["kind"] in structural:
            continue
        n += 1
        who = p["credit_code_or_name"]
        firm = f"{names.get(who, '')} `{who}`" if who and not who.startswith("name:") else (who or "")
        detail = str(p["detail"]).replace("|", "\\|")
        lines.append(f"| {n} | {p['file']} | {p['sheet'] or ''} | {p['row'] if p['row'] else '–'} | "
                     f"{p['column'] or ''} | {p['kind']} | {firm} | {detail} | {p['suggested_level']} |")
    extra = ["", "Other deliberate features (not errors): `C`-prefixed industry codes, three 投产时间 formats "
             "(date cell, `2019年5月`, plain year), per-column yes/no conventions in the 工信 list.", "",
             "## Special firms", "", "| role | firm | code | notes |", "|---|---|---|---|"]
    extra += sorted(special_firm_rows(expected))
    (OUT_DIR / "README.md").write_text(head + "\n".join(lines) + "\n" + "\n".join(extra) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------

def designed_aggregates(expected: dict) -> dict:
    """County aggregates Σ/Σ over evaluated firms, for orientation (and a sanity check)."""
    pairs = {"tax_per_mu": ("tax", "land"), "va_per_mu": ("value_added", "land"),
             "tax_per_kwh": ("tax", "electricity"), "labour_productivity": ("value_added", "employees"),
             "va_per_energy": ("value_added", "energy"), "rd_intensity": ("rd_expense", "revenue")}
    out = {}
    for pop, above in (("above", True), ("below", False)):
        es = [e for e in expected["enterprises"].values()
              if e["above_scale"] is above and e["status_reference"] == "evaluated"]
        d = {}
        for k, (num, den) in pairs.items():
            ok = [e for e in es if e[num] is not None and e[den] is not None and e[den] > 0]
            d[k] = sum(e[num] for e in ok) / sum(e[den] for e in ok) * (100 if k == "rd_intensity" else 1)
        out[pop] = d
    return out


def write_json(data: dict) -> None:
    """expected.json with one enterprise / one problem per line: small, diff-friendly."""
    def dump(v):
        return json.dumps(v, ensure_ascii=False)

    out = ["{"]
    for key in ("county", "year", "seed", "designed_counts", "designed_aggregates"):
        out.append(f" {dump(key)}: {dump(data[key])},")
    ents = [f"  {dump(k)}: {dump(v)}" for k, v in data["enterprises"].items()]
    out.append(' "enterprises": {\n' + ",\n".join(ents) + "\n },")
    probs = [f"  {dump(p)}" for p in data["problems"]]
    out.append(' "problems": [\n' + ",\n".join(probs) + "\n ]")
    out.append("}")
    (OUT_DIR / "expected.json").write_text("\n".join(out) + "\n", encoding="utf-8")


def main() -> None:
    rng = np.random.default_rng(SEED)
    firms = build_firms(rng)
    roles, picker = assign_roles(rng, firms)
    apply_status_roles(rng, roles)
    special = assign_flags(rng, firms, picker)
    inject_stats_cells(roles)

    probs = Problems()
    write_stats(firms, probs)
    write_tax(rng, firms, roles, probs)
    write_electricity(rng, firms, roles, probs)
    write_land(rng, firms, roles, probs)
    write_flags(firms, special, probs)

    expected = build_expected(firms, roles, probs)
    fill_unmatched_electricity(expected)
    expected["designed_counts"] = designed_counts(expected)
    expected["designed_aggregates"] = designed_aggregates(expected)
    expected["problems"] = probs.items
    ordered = {k: expected[k] for k in ("county", "year", "seed", "designed_counts", "designed_aggregates",
                                        "enterprises", "problems")}
    write_json(ordered)
    verify(expected, probs)
    write_readme(expected, firms)
    print(json.dumps(expected["designed_counts"], ensure_ascii=False))
    print(json.dumps(expected["designed_aggregates"], ensure_ascii=False))


if __name__ == "__main__":
    main()
