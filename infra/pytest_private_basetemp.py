"""A pytest plugin for concurrent test runs as root (make mutate).

Each pytest session resets `/tmp/pytest-of-<user>` to mode 0700 when it starts, while the
embedded Postgres of a session already running (it runs as another system user) needs to
traverse it: two concurrent sessions, mutmut's two forked test runs or another checkout's
tests, made `initdb` or `pg_ctl start` fail now and then with "Permission denied", and
mutmut counted the failed run as a killed mutant. With this plugin every session gets a
basetemp of its own outside that folder, removed when the session ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(tempfile.gettempdir()) / "videogen-private-basetemp"


def pytest_configure(config: pytest.Config) -> None:
    if config.option.basetemp:
        return
    ROOT.mkdir(mode=0o711, exist_ok=True)
    config.option.basetemp = str(ROOT / str(os.getpid()))


def pytest_unconfigure(config: pytest.Config) -> None:
    basetemp = config.option.basetemp
    if basetemp and Path(basetemp).parent == ROOT:
        shutil.rmtree(basetemp, ignore_errors=True)
