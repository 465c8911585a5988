"""Rebuild a damaged database from the journal (``alphastock db rebuild``).

The journal (:mod:`alphastock.persistence.journal`) is the durability point: every signal, signal
status change, order, order transition and fill is written there before DuckDB. ``alphastock live``
replays it into DuckDB at start and then rotates it (``journal.jsonl`` is renamed
``journal.jsonl.<YYYYmmdd-HHMMSS>[.<n>]``, never deleted; see
:func:`~alphastock.persistence.writer.replay_and_rotate`). So a damaged database can be moved aside
and rebuilt from every segment still in ``<data dir>/journal``, oldest first, the live file last.

What the journal does not hold cannot be rebuilt: see :data:`NOT_IN_JOURNAL`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from alphastock.persistence.writer import ReplayStats, replay
from alphastock.private import private_file
from alphastock.store.errors import StoreDamagedError
from alphastock.store.store import Store, default_data_dir, default_path, wal_path

JOURNAL_DIR: Final = "journal"
JOURNAL_NAME: Final = "journal.jsonl"
"""The live journal is ``<data dir>/journal/journal.jsonl`` (as :class:`~alphastock.live.app.TradingApp`
writes it)."""

NOT_IN_JOURNAL: Final[tuple[str, ...]] = (
    "instruments (downloaded again at the next live start)",
    "ticks and bars (market data is not journaled; `alphastock data fetch` reloads candles)",
    "positions and daily P&L snapshots (the next live start reconciles positions with the broker)",
    "risk events",
    "the audit log",
    "sessions",
)
"""What a rebuild cannot restore: none of it is in the journal."""

_SEGMENT: Final = re.compile(re.escape(JOURNAL_NAME) + r"\.(\d{8}-\d{6})(?:\.(\d+))?")


def journal_segments(journal_dir: Path) -> list[Path]:
    """Every journal file in ``journal_dir``, oldest first: the rotated segments by their stamp (and
    counter), then the live ``journal.jsonl``. Files that are not segments are ignored."""
    rotated: list[tuple[str, int, Path]] = []
    if journal_dir.is_dir():
        for path in journal_dir.iterdir():
            match = _SEGMENT.fullmatch(path.name)
            if match is not None and path.is_file():
                rotated.append((match.group(1), int(match.group(2) or 0), path))
    segments = [path for _, _, path in sorted(rotated)]
    live = journal_dir / JOURNAL_NAME
    if live.is_file():
        segments.append(live)
    return segments


@dataclass
class RebuildReport:
    """What :func:`rebuild` found and did."""

    database: Path
    problem: str | None
    """What was wrong with the old database (None: it was whole)."""
    rebuilt: bool = False
    moved: list[tuple[Path, Path]] = field(default_factory=list)
    """(old name, new name) of the database file and its WAL, moved aside."""
    segments: list[Path] = field(default_factory=list)
    """Journal files replayed, oldest first."""
    failed: list[tuple[Path, str]] = field(default_factory=list)
    """Journal files that could not be replayed, and why."""
    replayed: ReplayStats = field(default_factory=ReplayStats)
    """What the journal files held and were inserted, summed over :attr:`segments`."""


def diagnose(data_dir: Path) -> str | None:
    """What is wrong with the database in ``data_dir`` (None when it opens and every row reads back).

    Raises:
        StoreError: the database cannot be opened for another reason (in use, permissions): a
            rebuild would not help.
    """
    try:
        with Store.open(data_dir=data_dir) as store:
            return store.check(full=True)
    except StoreDamagedError as exc:
        return exc.detail


def rebuild(
    data_dir: str | Path | None = None, *, force: bool = False, now: dt.datetime | None = None
) -> RebuildReport:
    """Move a damaged database in ``data_dir`` aside and rebuild it from every journal segment.

    A whole database is left alone unless ``force``. The old file (and its WAL) is renamed
    ``alphastock.duckdb.damaged-<YYYYmmdd-HHMMSS>`` (``.replaced-`` when forced), never deleted.
    Stop ``alphastock live`` first: DuckDB refuses a database another process holds.

    Raises:
        StoreError: the data directory or database cannot be used for another reason than damage.
    """
    directory = (Path(data_dir).expanduser() if data_dir is not None else default_data_dir()).resolve()
    file = default_path(directory)
    problem = diagnose(directory) if file.exists() else "there is no database file"
    report = RebuildReport(database=file, problem=problem)
    if problem is None and not force:
        return report
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d-%H%M%S")
    kind = "damaged" if problem is not None else "replaced"
    aside = file.with_name(f"{file.name}.{kind}-{stamp}")
    n = 1
    while aside.exists():
        aside = file.with_name(f"{file.name}.{kind}-{stamp}.{n}")
        n += 1
    for old, new in ((file, aside), (wal_path(file), wal_path(aside))):
        if old.exists():
            old.rename(new)
            private_file(new)
            report.moved.append((old, new))
    with Store.open(data_dir=directory) as store:
        for segment in journal_segments(directory / JOURNAL_DIR):
            try:
                stats = replay(segment, store)
            except Exception as exc:  # a record the models refuse: keep going with the other segments
                report.failed.append((segment, f"{type(exc).__name__}: {exc}"))
                continue
            report.segments.append(segment)
            report.replayed.add(stats)
        store.checkpoint()
    report.rebuilt = True
    return report


__all__ = [
    "JOURNAL_DIR",
    "JOURNAL_NAME",
    "NOT_IN_JOURNAL",
    "RebuildReport",
    "diagnose",
    "journal_segments",
    "rebuild",
]
