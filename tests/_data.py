"""Where the tests' recorded data lives: ``tests/data`` in the checkout (origins in its ``SOURCES.md``).

The one definition of the data root; the tests, the benchmarks and their loaders import it from here.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
KITE_MOCKS = DATA / "kite-mocks"  # Kite Connect REST bodies, tick dicts and binary tick packets
NSE_MINUTE = DATA / "nse-minute"  # NSE 1-minute bars, 8 days of April 2021
LEAN_INDIA = DATA / "lean-india"  # QuantConnect LEAN India minute bars, 2019
