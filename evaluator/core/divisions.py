"""Names of the GB/T 4754-2017 industry divisions (行业大类) used by industrial evaluations.

Officials read "33 金属制品业", not "33": the names are printed next to the 2-digit division in
letters, lists and reports. Only sections B (mining), C (manufacturing) and D (utilities) are
listed, the industries county evaluations cover.
"""

from __future__ import annotations

import functools

DIVISION_NAMES: dict[str, str] = {
    "06": "煤炭开采和洗选业", "07": "石油和天然气开采业", "08": "黑色金属矿采选业", "09": "有色金属矿采选业",
    "10": "非金属矿采选业", "11": "开采专业及辅助性活动", "12": "其他采矿业",
    "13": "农副食品加工业", "14": "食品制造业", "15": "酒、饮料和精制茶制造业", "16": "烟草制品业",
    "17": "纺织业", "18": "纺织服装、服饰业", "19": "皮革、毛皮、羽毛及其制品和制鞋业",
    "20": "木材加工和木、竹、藤、棕、草制品业", "21": "家具制造业", "22": "造纸和纸制品业",
    "23": "印刷和记录媒介复制业", "24": "文教、工美、体育和娱乐用品制造业", "25": "石油、煤炭及其他燃料加工业",
    "26": "化学原料和化学制品制造业", "27": "医药制造业", "28": "化学纤维制造业", "29": "橡胶和塑料制品业",
    "30": "非金属矿物制品业", "31": "黑色金属冶炼和压延加工业", "32": "有色金属冶炼和压延加工业",
    "33": "金属制品业", "34": "通用设备制造业", "35": "专用设备制造业", "36": "汽车制造业",
    "37": "铁路、船舶、航空航天和其他运输设备制造业", "38": "电气机械和器材制造业",
    "39": "计算机、通信和其他电子设备制造业", "40": "仪器仪表制造业", "41": "其他制造业",
    "42": "废弃资源综合利用业", "43": "金属制品、机械和设备修理业",
    "44": "电力、热力生产和供应业", "45": "燃气生产和供应业", "46": "水的生产和供应业",
}


def division_label(code: str | None) -> str:
    """`33 金属制品业`; the bare code when the name is unknown; "" for none."""
    if not code:
        return ""
    name = DIVISION_NAMES.get(str(code))
    return f"{code} {name}" if name else str(code)


def industry_code(raw: str | None) -> str:
    """The 4-digit class code as printed: `C3311`, ` 3311 ` and `3311.0` all become `3311`."""
    t = str(raw or "").strip().upper()
    t = t[1:] if t[:1].isalpha() else t
    t = t.removesuffix(".0")
    return t


_SECTIONS = (("B", 6, 12), ("C", 13, 43), ("D", 44, 46))  # GB/T 4754-2017 sections of the listed divisions


def industry_display_code(raw: str | None) -> str:
    """`C3311` for `3311`, `C3311` or ` c3311 `: the class code with its section letter, as the
    statistics files print it, so one firm's code reads the same on every screen; a code of a
    division outside B–D, or not a 4-digit class, as written (trimmed); "" for none."""
    code = industry_code(raw)
    if len(code) == 4 and code.isdigit():
        div = int(code[:2])
        for letter, lo, hi in _SECTIONS:
            if lo <= div <= hi:
                return letter + code
    return code if code.isdigit() else str(raw or "").strip()


@functools.lru_cache(maxsize=4096)  # a county has a few hundred classes; lists print one per firm
def industry_label(raw: str | None) -> str:
    """`C3311 金属结构制造` on every screen and paper alike (the display code and the class name); for
    a class not in GB/T 4754-2017, the code and its division (`C1810（18 纺织服装、服饰业）`), never a
    guessed name; "" for none."""
    from .industry_classes import CLASS_NAMES

    code = industry_code(raw)
    if not code:
        return ""
    shown = industry_display_code(raw)
    name = CLASS_NAMES.get(code)
    if name:
        return f"{shown} {name}"
    div = code[:2]
    return f"{shown}（{division_label(div)}）" if div in DIVISION_NAMES else shown
