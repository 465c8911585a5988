"""Child process of the kill -9 test: writes durable orders and streams tick batches until killed.

Usage: ``python _store_killed_writer.py DB_PATH MODE FIRST_BATCH``. Prints ``ORDER <key>`` after each
order's insert has committed, ``FLUSH <i>`` before and ``FLUSHED <i>`` after a forced flush of tick
batch ``i``. Every tick of batch ``i`` carries ``oi = i``, so the parent can check that batches are whole.

MODE ``stream``: small batches (1,000 rows) through the background writer, flushed on size/time.
MODE ``flush``: large batches (200,000 rows), each flushed explicitly, so a kill lands mid-insert.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from alphastock.store import Store
from tests.store._store_data import order, tick_columns

BATCH_ROWS = {"stream": 1_000, "flush": 200_000}


def main() -> None:
    path, mode, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rows = BATCH_ROWS[mode]
    store = Store.open(path)
    writer = store.writer(flush_rows=5 * rows, flush_interval_s=0.02)
    template = tick_columns(rows, seed=first)
    i = first
    while True:
        key = f"K{i:08d}"
        store.insert_order(order(key, created_ns=i))
        print(f"ORDER {key}", flush=True)
        batch = dict(template)
        batch["oi"] = np.full(rows, i, dtype=np.int64)
        writer.append_ticks(batch)
        if mode == "flush":
            print(f"FLUSH {i}", flush=True)
            writer.flush()
            print(f"FLUSHED {i}", flush=True)
        i += 1


if __name__ == "__main__":
    main()
