"""The runners package: every public name resolves, and loading the configuration stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import alphastock.runners as runners


def test_every_public_name_resolves() -> None:
    assert len(runners.__all__) == len(set(runners.__all__))
    for name in runners.__all__:
        assert getattr(runners, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = runners.Nope  # type: ignore[attr-defined]


def test_loading_the_config_does_not_import_duckdb_or_the_kite_sdk() -> None:
    code = (
        "import sys, alphastock.config\n"
        "print(sorted(m for m in ('duckdb', 'pyarrow', 'kiteconnect') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
