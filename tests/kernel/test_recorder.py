"""The recorder: every stored tick once (also when batches were merged), ltp/full columns, bars once,
drops counted, and an in-process simulator session whose ticks and bars land in DuckDB and export."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from alphastock.bus import EventBus
from alphastock.cli import app as cli_app
from alphastock.config import RecordingConfig, load_config
from alphastock.events import Bar, Event, EventType, Priority, TickBatch
from alphastock.kernel.recorder import Recorder
from alphastock.live.app import TradingApp
from alphastock.live.connect import connect
from alphastock.live.safety import RunMode
from alphastock.store import Store
from alphastock.ticks import TickStore

T0 = 1_767_240_900_000_000_000  # 2026-01-01 09:45 IST
A, B = 256_265, 408_065


def _batch(*tokens: int) -> Event[TickBatch]:
    return Event(EventType.TICK_BATCH, TickBatch(tokens=np.array(tokens, dtype=np.int64)), ts_event=T0)


def _push(ticks: TickStore, token: int, n: int, start: int) -> None:
    ts = T0 + np.arange(start, start + n, dtype=np.int64) * 1_000_000
    ticks.push_batch(
        token, ts, 100.0 + np.arange(start, start + n), last_qty=5, volume=np.arange(start, start + n) * 10,
        oi=7, bid=99.5, ask=100.5, bid_qty=11, ask_qty=12,
    )  # fmt: skip


async def _recorded(tmp_path: Path, mode: str, steps: list[tuple[int, int, tuple[int, ...]]]) -> list[Any]:
    """Push ``(token, n)`` ticks and deliver the batch ``tokens`` for each step; the rows recorded."""
    ticks = TickStore(64)
    with Store.open(tmp_path / "r.duckdb") as store:
        # The tap read after each step (the timer reads it every 0.25 s): the steps test the counts.
        recorder = Recorder(store, ticks, RecordingConfig.model_validate({"ticks": mode}))
        await recorder.start()
        pushed: Counter[int] = Counter()
        for token, n, _batch_tokens in steps:  # what a tick batch would say: the tap has every tick
            _push(ticks, token, n, pushed[token])
            pushed[token] += n
            recorder.record_pending()
        await recorder.stop()
        assert recorder.health().state == "stopped"
        rows: list[Any] = store.query("SELECT * FROM ticks ORDER BY token, ts_ns").to_pylist()
        assert recorder.ticks_recorded == len(rows)
        assert recorder.dropped_rows == 0
        return rows


def test_every_tick_once_even_when_batches_were_merged(tmp_path: Path) -> None:
    steps = [
        (A, 1, (A,)),  # one new tick, told once
        (A, 3, (A, A, A)),  # three, told three times
        (A, 5, (A,)),  # five, told once (merged batches)
        (B, 4, (B, A)),  # a new token with four ticks told once; A has nothing new
        (B, 100, (B,)),  # more than the ring holds (64): the tap kept them all as they were stored
    ]
    rows = asyncio.run(_recorded(tmp_path, "ltp", steps))
    a = [r for r in rows if r["token"] == A]
    b = [r for r in rows if r["token"] == B]
    assert [r["ts_ns"] for r in a] == [T0 + i * 1_000_000 for i in range(9)]
    assert [r["last_price"] for r in a] == [100.0 + i for i in range(9)]
    assert [r["volume"] for r in a] == [i * 10 for i in range(9)]
    assert [r["ts_ns"] for r in b] == [T0 + i * 1_000_000 for i in range(104)]
    # ltp: the quote columns are not recorded (NULL), not "not carried" (NaN/0)
    assert {(r["bid"], r["ask"], r["last_qty"], r["oi"], r["bid_qty"], r["ask_qty"]) for r in rows} == {
        (None, None, None, None, None, None)
    }


def test_full_records_every_column(tmp_path: Path) -> None:
    rows = asyncio.run(_recorded(tmp_path, "full", [(A, 2, (A, A))]))
    assert rows == [
        {"token": A, "ts_ns": T0 + i * 1_000_000, "last_price": 100.0 + i, "last_qty": 5, "volume": i * 10,
         "oi": 7, "bid": 99.5, "ask": 100.5, "bid_qty": 11, "ask_qty": 12}
        for i in range(2)
    ]  # fmt: skip


def test_bars_once_off_and_late_events_counted(tmp_path: Path) -> None:
    async def scenario() -> tuple[list[Any], Recorder, int]:
        ticks = TickStore(8)
        with Store.open(tmp_path / "b.duckdb") as store:
            recorder = Recorder(store, ticks, RecordingConfig(ticks="off"))
            bus = EventBus()
            recorder.subscribe(bus, priority=Priority.LOW)
            await bus.start()
            await recorder.start()
            for i in range(3):
                bar = Bar(A, "NIFTY", "1m", T0 + i * 60 * 10**9, 10.0, 12.0, 9.0, 11.0 + i, 1234.6, 40)
                bus.publish_nowait(Event(EventType.BAR, bar, ts_event=T0))
            _push(ticks, A, 2, 0)
            bus.publish_nowait(_batch(A, A))  # ticks: off, not subscribed
            await recorder.stop()  # records what the bus still holds first
            recorder.on_bar(Event(EventType.BAR, bar, ts_event=T0))  # after the stop: counted
            await bus.stop()
            bars = store.query("SELECT * FROM bars ORDER BY start_ns").to_pylist()
            return bars, recorder, store.count("ticks")

    bars, recorder, tick_rows = asyncio.run(scenario())
    assert tick_rows == 0
    assert [
        (b["token"], b["interval"], b["start_ns"], b["close"], b["volume"], b["ticks"]) for b in bars
    ] == [(A, "1m", T0 + i * 60 * 10**9, 11.0 + i, 1235, 40) for i in range(3)]
    assert (recorder.bars_recorded, recorder.dropped_rows) == (3, 1)


def test_a_full_writer_queue_drops_without_waiting_and_counts(tmp_path: Path) -> None:
    async def scenario() -> Recorder:
        ticks = TickStore(64)
        with Store.open(tmp_path / "q.duckdb") as store:
            config = RecordingConfig(max_queued_rows=3, flush_interval_s=3600.0)
            recorder = Recorder(store, ticks, config, read_interval_s=3600.0)  # read here, by hand
            await recorder.start()
            _push(ticks, A, 3, 0)
            recorder.record_pending()  # fills the queue (the writer waits for its interval)
            _push(ticks, A, 2, 3)
            recorder.record_pending()  # no room: dropped, counted
            assert recorder.health().state == "degraded"
            await recorder.stop()
            assert store.count("ticks") == 3
            return recorder

    recorder = asyncio.run(scenario())
    assert (recorder.ticks_recorded, recorder.dropped_rows) == (3, 2)


# ------------------------------------------------------------------------------------ a session


async def _session(data_dir: Path) -> dict[str, Any]:
    config = load_config([], environ={}, overrides={"live": {"sim": {"speed": 60.0, "seed": 5}}})
    assert config.recording.ticks == "ltp"  # the default records ticks and bars
    assert config.recording.bars
    out: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        conn = await connect(RunMode.SIM, config.live, stack)
        store = Store.open(data_dir=data_dir)
        stack.callback(store.close)
        app = TradingApp(config, conn, store, data_dir=data_dir, session_id="sim-rec")
        await app.build()
        store.start_session("sim-rec", 1, "sim")
        seen: Counter[tuple[int, str]] = Counter()
        closes: dict[tuple[int, str, int], float] = {}

        def on_bar(event: Event[Any]) -> None:
            bar: Bar = event.payload
            seen[(bar.token, bar.interval)] += 1
            closes[(bar.token, bar.interval, bar.start_ns)] = bar.close

        bus = app.kernel.bus
        bus.subscribe(EventType.BAR, on_bar, priority=Priority.LOW, name="test-bars", queue_size=65_536)
        await app.start()
        await asyncio.sleep(4.0)  # four simulated minutes
        out["summary"] = await app.shutdown("test over")
        out["seen"], out["closes"] = seen, closes
        out["recorder"] = app.kernel.recorder
        # The feed and runners stopped before the recorder: the TickStore holds what was recorded.
        ticks = app.kernel.ticks
        out["stored"] = {int(t): ticks.window(int(t), ticks.capacity) for t in ticks.tokens()}
        out["ticks"] = store.query("SELECT * FROM ticks ORDER BY token, ts_ns")
        out["bars"] = store.query("SELECT * FROM bars").to_pylist()
    return out


def test_a_simulator_session_records_its_ticks_and_bars(tmp_path: Path) -> None:
    out = asyncio.run(_session(tmp_path))
    stored: dict[int, dict[str, np.ndarray]] = out["stored"]
    ticks = out["ticks"]
    assert ticks.num_rows > 0
    assert ticks.num_rows == sum(len(c["ts_ns"]) for c in stored.values())  # every tick, once
    assert set(ticks.column("token").to_pylist()) == set(stored)
    token = max(stored, key=lambda t: len(stored[t]["ts_ns"]))
    mine = ticks.filter(ticks.column("token").to_numpy() == token)
    assert mine.column("ts_ns").to_pylist() == stored[token]["ts_ns"].tolist()
    assert mine.column("last_price").to_pylist() == stored[token]["last_price"].tolist()
    assert mine.column("volume").to_pylist() == stored[token]["volume"].tolist()
    assert mine.column("bid").null_count == mine.num_rows  # ltp
    recorder = out["recorder"]
    assert (recorder.ticks_recorded, recorder.dropped_rows) == (ticks.num_rows, 0)

    seen: Counter[tuple[int, str]] = out["seen"]
    assert sum(seen.values()) > 0
    bars = out["bars"]
    assert Counter((b["token"], b["interval"]) for b in bars) == seen  # every closed bar, once
    closes = out["closes"]
    assert {(b["token"], b["interval"], b["start_ns"]): b["close"] for b in bars} == closes
    assert all(not math.isnan(b["close"]) for b in bars)

    runner = CliRunner()
    env = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    for table, rows in (("ticks", ticks.num_rows), ("bars", len(bars))):
        path = tmp_path / "export" / f"{table}.parquet"
        result = runner.invoke(
            cli_app, ["db", "export", table, str(path), "--data-dir", str(tmp_path)], env=env
        )
        assert result.exit_code == 0, result.output
        assert f"exported {rows:,} rows of {table}" in result.output
        back = pq.read_table(path)
        assert back.num_rows == rows
        if table == "ticks":  # sorted per instrument, in time
            assert back.to_pylist() == ticks.to_pylist()
        else:
            keys = [(r["token"], r["interval"], r["start_ns"]) for r in back.to_pylist()]
            assert keys == sorted(keys)


@pytest.mark.parametrize("mode", ["sideways"])
def test_recording_config_refuses_unknown_modes(mode: str) -> None:
    with pytest.raises(ValueError, match="ticks"):
        RecordingConfig.model_validate({"ticks": mode})


def test_the_tap_is_read_on_a_timer_and_at_the_stop(tmp_path: Path) -> None:
    async def scenario() -> list[int]:
        ticks = TickStore(64)
        seen: list[int] = []
        with Store.open(tmp_path / "t.duckdb") as store:
            recorder = Recorder(store, ticks, read_interval_s=0.05)
            await recorder.start()
            for i in range(3):
                _push(ticks, A, 1, i)
            seen.append(recorder.ticks_recorded)  # stored in the tap, not read yet
            await asyncio.sleep(0.3)
            seen.append(recorder.ticks_recorded)  # the timer read them
            for i in range(3, 7):
                _push(ticks, A, 1, i)
            await recorder.stop()  # the stop reads the rest
            seen.append(recorder.ticks_recorded)
            seen.append(store.count("ticks"))
        return seen

    assert asyncio.run(scenario()) == [0, 3, 7, 7]
