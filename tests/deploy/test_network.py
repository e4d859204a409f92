"""The KPI job's optional network (infra/network.yml, `make network`): private subnets in two
AZs behind one NAT gateway, an S3 gateway endpoint, a security group with outbound 443 and
the Supabase pooler's ports only; deployed against moto, its ids land in the SSM parameters
serverless.yml reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from infra import network
from infra import package as packaging

ROOT = Path(__file__).resolve().parents[2]


def template() -> dict[str, Any]:
    return yaml.safe_load(network.TEMPLATE.read_text())


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template()["Resources"].items() if v["Type"] == kind}


def test_make_package_lints_the_network_template() -> None:
    assert network.TEMPLATE in packaging.STANDALONE_TEMPLATES
    packaging.cfn_lint(network.TEMPLATE)  # SystemExit on any error or warning


def test_one_nat_gateway_in_the_public_subnet_and_private_subnets_in_two_azs() -> None:
    (nat,) = of_type("AWS::EC2::NatGateway").values()  # one: its fixed cost, stated
    assert nat["Properties"]["SubnetId"] == {"Ref": "PublicSubnet"}
    subnets = of_type("AWS::EC2::Subnet")
    private = {k: v for k, v in subnets.items() if k.startswith("PrivateSubnet")}
    assert len(private) == 2
    zones = [v["Properties"]["AvailabilityZone"]["Fn::Select"][0] for v in private.values()]
    assert sorted(zones) == [0, 1], "two different AZs"
    assert all(v["Properties"]["MapPublicIpOnLaunch"] is False for v in subnets.values())
    routes = of_type("AWS::EC2::Route")
    assert routes["PrivateDefaultRoute"]["Properties"]["NatGatewayId"] == {"Ref": "NatGateway"}
    associations = of_type("AWS::EC2::SubnetRouteTableAssociation").values()
    private_tables = {
        a["Properties"]["SubnetId"]["Ref"]: a["Properties"]["RouteTableId"]["Ref"]
        for a in associations
    }
    assert {private_tables[k] for k in private} == {"PrivateRouteTable"}
    assert "cost" in network.TEMPLATE.read_text().lower() and "USD" in network.TEMPLATE.read_text()


def test_s3_goes_through_a_gateway_endpoint_on_the_private_route_table() -> None:
    (endpoint,) = of_type("AWS::EC2::VPCEndpoint").values()
    props = endpoint["Properties"]
    assert props["VpcEndpointType"] == "Gateway"
    assert props["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"}
    assert props["RouteTableIds"] == [{"Ref": "PrivateRouteTable"}]


def test_security_group_allows_outbound_https_and_the_pooler_only_and_nothing_in() -> None:
    (group,) = of_type("AWS::EC2::SecurityGroup").values()
    props = group["Properties"]
    assert "SecurityGroupIngress" not in props
    assert not of_type("AWS::EC2::SecurityGroupIngress")
    egress = {(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in props["SecurityGroupEgress"]}
    assert egress == {("tcp", 443, 443), ("tcp", 5432, 5432), ("tcp", 6543, 6543)}


def test_the_parameters_it_writes_are_those_serverless_yml_reads() -> None:
    params = yaml.safe_load((ROOT / "serverless.yml").read_text())["params"]["default"]
    stage = "${sls:stage}"
    assert network.SUBNETS_PARAMETER.format(stage=stage) in params["emrSubnetIds"]
    assert network.SECURITY_GROUPS_PARAMETER.format(stage=stage) in params["emrSecurityGroupIds"]


def test_make_network_deploys_the_stack_and_writes_the_ssm_parameters(
    moto_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    values = network.main(["--stage", "prod", "--delay", "1"])
    ssm = boto3.client("ssm")
    subnets = ssm.get_parameter(Name="/videogen/prod/emr-subnet-ids")["Parameter"]
    groups = ssm.get_parameter(Name="/videogen/prod/emr-security-group-ids")["Parameter"]
    assert subnets["Type"] == groups["Type"] == "String"
    assert values == {subnets["Name"]: subnets["Value"], groups["Name"]: groups["Value"]}

    ec2 = boto3.client("ec2")
    found = ec2.describe_subnets(SubnetIds=subnets["Value"].split(","))["Subnets"]
    assert len(found) == 2 and len({s["AvailabilityZone"] for s in found}) == 2
    (vpc_id,) = {s["VpcId"] for s in found}
    (group,) = ec2.describe_security_groups(GroupIds=[groups["Value"]])["SecurityGroups"]
    assert group["VpcId"] == vpc_id and group["IpPermissions"] == []
    (endpoint,) = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    assert endpoint["ServiceName"] == "com.amazonaws.eu-west-3.s3"
    (table,) = ec2.describe_route_tables(RouteTableIds=endpoint["RouteTableIds"])["RouteTables"]
    # the endpoint's table is the one whose default route is the NAT (moto 5.2 does not
    # report a stack's subnet associations: the template test checks those)
    assert any(r.get("NatGatewayId") for r in table["Routes"]), "default route via the NAT"
    (stack,) = boto3.client("cloudformation").describe_stacks(StackName="videogen-prod-network")[
        "Stacks"
    ]
    assert stack["StackStatus"] == "CREATE_COMPLETE"

    # again: the stack is updated in place (real CloudFormation answers "No updates are to
    # be performed", which network.py treats as done; moto updates), the same parameters
    capsys.readouterr()
    assert network.main(["--stage", "prod", "--delay", "1"]) == values
    assert "updating stack videogen-prod-network" in capsys.readouterr().out
