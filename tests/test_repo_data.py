"""The repository carries every file its tests and benchmarks read (issue 13): a bare clone passes.

Nothing under tests/, benches/, .ci/ or the Makefile may point outside the checkout at the old shared data
set; tests/data stays small, and every file in it is listed in tests/data/SOURCES.md with its size and hash.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tests._data import DATA

ROOT = Path(__file__).resolve().parents[1]
SOURCES = DATA / "SOURCES.md"
MAX_BYTES = 5_000_000

# The spellings an out-of-tree data path has taken: a string, or Path parts joined with "/".
FORBIDDEN = re.compile(
    r"""\.\./shared|shared/data|/work/shared"""
    r"""|["']\.\.["']\s*/\s*["']shared["']|["']shared["']\s*/\s*["']data["']"""
)
# A SOURCES.md table row: | `folder/file` | bytes | sha256 | read by |
ROW = re.compile(r"^\| `(?P<path>[^`]+)` \| (?P<size>\d+) \| (?P<sha256>[0-9a-f]{64}) \|", re.MULTILINE)


def _scanned_files() -> list[Path]:
    files = [ROOT / "Makefile"]
    for folder in ("tests", "benches", ".ci"):
        files += (p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return sorted(p for p in files if p.resolve() != Path(__file__).resolve())


def _data_files() -> dict[str, Path]:
    """Every file under tests/data but SOURCES.md, by its path relative to tests/data."""
    return {p.relative_to(DATA).as_posix(): p for p in DATA.rglob("*") if p.is_file() and p != SOURCES}


def test_nothing_reads_data_from_outside_the_checkout() -> None:
    files = _scanned_files()
    assert ROOT / "Makefile" in files
    assert ROOT / ".ci" / "run" in files
    assert ROOT / "tests" / "_data.py" in files
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in files
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert offenders == []


def test_the_guard_recognises_the_old_spellings() -> None:
    old = [
        'DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"',
        'Path("../shared/data/kite-mocks/ticker_full.packet")',
        "REST JSON shape (``/work/shared/data/kite-mocks``)",
    ]
    assert [bool(FORBIDDEN.search(line)) for line in old] == [True, True, True]
    assert FORBIDDEN.search("the shared end-of-session summary") is None


def test_data_is_small() -> None:
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert 0 < total < MAX_BYTES


def test_every_data_file_is_listed_in_sources_with_its_size_and_hash() -> None:
    listed = {
        m["path"]: (int(m["size"]), m["sha256"]) for m in ROW.finditer(SOURCES.read_text(encoding="utf-8"))
    }
    present = _data_files()
    assert sorted(present) == sorted(listed)
    actual = {
        name: (p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest()) for name, p in present.items()
    }
    assert actual == listed
    assert {name.split("/")[0] for name in present} == {"kite-mocks", "lean-india", "nse-minute"}
