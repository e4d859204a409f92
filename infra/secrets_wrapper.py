#!/usr/bin/env python3
"""Lambda exec wrapper: loads the function's secrets from SSM Parameter Store at cold start.

Lambda runs `$AWS_LAMBDA_EXEC_WRAPPER <runtime command...>` once per execution environment,
before the Python runtime starts. This script reads the SecureString parameters named in
`VIDEOGEN_SSM_SECRETS`, puts their values into the environment and `exec`s the runtime, so
`videogen.settings` finds `DATABASE_URL`, `FAL_KEY`, ... as ordinary environment variables
while neither the CloudFormation template nor the function's configuration ever holds them.

    VIDEOGEN_SSM_SECRETS="DATABASE_URL=/videogen/prod/database-url,SUPABASE_JWT_SECRET?=/videogen/prod/supabase-jwt-secret"

A `?` after the variable name marks an optional parameter (skipped when it does not exist).
A variable already set in the environment is left alone (local runs, tests). A missing
required parameter stops the cold start with a message naming it: the function fails loudly
instead of starting half-configured.

The build step copies this file into the dependency layer as `bin/videogen-secrets` (mode
755), i.e. `/opt/bin/videogen-secrets` in Lambda.
"""

from __future__ import annotations

import os
import sys

ENV_VAR = "VIDEOGEN_SSM_SECRETS"
MAX_NAMES_PER_CALL = 10  # SSM GetParameters accepts at most 10 names


def parse_spec(spec: str) -> list[tuple[str, str, bool]]:
    """`VAR=/path,VAR2?=/path2` -> [(VAR, /path, required), ...]."""
    entries: list[tuple[str, str, bool]] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, path = item.partition("=")
        name, path = name.strip(), path.strip()
        optional = name.endswith("?")
        name = name.rstrip("?")
        if not sep or not name or not path.startswith("/"):
            raise ValueError(f"{ENV_VAR}: malformed entry {item!r} (want VAR=/ssm/path)")
        entries.append((name, path, not optional))
    return entries


def fetch(paths: list[str], client=None) -> tuple[dict[str, str], list[str]]:
    """Decrypted values by path, and the paths SSM does not know."""
    if client is None:
        # botocore ships in the dependency layer (and in the Lambda runtime itself); plain
        # botocore starts in about a third of boto3's time, and this runs on every cold start.
        sys.path.insert(0, "/opt/python")
        import botocore.session

        client = botocore.session.get_session().create_client("ssm")
    values: dict[str, str] = {}
    invalid: list[str] = []
    for start in range(0, len(paths), MAX_NAMES_PER_CALL):
        chunk = paths[start : start + MAX_NAMES_PER_CALL]
        answer = client.get_parameters(Names=chunk, WithDecryption=True)
        values.update({p["Name"]: p["Value"] for p in answer.get("Parameters", [])})
        invalid.extend(answer.get("InvalidParameters", []))
    return values, invalid


def load(environ: dict[str, str], client=None) -> dict[str, str]:
    """The variables to add to `environ` (only those not already set)."""
    wanted = [e for e in parse_spec(environ.get(ENV_VAR, "")) if e[0] not in environ]
    if not wanted:
        return {}
    values, invalid = fetch(sorted({path for _, path, _ in wanted}), client)
    missing = [
        f"{name} ({path})" for name, path, required in wanted if required and path in invalid
    ]
    if missing:
        raise LookupError("missing SSM parameters: " + ", ".join(missing))
    return {name: values[path] for name, path, _ in wanted if path in values}


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit("usage: videogen-secrets <command> [args...]")
    try:
        os.environ.update(load(dict(os.environ)))
    except Exception as exc:  # any failure must stop the cold start, with its reason
        print(f"videogen-secrets: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
    os.execvp(argv[0], argv)  # noqa: S606 - replacing this process with the runtime is the point


if __name__ == "__main__":
    main(sys.argv[1:])
