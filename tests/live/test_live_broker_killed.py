"""Issue 13's reproduction as a user runs it: ``alphastock live`` on the embedded simulator, and the
simulator killed (SIGKILL) mid-run. The engine must halt new orders, say once that the broker is
unreachable, print no traceback per retry, and exit 4 (broker unreachable at the end)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ALPHASTOCK = Path(sys.executable).with_name("alphastock")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the simulator child through /proc")
def test_killing_the_simulator_halts_orders_says_so_once_and_exits_4(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [str(ALPHASTOCK), "live", "--duration", "40", "--speed", "60", "--headless",
         "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={"PATH": str(ALPHASTOCK.parent), "HOME": str(tmp_path), "COLUMNS": "200", "PYTHONUTF8": "1"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        log_dir = tmp_path / "logs"
        while time.monotonic() < deadline:  # trading has started once the strategies are warm
            logs = list(log_dir.glob("live-*.log")) if log_dir.exists() else []
            if logs and "strategies warmed up" in logs[0].read_text():
                break
            time.sleep(0.5)
        time.sleep(6.0)
        (simulator,) = _children(process.pid)
        os.kill(simulator, signal.SIGKILL)
        out, err = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 4, err[-3000:]
    assert "Traceback" not in err
    said = [line for line in err.splitlines() if "broker unreachable:" in line and "ERROR" in line]
    assert len(said) == 1, said
    assert "new orders halted" in said[0]
    assert "broker unreachable at the end of the session" in out
    assert "4 (broker unreachable at the end)" in out
    assert "unknown (the broker's positions could not be read)" in out
