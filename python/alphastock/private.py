"""Trading records are private: directories 0700, files 0600, for this user only.

The database, its write-ahead log, the journal, the logs and the session file hold orders,
fills, positions and account names. :func:`private_dir` creates (or tightens) a directory to
0700, :func:`private_file` tightens a file to 0600, and :func:`private_umask` makes whatever is
created inside its block private from the start (the process umask is process-wide, so the
``alphastock`` command sets it once for its whole run; see :mod:`alphastock.cli`).

An existing directory is tightened only when this user owns it, it is not a shared sticky
directory such as ``/tmp``, and it is empty or already holds one of the caller's ``markers``
(the database, the journal): ``--data-dir /tmp`` or ``--data-dir ~`` must not lock others out of
a directory that is not AlphaStock's. The files AlphaStock writes in it are 0600 all the same.

This module imports nothing of AlphaStock, so the journal, the store and the logs can all use it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Final

DIR_MODE: Final = 0o700
"""Mode of a private directory: rwx for the owner only."""
FILE_MODE: Final = 0o600
"""Mode of a private file: rw for the owner only."""
UMASK: Final = 0o077
"""The umask that makes new files 0600 and new directories 0700."""


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Run the block with umask 077 (new files 0600, directories 0700), then restore the old one."""
    old = os.umask(UMASK)
    try:
        yield
    finally:
        os.umask(old)


def _ours(path: Path, info: os.stat_result, markers: tuple[str, ...]) -> bool:
    if info.st_uid != os.geteuid() or info.st_mode & stat.S_ISVTX:
        return False
    return not any(path.iterdir()) or any(any(path.glob(marker)) for marker in markers)


def private_dir(path: Path, markers: tuple[str, ...] = ()) -> Path:
    """Create ``path`` (parents as ``mkdir -p`` would) as a 0700 directory, or tighten an existing one
    that is ours (see the module docstring; ``markers`` are names or glob patterns that make a
    non-empty directory ours) to 0700. Returns ``path``.

    Raises:
        OSError: the directory cannot be created, or ``path`` is not a directory
            (``FileExistsError`` / ``NotADirectoryError``).
    """
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # created meanwhile: checked below
            path.mkdir(mode=DIR_MODE)
    info = path.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(20, "Not a directory", str(path))
    if stat.S_IMODE(info.st_mode) & ~DIR_MODE and _ours(path, info, markers):
        path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> bool:
    """Tighten an existing file of ours to 0600; returns whether it exists. Nothing else is changed."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return False
    if stat.S_IMODE(info.st_mode) & ~FILE_MODE and info.st_uid == os.geteuid():
        path.chmod(FILE_MODE)
    return True


def create_private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if missing (tightening it if it exists); returns ``path``.

    For files another library opens by name (a log handler), so they never exist with a looser mode.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    os.close(fd)
    private_file(path)
    return path


__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "UMASK",
    "create_private_file",
    "private_dir",
    "private_file",
    "private_umask",
]
