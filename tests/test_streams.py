"""Pieces written on a writer thread: in order, and every failure reaches the caller."""

from __future__ import annotations

import io
import threading

import pytest

from evaluator.core.streams import write_pieces


def test_pieces_arrive_in_order() -> None:
    out = io.BytesIO()
    write_pieces(out, (str(i).encode() + b"," for i in range(1000)))
    assert out.getvalue() == b"".join(str(i).encode() + b"," for i in range(1000))


class FullDisk(io.BytesIO):
    def write(self, b):  # type: ignore[no-untyped-def, override]
        if self.tell() >= 10:
            raise OSError(28, "No space left on device")
        return super().write(b)


def test_a_failed_write_stops_the_making_and_is_raised() -> None:
    made = []

    def pieces():  # type: ignore[no-untyped-def]
        for i in range(10_000):
            made.append(i)
            yield b"0123456789"

    with pytest.raises(OSError, match="No space"):
        write_pieces(FullDisk(), pieces())
    assert len(made) < 100  # the making stopped soon after the disk filled
    assert not [t for t in threading.enumerate() if t.name == "mujun-writer"]


def test_an_error_while_making_is_raised_as_it_was() -> None:
    out = io.BytesIO()

    def pieces():  # type: ignore[no-untyped-def]
        yield b"a"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_pieces(out, pieces())
    assert out.getvalue() == b"a"
    assert not [t for t in threading.enumerate() if t.name == "mujun-writer"]
