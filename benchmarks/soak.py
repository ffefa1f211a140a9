"""Soak: the real-input monkey (tests/monkey.py) for a long run, reported for benchmarks/README.md.

    python benchmarks/soak.py [--actions 20000] [--seed 1]

Runs the monkey in a child process (so a crash is a result, not the end of this script) and
prints actions run, exceptions, Qt warnings, slow actions and resident memory before/after the
run (after every page was built once). Exits 1 when the monkey found anything.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

MONKEY = Path(__file__).resolve().parent.parent / "tests" / "monkey.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    proc = subprocess.run([sys.executable, str(MONKEY), "--seed", str(args.seed),
                           "--soak", str(args.actions)], capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        print("\n".join(proc.stderr.splitlines()[-30:]))
        print(f"CRASH: exit status {proc.returncode} (negative: killed by that signal)")
        return 1
    s = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"seed {args.seed}: {s['actions']} actions in {s['seconds']} s; exceptions "
          f"{s['exceptions']}, Qt thread/timer warnings {s['qt_warnings']}, slow actions "
          f"{len(s['slow_actions'])}, crashes 0; RSS {s['rss_before_mb']} -> {s['rss_after_mb']} MB "
          f"(+{s['rss_after_mb'] - s['rss_before_mb']} MB)")
    print("kinds:", s["kinds"])
    for line in s["first_errors"] + s["first_warnings"] + s["slow_actions"]:
        print(line)
    return 0 if s["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
