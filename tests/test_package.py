"""Package surface: version, exception hierarchy, public names."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import alphastock
import alphastock.options
import alphastock.options.math
import alphastock.options.strikes
from alphastock import _core

ROOT = Path(__file__).resolve().parents[1]


def test_version_matches_cargo_toml() -> None:
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))
    assert alphastock.__version__ == cargo["package"]["version"]
    assert alphastock.__version__ == _core.__version__
    assert alphastock.__version__ == "0.1.0"


def test_exception_hierarchy() -> None:
    assert issubclass(alphastock.AlphaStockError, Exception)
    assert alphastock.AlphaStockError is _core.AlphaStockError
    assert issubclass(alphastock.ConfigError, alphastock.AlphaStockError)
    assert issubclass(alphastock.ConfigError, ValueError)
    with pytest.raises(alphastock.AlphaStockError, match="bad setting"):
        raise alphastock.ConfigError("bad setting")


@pytest.mark.parametrize(
    "module", [alphastock, alphastock.options, alphastock.options.math, alphastock.options.strikes]
)
def test_every_public_name_exists(module: object) -> None:
    names = module.__all__  # type: ignore[attr-defined]
    assert len(names) == len(set(names))
    missing = [name for name in names if not hasattr(module, name)]
    assert missing == []


def test_options_public_api() -> None:
    assert sorted(alphastock.options.__all__) == sorted(
        [
            "GREEK_NAMES", "PARALLEL_THRESHOLD", "IvStatus", "StrikeFilters", "StrikeScores", "StrikeWeights",
            "get_num_threads", "greeks", "implied_forward", "implied_vol", "price", "score_strikes",
            "set_num_threads",
        ]
    )  # fmt: skip
    assert alphastock.options.PARALLEL_THRESHOLD == _core.PARALLEL_THRESHOLD == 16_384
    assert alphastock.options.GREEK_NAMES == ("price", "delta", "gamma", "theta", "vega", "rho")
    for name in ("price", "greeks", "implied_vol", "implied_forward", "score_strikes"):
        assert callable(getattr(alphastock.options, name))
        assert getattr(alphastock.options, name).__doc__


def test_package_marks_itself_typed() -> None:
    assert (Path(alphastock.__file__).parent / "py.typed").is_file()
