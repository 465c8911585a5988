"""AlphaStock configuration: typed, validated, layered.

Load order (later wins): built-in defaults < YAML files (``config/default.yaml`` is the commented
reference) < environment variables < CLI flags (:func:`load_config`).

Layout: :mod:`~alphastock.config.tree` holds :class:`AlphaStockConfig`, the whole tree, built from
section models; :mod:`~alphastock.config.loader` reads files and the environment into it. A section
lives with the package it configures (``risk``, ``execution``, ``runners``, ``sim`` ...) unless that
package reads the whole tree (``live``, the kernel): such sections live here
(:mod:`~alphastock.config.live`, :mod:`~alphastock.config.recording`), so this package imports nothing
that imports it.
"""

from alphastock.config.live import AccountConfig, EmbeddedSimConfig, LiveConfig
from alphastock.config.loader import ENV_PREFIX, as_plain_data, load_config
from alphastock.config.recording import RecordingConfig, TickRecording
from alphastock.config.tree import AlphaStockConfig, InstrumentsConfig, OptionsConfig

__all__ = [
    "ENV_PREFIX",
    "AccountConfig",
    "AlphaStockConfig",
    "EmbeddedSimConfig",
    "InstrumentsConfig",
    "LiveConfig",
    "OptionsConfig",
    "RecordingConfig",
    "TickRecording",
    "as_plain_data",
    "load_config",
]
