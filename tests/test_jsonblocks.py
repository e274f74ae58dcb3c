"""Big JSON written and read a block at a time: the same values as one json.dumps / json.loads."""

from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.project import jsonblocks as jsonblocks

CELL = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=6))
ROWS = st.lists(st.lists(CELL, max_size=4), max_size=40)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch) -> None:
    monkeypatch.setattr(jsonblocks, "BLOCK", 3)
    monkeypatch.setattr(jsonblocks, "READ_CHUNK", 7)  # compressed bytes per read: splits everywhere


@given(ROWS)
@settings(max_examples=150)
def test_rows_round_trip(rows: list[list[object]]) -> None:
    blob = jsonblocks.compress(jsonblocks.dumps(rows, separators=(",", ":")), 6)
    assert json.loads(zlib.decompress(blob)) == rows  # plain JSON: any reader can open it
    assert jsonblocks.loads_list(blob) == rows
    assert jsonblocks.loads_list(blob, convert=tuple) == [tuple(r) for r in rows]


@given(ROWS)
def test_files_written_in_one_piece_still_read(rows: list[list[object]]) -> None:
    blob = zlib.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode())
    assert jsonblocks.loads_list(blob) == rows


def test_newlines_inside_text_are_not_block_boundaries() -> None:
    rows = [["第一行,\n第二行", ",\n"], ["a"], ["b"], ["c"], [",\n,\n"]]
    blob = jsonblocks.compress(jsonblocks.dumps(rows), 6)
    assert jsonblocks.loads_list(blob) == rows


def test_documents_with_lists_and_iterators() -> None:
    doc = {"scheme": "reference", "summary": {"above": {"tiers": {"A": 1}}},
           "enterprises": ({"name": f"企业{i}", "v": i / 3} for i in range(10)), "issues": [], "more": list(range(8))}
    text = "".join(jsonblocks.dumps(doc))
    assert json.loads(text) == {"scheme": "reference", "summary": {"above": {"tiers": {"A": 1}}},
                                "enterprises": [{"name": f"企业{i}", "v": i / 3} for i in range(10)], "issues": [],
                                "more": list(range(8))}


def test_damaged_blobs_raise_value_errors() -> None:
    good = jsonblocks.compress(jsonblocks.dumps([[1], [2], [3], [4]]), 6)
    with pytest.raises(zlib.error):
        jsonblocks.loads_list(good[:-8] + b"\x00" * 8)
    with pytest.raises(ValueError):
        jsonblocks.loads_list(zlib.compress(b'{"a": 1}'))
    with pytest.raises(ValueError):
        jsonblocks.loads_list(zlib.compress(b"[[1],[2]"))
