"""Makes every function of a stage load its secrets again: `make reload-secrets STAGE=prod`.

    python infra/reload_secrets.py --stage prod [--region eu-west-3]

Functions read their SSM secrets once, at cold start (infra/secrets_wrapper.py), and a
redeploy whose template and code did not change is skipped by osls: after changing a secret
in SSM, warm execution environments keep the old value. This script changes one environment
variable, SECRETS_LOADED_AFTER=<UTC time>, on each function of the stack `videogen-<stage>`
(all other variables kept) and waits for each update to finish: Lambda starts new execution
environments for the new configuration, and those read the secrets as they are now.

SnapStart functions (snapStart=true) serve a published version through their `snapstart`
alias (osls creates it), whose snapshot was taken with the secrets of its publication: for
those a new version is published from the updated configuration (a new snapshot, the
secrets read now) and the alias moved to it.

Revoke an old secret only after this finished (docs/deploy.md, rotating secrets).

boto3 reads credentials and region as usual; `AWS_ENDPOINT_URL` points it at another
endpoint (moto in tests).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

STACK = "videogen-{stage}"
MARKER = "SECRETS_LOADED_AFTER"
SNAPSTART_ALIAS = "snapstart"  # what osls names the alias of a SnapStart function


@dataclass(frozen=True)
class Reloaded:
    function: str
    seconds: float
    version: str | None = None  # the version published for a SnapStart function


def log(message: str) -> None:
    print(f"[reload-secrets] {message}", flush=True)


def stack_functions(cloudformation: Any, stack: str) -> list[str]:
    """The physical names of the stack's Lambda functions, sorted."""
    from botocore.exceptions import ClientError

    names = []
    try:
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
            for resource in page["StackResourceSummaries"]:
                if resource["ResourceType"] == "AWS::Lambda::Function":
                    names.append(resource["PhysicalResourceId"])
    except ClientError as exc:
        if "does not exist" not in str(exc):
            raise
        raise SystemExit(f"no stack {stack} in this account and region (STAGE, REGION?)") from exc
    if not names:
        raise SystemExit(f"stack {stack} has no Lambda function: is the stage deployed?")
    return sorted(names)


def _serves_an_alias(lambda_client: Any, name: str) -> bool:
    """True when API Gateway calls the function through its `snapstart` alias (a published
    version, and its snapshot), not through the unqualified function."""
    aliases = lambda_client.list_aliases(FunctionName=name)["Aliases"]
    return any(alias["Name"] == SNAPSTART_ALIAS for alias in aliases)


def reload_function(lambda_client: Any, name: str, stamp: str, delay: int = 2) -> Reloaded:
    """Sets MARKER=stamp (other variables kept), waits until the update is done; for a
    SnapStart function, publishes a version and points its `snapstart` alias at it."""
    started = time.monotonic()
    waiter_config = {"Delay": delay, "MaxAttempts": 150}
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    variables = dict(configuration.get("Environment", {}).get("Variables", {}))
    variables[MARKER] = stamp
    lambda_client.update_function_configuration(
        FunctionName=name, Environment={"Variables": variables}
    )
    lambda_client.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig=waiter_config
    )
    version = None
    if _serves_an_alias(lambda_client, name):
        version = lambda_client.publish_version(
            FunctionName=name, Description=f"secrets reloaded {stamp}"
        )["Version"]
        lambda_client.get_waiter("published_version_active").wait(
            FunctionName=name, Qualifier=version, WaiterConfig=waiter_config
        )
        lambda_client.update_alias(FunctionName=name, Name=SNAPSTART_ALIAS, FunctionVersion=version)
    return Reloaded(name, time.monotonic() - started, version)


def reload_stage(
    cloudformation: Any, lambda_client: Any, stage: str, now: datetime | None = None
) -> list[Reloaded]:
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    stack = STACK.format(stage=stage)
    names = stack_functions(cloudformation, stack)
    log(f"{len(names)} functions of {stack}: {MARKER}={stamp}")
    done = []
    for name in names:
        reloaded = reload_function(lambda_client, name, stamp)
        extra = f", {SNAPSTART_ALIAS} -> version {reloaded.version}" if reloaded.version else ""
        log(f"{name}: updated in {reloaded.seconds:.1f} s{extra}")
        done.append(reloaded)
    log(f"done at {datetime.now(UTC):%H:%M:%S} UTC: new invocations read the secrets as now")
    return done


def main(argv: list[str] | None = None) -> list[Reloaded]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region", default=None)
    args = parser.parse_args(argv)

    import boto3

    session = boto3.session.Session(region_name=args.region)
    return reload_stage(session.client("cloudformation"), session.client("lambda"), args.stage)


if __name__ == "__main__":
    main(sys.argv[1:])
