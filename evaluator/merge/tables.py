"""Merging departmental tables into one row per enterprise (METHOD §2.3).

The key is the normalised 统一社会信用代码. Files without codes (the power company's) are matched by
normalised name to codes known from the other files. Rows of one file with the same key (land
parcels, meters) are summed for additive fields; across files the first file given wins and any
disagreement is reported. Nothing is dropped: a row that matches nothing becomes its own
enterprise, keyed by name, and shows up in every output with its status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..clean.codes import (
    INVISIBLE,
    code_problem,
    fold_text,
    shown_invisible,
    valid_codes,
)
from ..clean.sheets import SheetTable
from ..core import joined
from ..core.fields import ADDITIVE_FIELDS, FIELD_BY_ID, FIELDS
from ..core.issues import Issue
from ..core.keys import factorize_objects
from ..core.numbers import field_value_text, format_quantity

NAME_KEY_PREFIX = "名称:"
ENTERPRISE_FIELDS: tuple[str, ...] = tuple(f.id for f in FIELDS)


@dataclass
class MergedData:
    """The enterprise table before evaluation, and everything learnt while building it."""

    enterprises: pd.DataFrame  # indexed by `key`, one row per enterprise, canonical units
    issues: list[Issue] = field(default_factory=list)
    row_keys: pd.DataFrame = field(default_factory=pd.DataFrame)  # columns _file, _sheet, _row, _key
    files: list[str] = field(default_factory=list)
    remapped: dict[str, str] = field(default_factory=dict)  # orphan key → firm key its rows were given


_NEEDS_NAME_CLEANING = re.compile("[\\s\u3000\uff01-\uff5e" + INVISIBLE.pattern[1:-1] + "]")


def _name_one(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    t = v if isinstance(v, str) else str(v)
    if _NEEDS_NAME_CLEANING.search(t):
        t = fold_text(t)
    return t or None


def normalise_names(names: pd.Series) -> pd.Series:
    """Trim, drop inner spaces, full-width → half-width (so `（）` → `()`); missing stays None."""
    idx, uniques = factorize_objects(names.to_numpy(dtype=object))
    lookup = np.empty(len(uniques) + 1, dtype=object)
    lookup[:-1] = joined.clean_texts(uniques, _NEEDS_NAME_CLEANING, _name_one)  # only names with a space, a
    lookup[-1] = None  # full-width or an invisible character are cleaned one by one
    return pd.Series(lookup[idx], index=names.index, dtype=object)


def merge_tables(tables: list[SheetTable], remap: dict[str, str] | None = None) -> MergedData:
    """Merge sheet tables given in the user's file order into one enterprise table.

    `remap` (orphan key → firm key, from `resolutions.remap_keys`) gives the rows of a linked or
    re-coded orphan the key of the firm they belong to, so they are summed into it; the findings
    on those rows are still reported (the file is unchanged)."""
    issues: list[Issue] = []
    frames: list[pd.DataFrame] = []
    file_order: dict[str, int] = {}
    for t in tables:
        file_order.setdefault(t.file, len(file_order))
    for t in tables:
        df = t.data.copy()
        df["_file"] = t.file
        df["_sheet"] = t.sheet
        df["_src"] = file_order[t.file]
        for f in ENTERPRISE_FIELDS:
            if f not in df:
                df[f] = pd.Series(None, index=df.index, dtype=object) if FIELD_BY_ID[f].kind in ("text", "code") else np.nan
        frames.append(df)
    cols = ["_file", "_sheet", "_row", "_src", *ENTERPRISE_FIELDS]
    if frames:
        rows = pd.concat([f[cols] for f in frames], ignore_index=True)
    else:
        rows = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    for f in ("credit_code", "name", "township", "industry"):
        rows[f] = rows[f].astype(object).where(rows[f].notna(), None)
    rows["_name_norm"] = normalise_names(rows["name"])
    code = rows["credit_code"]
    codes = code.to_numpy(dtype=object)
    names = rows["_name_norm"].to_numpy(dtype=object)
    has_code = code.notna().to_numpy()
    has_name = rows["_name_norm"].notna().to_numpy()
    valid = valid_codes(code) & has_code
    name_to_code, ambiguous = _codes_by_name(names[valid & has_name], codes[valid & has_name])

    for i in np.flatnonzero(has_code & ~valid):
        c = code.iat[i]
        hint = ""
        twin = name_to_code.get(names[i]) if names[i] else None
        if twin:
            hint = f"；同名企业在其他行/文件中的代码为“{twin}”，疑为代码录入错误，请核实后修正原表并重新导入"
        issues.append(Issue("error", f"统一社会信用代码“{shown_invisible(c)}”{code_problem(c)}；该行保留，但无法与其他文件合并（除非其他文件中出现相同代码）{hint}",
                            rows["_file"].iat[i], rows["_sheet"].iat[i], int(rows["_row"].iat[i]), "统一社会信用代码",
                            c, code="code_invalid"))

    # Rows without a code take the code their name has elsewhere, unless the name is ambiguous.
    key = codes.copy()
    no_code = ~has_code
    amb = np.zeros(len(rows), dtype=bool)
    use_match = np.zeros(len(rows), dtype=bool)
    look = np.flatnonzero(no_code & has_name)
    if len(look):
        found = [name_to_code.get(x) for x in names[look]]
        amb[look] = [x in ambiguous for x in names[look]]
        hit = np.array([c is not None for c in found], dtype=bool) & ~amb[look]
        use_match[look[hit]] = True
        key[look[hit]] = [c for c, h in zip(found, hit) if h]
    unmatched = no_code & ~use_match & has_name
    key[unmatched] = [NAME_KEY_PREFIX + x for x in names[unmatched]]
    nameless = no_code & ~has_name
    codes_known = bool(valid.any())
    for i in np.flatnonzero(unmatched):
        why = "名称对应多个信用代码，无法确定" if amb[i] else ("未能按企业名称匹配到其他文件中的企业" if codes_known else "文件中无信用代码")
        issues.append(Issue("warning", f"该行无信用代码，{why}（名称“{rows['name'].iat[i]}”）；已作为单独企业列出",
                            rows["_file"].iat[i], rows["_sheet"].iat[i], int(rows["_row"].iat[i]), "企业名称",
                            str(key[i]), code="name_unmatched"))
    for i in np.flatnonzero(nameless):
        issues.append(Issue("warning", "该行既无信用代码也无企业名称，无法对应到企业，未计入（请核对原表）",
                            rows["_file"].iat[i], rows["_sheet"].iat[i], int(rows["_row"].iat[i]), code="row_without_key"))
    applied: dict[str, str] = {}
    if remap:
        key, applied = _remap(rows, key, remap)
    rows["_key"] = key
    rows["_k"] = factorize_objects(key)[0]  # int codes group faster
    matches_per_file = np.bincount(rows["_src"].to_numpy(dtype=np.intp), weights=use_match, minlength=len(file_order))
    for fname in sorted(file_order):
        cnt = int(matches_per_file[file_order[fname]])
        if cnt:
            issues.append(Issue("info", f"该文件无信用代码的 {cnt} 行按企业名称匹配到了信用代码", str(fname),
                                code="name_matched"))
    rows = rows.loc[~nameless].reset_index(drop=True)
    row_keys = rows[["_file", "_sheet", "_row", "_key"]]

    per_file, file_issues = _combine_within_files(rows)
    issues.extend(file_issues)
    # A comprehension, not `dict(zip(…))`: one C call over every row would hold the interpreter lock throughout.
    known = {c: ok for c, ok in zip(codes[has_code].tolist(), valid[has_code].tolist())}  # noqa: C416
    enterprises, cross_issues = _combine_across_files(per_file, rows, known)
    issues.extend(cross_issues)
    issues.extend(_enterprise_checks(enterprises, row_keys))
    issues.extend(_unit_checks(rows, enterprises))
    return MergedData(enterprises, issues, row_keys, list(file_order), applied)


def _remap(rows: pd.DataFrame, key: np.ndarray, remap: dict[str, str]) -> tuple[np.ndarray, dict[str, str]]:
    """Keys of remapped rows replaced; a target that is a credit code becomes the rows' code too."""
    hit = np.fromiter((k in remap for k in key.tolist()), dtype=bool, count=len(key))
    if not hit.any():
        return key, {}
    key = key.copy()
    idx = np.flatnonzero(hit)
    applied = {str(key[i]): remap[key[i]] for i in idx}
    new = [remap[k] for k in key[idx].tolist()]
    key[idx] = new
    coded = [i for i, t in zip(idx, new) if not str(t).startswith(NAME_KEY_PREFIX)]
    rows.loc[coded, "credit_code"] = [key[i] for i in coded]
    return key, applied


UNIT_SUSPECT_RATIO = 1000.0  # a figure this many times (or this fraction of) the county's median
UNIT_SUSPECT_MIN_FIRMS = 10  # a median over fewer firms says little about what is normal
_UNIT_FIELDS = ("land", "tax", "value_added", "revenue", "electricity", "energy", "rd_expense", "emissions", "employees")


def _unit_checks(rows: pd.DataFrame, enterprises: pd.DataFrame) -> list[Issue]:
    """Figures far off the county's own median for the field: the mark of 元 read as 万元 (or the reverse).

    A warning on the row, the value left as it is: the check cannot know which unit is right, but an
    official must look before a letter prints a figure ten thousand times too large.
    """
    issues: list[Issue] = []
    for fid in _UNIT_FIELDS:
        if fid not in enterprises:
            continue
        firm_values = enterprises[fid].to_numpy(dtype=float)
        positive = firm_values[np.isfinite(firm_values) & (firm_values > 0)]
        if len(positive) < UNIT_SUSPECT_MIN_FIRMS:
            continue
        median = float(np.median(positive))
        v = rows[fid].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            high = v > median * UNIT_SUSPECT_RATIO
            low = (v > 0) & (v < median / UNIT_SUSPECT_RATIO)
        spec = FIELD_BY_ID[fid]
        for i in np.flatnonzero(high | low).tolist():
            x = float(v[i])
            med = format_quantity(median, spec.unit)
            how = f"约为全县企业中位数（{med}）的 {x / median:,.0f} 倍" if high[i] else \
                f"仅为全县企业中位数（{med}）的 {x / median:.2g} 倍"
            issues.append(Issue("warning", f"{spec.label} {format_quantity(x, spec.unit)}{how}，疑似单位错误（可能是元/万元混用）；"
                                           "请核对原表的单位，数值暂按原样计算", str(rows["_file"].iat[i]),
                                str(rows["_sheet"].iat[i]), int(rows["_row"].iat[i]), spec.label,
                                str(rows["_key"].iat[i]), code="unit_suspect"))
    return issues


def _codes_by_name(names: np.ndarray, codes: np.ndarray) -> tuple[dict[str, str], set[str]]:
    """Each name's first code, and the names claimed by two or more codes (which match nothing)."""
    first: dict[str, str] = {}
    ambiguous: set[str] = set()
    get = first.setdefault
    for n, c in zip(names.tolist(), codes.tolist()):
        if get(n, c) != c:
            ambiguous.add(n)
    return first, ambiguous


def _combine_within_files(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[Issue]]:
    """One row per (key, file): parcels and meters summed, other fields' first value kept."""
    issues: list[Issue] = []
    k = rows["_k"].to_numpy(dtype=np.int64)
    pair = rows["_src"].to_numpy(dtype=np.int64) * (int(k.max(initial=0)) + 1) + k
    if not pd.Series(pair).duplicated().any():  # every firm on one row per file: nothing to combine
        combined = rows[["_src", "_k", "_key", "_file", "_sheet", *ENTERPRISE_FIELDS]]  # a copy (copy-on-write)
        combined["_rows"] = 1
        combined["_first"] = rows["_row"].to_numpy()
        return combined, issues
    g = rows.groupby(["_src", "_k"], sort=False)
    additive = g[list(ADDITIVE_FIELDS)].sum(min_count=1)
    other_fields = [f for f in ENTERPRISE_FIELDS if f not in ADDITIVE_FIELDS]
    others = g[other_fields].first()
    meta = g.agg(_key=("_key", "first"), _file=("_file", "first"), _sheet=("_sheet", "first"),
                 _rows=("_row", "size"), _first=("_row", "min"))
    combined = pd.concat([meta, additive, others], axis=1).reset_index()
    multi = meta[meta["_rows"] > 1]
    if len(multi):
        for (src, fname), grp in multi.groupby([multi.index.get_level_values(0), "_file"]):
            all_rows = meta[meta.index.get_level_values(0) == src]
            issues.append(Issue("info", f"本文件 {int(all_rows['_rows'].sum())} 行数据合并为 {len(all_rows)} 家企业："
                                        f"其中 {len(grp)} 家企业各有多行（地块、电表、税种等，共 {int(grp['_rows'].sum())} 行），"
                                        "用地面积、税金、增加值、营业收入、用电量、能耗、研发经费、排放量按行加总", str(fname),
                                code="rows_combined"))
        in_multi = g["_row"].transform("size").to_numpy() > 1
        dup_rows = rows[in_multi]
        gd = dup_rows.groupby(["_src", "_k"], sort=False)
        for fid in other_fields:
            if fid == "credit_code":
                continue
            col = "_name_norm" if fid == "name" else fid
            v = dup_rows[col]
            first = gd[col].transform("first")
            present = v.notna().to_numpy() & first.notna().to_numpy()
            if FIELD_BY_ID[fid].kind in ("text", "code"):
                differs = present & (v.to_numpy(dtype=object) != first.to_numpy(dtype=object))
            else:
                differs = present & ~np.isclose(v.to_numpy(dtype=float), first.to_numpy(dtype=float), rtol=1e-6, atol=1e-9)
            if not differs.any():
                continue
            bad = dup_rows.loc[differs, ["_src", "_key"]].drop_duplicates()
            for src, k in zip(bad["_src"], bad["_key"]):
                grp = dup_rows[(dup_rows["_src"] == src) & (dup_rows["_key"] == k)]
                vals = grp[[fid, "_sheet", "_row"]].dropna(subset=[fid])
                first_row = vals.iloc[0]
                shown = "、".join(f"第 {int(r)} 行“{_show(fid, x)}”" for x, r in zip(vals[fid], vals["_row"]))
                issues.append(Issue("warning", f"同一企业在本文件的多行中{FIELD_BY_ID[fid].label}不一致：{shown}；采用第一个值“{_show(fid, first_row[fid])}”",
                                    str(grp["_file"].iat[0]), str(first_row["_sheet"]), int(first_row["_row"]),
                                    FIELD_BY_ID[fid].label, str(k), code="conflict_in_file"))
    return combined, issues


def _code_valid(codes: pd.Series, known: dict[str, bool]) -> np.ndarray:
    """Each firm's code checked, reusing the rows' checks (validity depends on the code alone);
    codes the rows did not have (a remap's target) are checked here."""
    present = codes.notna().to_numpy()
    vals = codes.to_numpy(dtype=object)
    got = [known.get(c) if p else False for c, p in zip(vals.tolist(), present.tolist())]
    if None in got:
        unknown = [i for i, g in enumerate(got) if g is None]
        for i, ok in zip(unknown, valid_codes(pd.Series(vals[unknown], dtype=object)).tolist()):
            got[i] = ok
    return np.array(got, dtype=bool) & present


def _combine_across_files(per_file: pd.DataFrame, rows: pd.DataFrame, known: dict[str, bool]
                          ) -> tuple[pd.DataFrame, list[Issue]]:
    """First file given wins per field; a different non-empty value elsewhere is a warning."""
    issues: list[Issue] = []
    per_file = per_file.sort_values(["_src"], kind="stable")
    first_seen = pd.unique(rows["_k"].to_numpy())  # order of first appearance
    if not per_file["_k"].duplicated().any():  # each firm in one file only: nothing to reconcile
        one = per_file.set_index("_k")
        if not np.array_equal(one.index.to_numpy(), first_seen):  # rows of several files: first-seen order
            one = one.loc[first_seen]
        merged = one[list(ENTERPRISE_FIELDS)]  # a copy (copy-on-write)
        merged["sources"] = one["_file"].to_numpy(dtype=object)
        merged["n_rows"] = one["_rows"].astype(int).to_numpy()
        merged.index = pd.Index(one["_key"].to_numpy(dtype=object), name="key", dtype=object)
        merged["code_valid"] = _code_valid(merged["credit_code"], known)
        return merged, issues
    g = per_file.groupby("_k", sort=False)
    merged = g[list(ENTERPRISE_FIELDS)].first()
    # Which files each firm came from, as a bit mask per firm: few distinct masks, each named once.
    names = per_file.drop_duplicates("_src").set_index("_src")["_file"].to_dict()
    bits = np.left_shift(1, per_file["_src"].to_numpy(dtype=np.int64))
    masks = pd.Series(bits, index=per_file.index).groupby(per_file["_k"], sort=False).sum()
    label = {m: "；".join(names[b] for b in sorted(names) if m >> b & 1) for m in pd.unique(masks.to_numpy())}
    sources = masks.map(label)
    n_rows = g["_rows"].sum()
    n_files = g["_src"].transform("size")
    if (n_files.to_numpy() > 1).any():  # firms present in two or more files: compare their values
        sub = per_file[n_files.to_numpy() > 1].copy()
        sub["_name_norm"] = normalise_names(sub["name"])
        for fid in ENTERPRISE_FIELDS:
            if fid == "credit_code":
                continue
            col = "_name_norm" if fid == "name" else fid
            vals = sub[list(dict.fromkeys(["_k", "_key", "_file", "_sheet", "_first", col, fid]))].dropna(subset=[col])
            if vals.empty:
                continue
            ref = vals.groupby("_k", sort=False)[col].transform("first")
            if FIELD_BY_ID[fid].kind in ("number", "bool", "scale", "year"):
                differs = ~np.isclose(vals[col].to_numpy(dtype=float), ref.to_numpy(dtype=float), rtol=1e-6, atol=1e-9)
            else:
                differs = vals[col].to_numpy(dtype=object) != ref.to_numpy(dtype=object)
            if not differs.any():
                continue
            numeric = FIELD_BY_ID[fid].kind in ("number", "bool", "scale", "year")
            bad_keys = vals.loc[differs, "_k"].unique()
            for _, kv in vals[vals["_k"].isin(bad_keys)].groupby("_k", sort=False):
                k = kv["_key"].iat[0]
                a = kv.iloc[0]
                for _, b in kv.iloc[1:].iterrows():
                    same = (np.isclose(float(b[col]), float(a[col]), rtol=1e-6, atol=1e-9) if numeric
                            else b[col] == a[col])
                    if same:
                        continue
                    # The place columns carry the first file's row (the value kept); the other is named.
                    issues.append(Issue(
                        "warning",
                        f"{FIELD_BY_ID[fid].label}在不同文件中不一致：本行“{_show(fid, a[fid])}”，"
                        f"{b['_file']} / {b['_sheet']} / 第 {int(b['_first'])} 行“{_show(fid, b[fid])}”；"
                        "采用本行（先导入的文件）的值",
                        str(a["_file"]), str(a["_sheet"]), int(a["_first"]), FIELD_BY_ID[fid].label, str(k),
                        code="conflict_across_files"))
    keys = g["_key"].first()
    merged = merged.loc[first_seen]
    merged["sources"] = sources.loc[first_seen]
    merged["n_rows"] = n_rows.loc[first_seen].astype(int)
    merged.index = pd.Index(keys.loc[first_seen].to_numpy(dtype=object), name="key", dtype=object)
    merged["code_valid"] = _code_valid(merged["credit_code"], known)
    return merged, issues


def _show(fid: str, v: object) -> str:
    return field_value_text(FIELD_BY_ID[fid], v)


def _enterprise_checks(ent: pd.DataFrame, row_keys: pd.DataFrame) -> list[Issue]:
    """Facts an evaluation needs that no file supplied, said once per enterprise, placed on the
    firm's first row (the file, sheet and row it was first read from) so the list can point there."""
    issues: list[Issue] = []
    checks = (
        ("above_scale", "warning", "missing_scale", "缺少“是否规上”信息，按规下企业处理"),
        ("name", "warning", "missing_name", "缺少企业名称"),
        ("land", "warning", "missing_land", "缺少用地面积，无法评价（数据不全）"),
        ("industry", "info", "missing_industry", "缺少行业代码，不参与行业排名"),
        ("township", "info", "missing_township", "缺少所属乡镇，不参与乡镇排名"),
    )
    missing = {fid: ent.index[ent[fid].isna().to_numpy()] for fid, *_ in checks}
    wanted = set().union(*(set(v.tolist()) for v in missing.values()))
    if not wanted:
        return issues
    first = row_keys[row_keys["_key"].isin(wanted)].drop_duplicates("_key")  # only the firms concerned
    place = {str(k): (str(f), str(s), int(r)) for k, f, s, r in
             zip(first["_key"], first["_file"], first["_sheet"], first["_row"])}
    for fid, level, code, msg in checks:
        for k in missing[fid]:
            f, s, r = place.get(str(k), ("", "", None))
            issues.append(Issue(level, msg, f, s, r, FIELD_BY_ID[fid].label, str(k), code=code))
    return issues
