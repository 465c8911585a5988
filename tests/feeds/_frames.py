"""Builders of Kite binary packets and frames for the tests (big-endian, as Kite sends them)."""

from __future__ import annotations

import base64
import struct

import numpy as np

from tests._data import KITE_MOCKS

PACKET_SIZES = (8, 28, 32, 44, 184)
# Segments the official client knows (nse 1 ... indices 9, nco 12), plus some it does not.
SEGMENTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 0, 10, 11, 13, 255)


def real_packet(name: str) -> bytes:
    """A real packet from tests/data/kite-mocks (``ticker_full`` or ``ticker_quote``)."""
    return base64.b64decode((KITE_MOCKS / f"{name}.packet").read_text().strip())


def words(*values: int, size: int) -> bytes:
    """A packet of `size` bytes starting with the given u32 words (then zeros; words past `size` dropped)."""
    raw = struct.pack(f">{len(values)}I", *values)
    return (raw + bytes(max(0, size - len(raw))))[:size]


def depth_entries(levels: list[tuple[int, int, int]]) -> bytes:
    """Depth entries of (quantity, raw price, orders): u32, u32, u16, 2 bytes padding each."""
    return b"".join(struct.pack(">IIH2x", q, p, o) for q, p, o in levels)


def frame(*packets: bytes) -> bytes:
    """A frame of `packets`, each with its u16 length prefix, after the u16 packet count."""
    return struct.pack(">H", len(packets)) + b"".join(struct.pack(">H", len(p)) + p for p in packets)


def random_packet(rng: np.random.Generator, size: int | None = None) -> bytes:
    """A well-formed packet of a random (or the given) size with random fields and a random segment.

    Field values mix small numbers, zeros and the full u32 range, so divisions, zero closes and
    unsigned extremes all occur.
    """
    size = int(rng.choice(PACKET_SIZES)) if size is None else size
    n_words = size // 4
    kind = rng.integers(0, 3, n_words)
    values = np.where(
        kind == 0,
        0,
        np.where(
            kind == 1, rng.integers(0, 10_000_000, n_words), rng.integers(0, 2**32, n_words, dtype=np.uint64)
        ),
    ).astype(">u4")
    token = (int(rng.integers(0, 2**24)) << 8) | int(rng.choice(SEGMENTS))
    values[0] = token
    return values.tobytes()


def random_frame(rng: np.random.Generator, max_packets: int = 12) -> bytes:
    """A well-formed frame of 0..max_packets random packets."""
    return frame(*(random_packet(rng) for _ in range(int(rng.integers(0, max_packets + 1)))))
