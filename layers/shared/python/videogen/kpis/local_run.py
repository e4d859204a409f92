"""Runs one local KPI job and records its state: `python -m videogen.kpis.local_run STATE -- CMD`.

RUNNING while the job runs, then SUCCESS (exit 0) or FAILED (with the exit code).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _update(state_file: Path, **changes: object) -> None:
    state = json.loads(state_file.read_text())
    state.update(changes)
    temporary = state_file.with_suffix(".tmp")
    temporary.write_text(json.dumps(state))
    temporary.replace(state_file)  # readers never see half a file


def main(argv: list[str]) -> int:
    state_file, separator, *command = argv
    if separator != "--" or not command:
        print("usage: python -m videogen.kpis.local_run STATE_FILE -- COMMAND...", file=sys.stderr)
        return 2
    path = Path(state_file)
    code = 1
    try:
        process = subprocess.Popen(command)  # noqa: S603 - built by LocalKpiRunner
        _update(path, state="RUNNING", pid=process.pid)
        code = process.wait()
    finally:
        if code == 0:
            _update(path, state="SUCCESS", exit_code=0)
        else:
            _update(path, state="FAILED", exit_code=code, detail=f"the job exited with {code}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
