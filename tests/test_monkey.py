"""The real-input monkey (tests/monkey.py) on every page, in a child process.

A child process, so that a segmentation fault or an abort (what a click on a number grid once
did) fails this test instead of killing the whole suite. The monkey sends real mouse and key
events only; see its docstring for what it does and what counts as a failure. With the old
`CellNumbers.shape` attribute restored it dies of SIGSEGV within the first 100 actions.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

MONKEY = Path(__file__).resolve().parent / "monkey.py"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11])
def test_real_input_monkey_finds_no_crash_exception_warning_or_leak(seed):
    proc = subprocess.run([sys.executable, str(MONKEY), "--seed", str(seed), "--actions", "300",
                           "--repeat"],
                          capture_output=True, text=True, timeout=400)
    tail = "\n".join(proc.stderr.splitlines()[-40:])
    assert proc.returncode in (0, 1), (
        f"the app died (exit status {proc.returncode}: a signal, e.g. -11 is a segfault); "
        f"the last actions were:\n{tail}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["actions"] == 600
    assert summary["ok"], f"{json.dumps(summary, indent=1)}\n{tail}"
