"""Deploys the KPI job's optional network and hands it to the main stack: `make network`.

    python infra/network.py --stage prod [--region eu-west-3]

Creates or updates the CloudFormation stack `videogen-<stage>-network` from infra/network.yml
(private subnets in two AZs, one NAT gateway, an S3 gateway endpoint, a security group with
outbound 443/5432/6543 only), then writes its outputs, comma-separated, into the SSM String
parameters serverless.yml reads: /videogen/<stage>/emr-subnet-ids and
/videogen/<stage>/emr-security-group-ids. The next `make deploy STAGE=<stage>` moves the EMR
Serverless application into the VPC.

The NAT gateway costs money every hour it exists (infra/network.yml states how much).

boto3 reads credentials and region as usual; `AWS_ENDPOINT_URL` points it at another
endpoint (moto in tests).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infra" / "network.yml"
STACK = "videogen-{stage}-network"
SUBNETS_PARAMETER = "/videogen/{stage}/emr-subnet-ids"
SECURITY_GROUPS_PARAMETER = "/videogen/{stage}/emr-security-group-ids"
NO_CHANGES = "No updates are to be performed"
# A stack in one of these states cannot be updated: it must be deleted first.
DEAD_STATES = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"}


def log(message: str) -> None:
    print(f"[network] {message}", flush=True)


def stack_status(cloudformation: Any, name: str) -> str | None:
    """The stack's status, or None when there is no such stack (or it was deleted)."""
    from botocore.exceptions import ClientError

    try:
        (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    status = str(stack["StackStatus"])
    return None if status == "DELETE_COMPLETE" else status


def deploy_stack(
    cloudformation: Any, name: str, stage: str, template: Path = TEMPLATE, delay: int = 10
) -> dict[str, str]:
    """Creates or updates the stack and waits for it; returns its outputs."""
    from botocore.exceptions import ClientError

    request: dict[str, Any] = {
        "StackName": name,
        "TemplateBody": template.read_text(),
        "Parameters": [{"ParameterKey": "Stage", "ParameterValue": stage}],
        "Tags": [{"Key": "app", "Value": "videogen"}, {"Key": "stage", "Value": stage}],
    }
    waiter_config = {"Delay": delay, "MaxAttempts": 360}  # a NAT gateway takes minutes
    status = stack_status(cloudformation, name)
    if status in DEAD_STATES:
        raise SystemExit(
            f"stack {name} is {status}: look at its events, delete it "
            f"(aws cloudformation delete-stack --stack-name {name}), then run this again"
        )
    if status is None:
        log(f"creating stack {name} (a NAT gateway takes a few minutes)")
        cloudformation.create_stack(**request, OnFailure="ROLLBACK")
        cloudformation.get_waiter("stack_create_complete").wait(
            StackName=name, WaiterConfig=waiter_config
        )
    else:
        log(f"updating stack {name} ({status})")
        try:
            cloudformation.update_stack(**request)
        except ClientError as exc:
            if NO_CHANGES not in str(exc):
                raise
            log("no changes")
        else:
            cloudformation.get_waiter("stack_update_complete").wait(
                StackName=name, WaiterConfig=waiter_config
            )
    (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def write_parameters(ssm: Any, stage: str, outputs: dict[str, str]) -> dict[str, str]:
    """The stack's subnets and security group into the parameters serverless.yml reads."""
    values = {
        SUBNETS_PARAMETER.format(stage=stage): outputs["PrivateSubnetIds"],
        SECURITY_GROUPS_PARAMETER.format(stage=stage): outputs["SecurityGroupId"],
    }
    for name, value in values.items():
        # String, not StringList: osls would turn a StringList into a YAML list
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
        log(f"{name} = {value}")
    return values


def main(argv: list[str] | None = None) -> dict[str, str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region", default=None)
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--delay", type=int, default=10, help="seconds between status checks")
    args = parser.parse_args(argv)

    import boto3

    started = time.monotonic()
    session = boto3.session.Session(region_name=args.region)
    name = STACK.format(stage=args.stage)
    outputs = deploy_stack(
        session.client("cloudformation"), name, args.stage, args.template, args.delay
    )
    values = write_parameters(session.client("ssm"), args.stage, outputs)
    log(f"done in {time.monotonic() - started:.0f} s; NAT public IP {outputs.get('NatPublicIp')}")
    log(f"next: make deploy STAGE={args.stage} (the EMR application moves into the VPC)")
    return values


if __name__ == "__main__":
    main(sys.argv[1:])
