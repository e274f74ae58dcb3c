"""The land ledger: leases between firms (租赁台账), so evaluated land can be own + rented in − rented out.

A lease file names both parties (by credit code or by name) and the area: land in 亩 (or ㎡,
公顷, converted on import) and/or factory floor area in ㎡. Its rows go through the same import
and checks as every file; here each row is matched to the enterprises the other files know:
- the tenant (承租方) must be one of them, else the row is a warning and is not counted;
- the landlord (出租方) may be outside them (a village or street owns the building): the tenant's
  rented-in area still counts, nobody's rented-out area is reduced, and an info says so.
The scheme decides how the ledger is used (`[land]`, evaluated in `evaluator.method.evaluate`).

Columns added to the enterprise table (all firms; 0 without leases): `land_rented_in`,
`land_rented_out` (亩), `floor_rented_in`, `floor_rented_out` (㎡), `tenant_count` (firms renting
from it), `landlord` (key of the firm it rents the most area from, None if none).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..clean.sheets import SheetTable
from ..core.fields import LEASE_FIELD_IDS
from ..core.issues import Issue
from .tables import normalise_names

LEDGER_COLUMNS = ("land_rented_in", "land_rented_out", "floor_rented_in", "floor_rented_out", "tenant_count")
PARTY_FIELDS = ("lessor_code", "lessor_name", "lessee_code", "lessee_name")


@dataclass
class Ledger:
    """The counted leases (one row each: file, sheet, row, lessor and lessee keys, areas) and the
    data-check entries found while matching them."""

    leases: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)


def is_lease_table(table: SheetTable) -> bool:
    """A sheet naming lease parties is a lease file, not enterprise rows."""
    return any(f in PARTY_FIELDS for f in table.fields)


def _text(v: object) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    t = str(v).strip()
    return t or None


def _party(code: object, name: object, keys: set[str], by_name: dict[str, str]) -> tuple[str | None, str]:
    """The enterprise key of a party, and how it is shown in messages."""
    c, n = _text(code), _text(name)
    shown = n or c or "（未填）"
    if c and c in keys:
        return c, shown
    if n:
        norm = normalise_names(pd.Series([n], dtype=object)).iat[0]
        if norm in by_name:
            return by_name[norm], shown
    return None, shown


def build_ledger(tables: list[SheetTable], enterprises: pd.DataFrame) -> Ledger:
    """Match every lease row to the enterprises; rows that cannot be counted are reported."""
    keys = {str(k) for k in enterprises.index}
    names = normalise_names(enterprises["name"].astype(object))
    by_name: dict[str, str] = {}
    for k, n in zip(enterprises.index, names):
        if isinstance(n, str):
            by_name.setdefault(n, str(k))
    issues: list[Issue] = []
    rows: list[dict[str, object]] = []
    for t in tables:
        d = t.data
        get = {f: (d[f].tolist() if f in d else [None] * len(d)) for f in (*LEASE_FIELD_IDS,)}
        col = {c.field: c.label for c in t.columns if c.field}
        counted = 0
        for i, excel_row in enumerate(d["_row"].tolist()):
            lessor, lessor_shown = _party(get["lessor_code"][i], get["lessor_name"][i], keys, by_name)
            lessee, lessee_shown = _party(get["lessee_code"][i], get["lessee_name"][i], keys, by_name)
            land = float(get["leased_land"][i]) if _text(get["leased_land"][i]) is not None else np.nan
            floor = float(get["leased_floor"][i]) if _text(get["leased_floor"][i]) is not None else np.nan

            def report(level: str, msg: str, column: str | None = None, t: SheetTable = t, row: int = int(excel_row),
                       key: str | None = lessee) -> None:
                issues.append(Issue(level, msg, t.file, t.sheet, row, column, key))

            if lessee is None:
                report("warning", f"承租方“{lessee_shown}”在其他数据文件中找不到（按信用代码和名称均未匹配），"
                                  "该租赁记录未计入用地", col.get("lessee_code") or col.get("lessee_name"))
                continue
            ok_land, ok_floor = np.isfinite(land) and land > 0, np.isfinite(floor) and floor > 0
            if not (ok_land or ok_floor):
                report("error", "租赁面积缺失或不大于 0，该租赁记录未计入用地",
                       col.get("leased_land") or col.get("leased_floor"))
                continue
            if lessor == lessee:
                report("warning", f"出租方与承租方为同一企业（“{lessee_shown}”），该租赁记录未计入用地")
                continue
            if lessor is None:
                report("info", f"出租方“{lessor_shown}”不在参评企业数据中（如村集体、街道或个人），"
                               f"只计入承租方“{lessee_shown}”的租入面积")
            rows.append({"_file": t.file, "_sheet": t.sheet, "_row": int(excel_row), "lessor": lessor,
                         "lessee": lessee, "land": land if ok_land else 0.0, "floor": floor if ok_floor else 0.0})
            counted += 1
        issues.append(Issue("info", f"租赁台账：{len(d)} 条记录，计入 {counted} 条", t.file, t.sheet))
    leases = pd.DataFrame(rows, columns=["_file", "_sheet", "_row", "lessor", "lessee", "land", "floor"])
    return Ledger(leases, issues)


def ledger_columns(ledger: Ledger, index: pd.Index) -> pd.DataFrame:
    """Per enterprise: areas rented in and out, how many firms rent from it, and its main landlord."""
    out = pd.DataFrame({c: np.zeros(len(index)) for c in LEDGER_COLUMNS}, index=index)
    out["landlord"] = pd.Series(None, index=index, dtype=object)
    ls = ledger.leases
    if ls.empty:
        return out
    pos = {str(k): i for i, k in enumerate(index)}
    n = len(index)

    def summed(who: str, what: str) -> np.ndarray:
        m = ls[who].notna().to_numpy()
        at = np.array([pos[k] for k in ls[who][m]], dtype=np.int64)
        return np.bincount(at, weights=ls[what][m].to_numpy(dtype=float), minlength=n)

    out["land_rented_in"] = summed("lessee", "land")
    out["land_rented_out"] = summed("lessor", "land")
    out["floor_rented_in"] = summed("lessee", "floor")
    out["floor_rented_out"] = summed("lessor", "floor")
    pairs = ls.loc[ls["lessor"].notna(), ["lessor", "lessee"]].drop_duplicates()
    counts = pairs.groupby("lessor").size()
    out["tenant_count"] = [float(counts.get(str(k), 0)) for k in index]
    main = (ls[ls["lessor"].notna()].assign(area=lambda x: x["land"] + x["floor"] * 15 / 10000)
            .groupby(["lessee", "lessor"], as_index=False)["area"].sum()
            .sort_values(["lessee", "area", "lessor"], ascending=[True, False, True]).drop_duplicates("lessee"))
    out.loc[main["lessee"].tolist(), "landlord"] = main["lessor"].tolist()
    return out
