"""`mutmut run` with a wall-time cap that stops cleanly (infra/mutate.sh).

Past the deadline no further mutant is started; those in flight finish, so each forked test
run stops the Postgres and S3 servers it started (a signal would leave them running: they
live in sessions of their own). Mutants not started stay "not checked". mutmut 3.8.1's
default fork runner (`mutmut.workers.isolation.ForkRunner`) is the one wrapped.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from mutmut.workers import isolation


def main() -> None:
    minutes = float(sys.argv[1])
    deadline = time.monotonic() + minutes * 60
    submit = isolation.ForkRunner.submit

    def submit_until_deadline(self: isolation.ForkRunner, *args: Any, **kwargs: Any) -> None:
        if time.monotonic() < deadline:
            submit(self, *args, **kwargs)

    isolation.ForkRunner.submit = submit_until_deadline  # type: ignore[method-assign]
    from mutmut.__main__ import cli

    cli(["run", "--max-children", "2", *sys.argv[2:]])


if __name__ == "__main__":
    main()
