"""SQL mutation testing of the quota statements (`make mutate`, after mutmut).

mutmut mutates Python, not SQL inside string literals (a string becomes "XX…XX", which any
test kills), so the quota rule (`consume_quota`, `refund_for_job`, `quota_status` in
videogen/generations/repository.py, where it is written once) gets mutations of our own: a
fixed list of operator changes and dropped where-clause terms, applied one at a time to a
staged copy of the package that the quota tests import first (PYTHONPATH). A mutant is
killed when a test fails; it survived when they all pass.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "layers" / "shared" / "python" / "videogen"
MODULE = Path("generations") / "repository.py"
TESTS = os.environ.get(
    "MUTATE_SQL_TESTS", "tests/generations/test_generations.py tests/generations/test_quota.py"
).split()
SELECT = "quota or refund"  # test_generations.py's quota tests first, then all of test_quota.py

# (statement, text, mutated text): each text occurs exactly once in repository.py.
MUTATIONS: list[tuple[str, str, str]] = [
    ("consume_quota", "where q.quota > 0", "where q.quota >= 0"),
    ("consume_quota", "where q.quota > 0", "where q.quota > 1"),
    ("consume_quota", "from q where q.quota > 0", "from q"),
    ("consume_quota", "%(day)s, 1 from q", "%(day)s, 0 from q"),
    ("consume_quota", "set used = u.used + 1", "set used = u.used - 1"),
    ("consume_quota", "set used = u.used + 1", "set used = u.used"),
    (
        "consume_quota",
        "where u.used < (select quota from q)",
        "where u.used <= (select quota from q)",
    ),
    ("consume_quota", "\n                where u.used < (select quota from q)", ""),
    ("refund_for_job", "set used = u.used - 1", "set used = u.used + 1"),
    ("refund_for_job", "and u.used > 0", "and u.used >= 0"),
    ("refund_for_job", " and u.used > 0", ""),
    ("refund_for_job", "where j.id = %s and u.user_id = j.user_id", "where j.id = %s"),
    ("refund_for_job", "where j.id = %s and u.user_id", "where j.id = %s or u.user_id"),
    ("refund_for_job", "\n             and u.day = (j.created_at at time zone 'UTC')::date", ""),
    (
        "quota_status",
        "where user_id = e.user_id and day = %s)",
        "where user_id = e.user_id or day = %s)",
    ),
    ("quota_status", "where user_id = e.user_id and day = %s)", "where day = %s)"),
    ("quota_status", "day = %s), 0) as used", "day = %s), 1) as used"),
    ("quota_status", "where e.user_id = %s", "where e.user_id <> %s"),
]


def run_tests(stage: Path) -> tuple[int, str]:
    """pytest's exit code and the first failing test. A run whose only failures are errors
    (a fixture, e.g. Postgres not starting on a loaded machine) is tried once more."""
    path = os.pathsep.join([str(stage), str(ROOT / "infra")])
    env = {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "no:randomly", "-rfE", "-k", SELECT, *TESTS]
    # a basetemp of its own: see infra/pytest_private_basetemp.py
    command += ["-p", "pytest_private_basetemp"]
    for _ in range(2):
        done = subprocess.run(  # noqa: S603 - our own interpreter, tests and arguments
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        lines = done.stdout.splitlines()
        failed = [
            line.split(" - ")[0] for line in lines if re.match(r"(FAILED|ERROR) tests/", line)
        ]
        if not (failed and all(line.startswith("ERROR") for line in failed)):
            break
    return done.returncode, failed[0] if failed else done.stdout[-2000:]


def main() -> int:
    source = (PACKAGE / MODULE).read_text()
    with tempfile.TemporaryDirectory(prefix="mutate-sql-") as tmp:
        stage = Path(tmp)
        shutil.copytree(PACKAGE, stage / "videogen")
        target = stage / "videogen" / MODULE
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import videogen.generations.repository as r; print(r.__file__)",
            ],
            env={**os.environ, "PYTHONPATH": str(stage)},
            capture_output=True,
            text=True,
            check=True,
        )
        if not probe.stdout.strip().startswith(str(stage)):
            print("the staged copy is not the one imported:", probe.stdout.strip())
            return 1
        start = time.monotonic()
        code, output = run_tests(stage)
        if code != 0:
            print("the quota tests fail without any mutation:\n" + output)
            return 1
        print(f"== quota SQL ({MODULE}): {len(MUTATIONS)} mutations, tests: -k '{SELECT}'")
        survived = []
        for statement, text, mutated in MUTATIONS:
            if source.count(text) != 1:
                print(f"   cannot apply to {statement}: {text!r} occurs {source.count(text)} times")
                return 1
            target.write_text(source.replace(text, mutated))
            code, output = run_tests(stage)
            verdict = {0: "survived", 1: "killed"}.get(code, f"error (pytest exit {code})")
            if code not in (0, 1):
                print(output)
            label = f"{statement}: {text.strip()!r} -> {mutated.strip()!r}"
            print(f"   {verdict:8} {label}" + (f" ({output.split('::')[-1]})" if code == 1 else ""))
            if code == 0:
                survived.append(label)
        target.write_text(source)
        took = int(time.monotonic() - start)
        killed = len(MUTATIONS) - len(survived)
        print(f"   {killed} killed, {len(survived)} survived; {took // 60} min {took % 60} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
