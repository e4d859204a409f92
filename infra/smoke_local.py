"""`make smoke` without STAGE: the smoke test (infra/smoke.py) against `make run`'s stack.

    python -m infra.smoke_local [--api-url http://127.0.0.1:8000] [--database-url URL] [smoke flags]

First it prepares the smoke account the way an operator does on a stage: registered through
the API, then made an operator (in the default school, so it may also submit a video) with
the project's role command (`videogen.auth.roles`) against
the local database. The account is SMOKE_EMAIL (default smoke@videogen.example); its password
is SMOKE_PASSWORD, or one made on first use and kept in `.data/smoke-password` (0600, like the
stack's other local secrets). Then infra/smoke.py runs unchanged, with short timeouts.
"""

from __future__ import annotations

import argparse
import os
import sys

import httpx

from infra import smoke
from videogen.auth.roles import DEFAULT_SCHOOL, set_role
from videogen.db.migrations import repo_root
from videogen.local.__main__ import local_secret

DEFAULT_EMAIL = "smoke@videogen.example"
DEFAULT_API_URL = "http://127.0.0.1:8000"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:54322/videogen"  # the Makefile's
# Locally the simulator answers in seconds and Spark starts in under a minute.
LOCAL_TIMEOUTS = ["--job-timeout", "60", "--kpi-timeout", "300"]


class NotPrepared(Exception):
    """The local account could not be made ready; the message says why."""


def prepare(api_url: str, database_url: str, email: str, password: str) -> None:
    """Registers the account (the API answers 202 whether or not it exists) and makes it an
    operator of the default school: the deployment-wide KPI run is an operator's (issue 15),
    the video needs a school."""
    try:
        registered = httpx.post(
            f"{api_url}/auth/register",
            json={"email": email, "password": password, "display_name": "Smoke test"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        raise NotPrepared(
            f"no stack answers at {api_url} ({exc}): start it with `make run`"
        ) from exc
    if registered.status_code != 202:
        raise NotPrepared(f"POST /auth/register answered {smoke.error_of(registered)}")
    if not set_role(database_url, email, "operator", school=DEFAULT_SCHOOL):
        raise NotPrepared(f"no profile for {email} in {database_url.rsplit('@', 1)[-1]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", default=DEFAULT_API_URL)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    args, smoke_flags = parser.parse_known_args(argv)
    email = os.environ.get("SMOKE_EMAIL") or DEFAULT_EMAIL
    password = os.environ.get("SMOKE_PASSWORD")
    if not password:
        data = repo_root() / ".data"
        data.mkdir(mode=0o700, exist_ok=True)
        password = local_secret(data / "smoke-password")
    api_url = args.api_url.rstrip("/")
    try:
        prepare(api_url, args.database_url, email, password)
    except NotPrepared as exc:
        print(f"smoke test: the local smoke account is not ready: {exc}", file=sys.stderr)
        return 1
    print(f"{email} is registered and an operator on {api_url}")
    return smoke.main(
        ["--api-url", api_url, *LOCAL_TIMEOUTS, *smoke_flags],
        {"SMOKE_EMAIL": email, "SMOKE_PASSWORD": password},
    )


if __name__ == "__main__":
    sys.exit(main())
