"""The packaged CloudFormation template has the properties the deployment promises."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra import package as packaging
from infra import secrets_wrapper
from videogen import metrics

from .conftest import Packaged

ROOT = Path(__file__).resolve().parents[2]
EMR_RELEASE = json.loads((ROOT / "emr" / "release.json").read_text())

FUNCTIONS = {
    "Auth": "functions/auth/handler.handler",
    "Generations": "functions/generations/handler.handler",
    "Webhooks": "functions/webhooks/handler.handler",
    "Admin": "functions/admin/handler.handler",
    "Kpis": "functions/kpis/handler.handler",
    "Reconcile": "functions/reconcile/handler.handler",
    "Retention": "functions/retention/handler.handler",
    "CopyWorker": "functions/copy_worker/handler.handler",
    "KpiSchedule": "functions/kpi_schedule/handler.handler",
}
# Route -> (function, public). Everything not public must carry the JWT authorizer.
ROUTES = {
    "POST /auth/register": ("Auth", True),
    "POST /auth/login": ("Auth", True),
    "POST /auth/refresh": ("Auth", True),
    "POST /auth/logout": ("Auth", False),
    "GET /me": ("Auth", False),
    "GET /models": ("Generations", True),
    "POST /generations": ("Generations", False),
    "GET /generations": ("Generations", False),
    "GET /generations/allowance": ("Generations", False),
    "POST /generations/estimate": ("Generations", False),
    "GET /generations/{id}": ("Generations", False),
    "POST /generations/{id}/cancel": ("Generations", False),
    "POST /generations/{id}/retry": ("Generations", False),
    "POST /generations/{id}/hide": ("Generations", False),
    "POST /generations/{id}/unhide": ("Generations", False),
    "DELETE /me": ("Generations", False),
    "POST /webhooks/fal": ("Webhooks", True),
    "GET /admin/jobs": ("Admin", False),
    "POST /admin/jobs/{id}/fail": ("Admin", False),
    "POST /admin/jobs/{id}/recheck": ("Admin", False),
    "GET /admin/users": ("Admin", False),
    "PATCH /admin/users/{id}": ("Admin", False),
    "GET /classes/{id}/roster": ("Admin", False),
    "GET /classes/{id}/videos": ("Admin", False),
    "GET /safety/events": ("Admin", False),
    "GET /safety/events/count": ("Admin", False),
    "GET /admin/schools": ("Admin", False),
    "POST /admin/schools": ("Admin", False),
    "GET /school": ("Admin", False),
    "PATCH /school": ("Admin", False),
    "GET /school/activity": ("Admin", False),
    "GET /school/budget": ("Admin", False),
    "PUT /school/budget": ("Admin", False),
    "GET /school/budget/status": ("Admin", False),
    "PUT /classes/{id}/budget": ("Admin", False),
    "GET /classes/{id}/spend": ("Admin", False),
    "POST /classes": ("Admin", False),
    "GET /classes": ("Admin", False),
    "POST /classes/join": ("Admin", False),
    "GET /classes/{id}": ("Admin", False),
    "PATCH /classes/{id}": ("Admin", False),
    "POST /classes/{id}/join-code": ("Admin", False),
    "DELETE /classes/{id}/members/{user_id}": ("Admin", False),
    "POST /school/invites": ("Admin", False),
    "GET /school/invites": ("Admin", False),
    "DELETE /school/invites/{id}": ("Admin", False),
    "GET /admin/kpis": ("Kpis", False),
    "POST /admin/kpis/run": ("Kpis", False),
    "GET /admin/kpis/runs/{id}": ("Kpis", False),
    "GET /kpis/schools": ("Kpis", False),
    "GET /kpis/school": ("Kpis", False),
    "GET /kpis/classes": ("Kpis", False),
}
NAMESPACE = "VideoGen/ci"  # METRICS_NAMESPACE of the ci stage
SECRET_VARIABLES = re.compile(r"(KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL)", re.IGNORECASE)


def functions(p: Packaged) -> dict[str, dict[str, Any]]:
    return p.of_type("AWS::Lambda::Function")


def env(p: Packaged, name: str) -> dict[str, Any]:
    return functions(p)[f"{name}LambdaFunction"]["Properties"]["Environment"]["Variables"]


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in role["Properties"].get("Policies", []):
        found.extend(policy["PolicyDocument"]["Statement"])
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_every_function_is_arm64_python312_with_both_layers(packaged: Packaged) -> None:
    found = functions(packaged)
    assert set(found) == {f"{name}LambdaFunction" for name in FUNCTIONS}
    for name, handler in FUNCTIONS.items():
        props = found[f"{name}LambdaFunction"]["Properties"]
        assert props["Handler"] == handler
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == ["arm64"]
        assert props["Layers"] == [{"Ref": "SharedLambdaLayer"}, {"Ref": "DepsLambdaLayer"}]
        assert props["Role"] == {"Fn::GetAtt": [f"{name}Role", "Arn"]}, "own role each"


def test_every_function_is_packaged_individually(packaged: Packaged) -> None:
    keys = {
        props["Properties"]["Code"]["S3Key"].rsplit("/", 1)[-1]
        for props in functions(packaged).values()
    }
    assert len(keys) == len(FUNCTIONS), "one artifact per function"
    for layer in ("SharedLambdaLayer", "DepsLambdaLayer"):
        props = packaged.resources[layer]["Properties"]
        assert props["CompatibleRuntimes"] == ["python3.12"]
        assert props["CompatibleArchitectures"] == ["arm64"]


def test_routes_are_exactly_the_planned_ones(packaged: Packaged) -> None:
    routes = packaged.of_type("AWS::ApiGatewayV2::Route")
    integrations = packaged.of_type("AWS::ApiGatewayV2::Integration")
    found = {}
    for route in routes.values():
        props = route["Properties"]
        integration = props["Target"]["Fn::Join"][1][1]["Ref"]
        target = integrations[integration]["Properties"]["IntegrationUri"]["Fn::GetAtt"][0]
        found[props["RouteKey"]] = target.removesuffix("LambdaFunction")
    assert found == {key: fn for key, (fn, _) in ROUTES.items()}


def test_jwt_authorizer_on_every_route_but_the_public_ones(packaged: Packaged) -> None:
    (authorizer_id, authorizer), *others = packaged.of_type("AWS::ApiGatewayV2::Authorizer").items()
    assert not others
    jwt = authorizer["Properties"]
    assert jwt["AuthorizerType"] == "JWT"
    assert jwt["IdentitySource"] == ["$request.header.Authorization"]
    assert jwt["JwtConfiguration"] == {
        "Issuer": "https://ci-project.supabase.co/auth/v1",  # SUPABASE_URL + /auth/v1
        "Audience": ["authenticated"],
    }
    for route in packaged.of_type("AWS::ApiGatewayV2::Route").values():
        props = route["Properties"]
        public = ROUTES[props["RouteKey"]][1]
        if public:
            assert "AuthorizationType" not in props, props["RouteKey"]
        else:
            assert props["AuthorizationType"] == "JWT", props["RouteKey"]
            assert props["AuthorizerId"] == {"Ref": authorizer_id}, props["RouteKey"]


# Issue 13, "Abuse limits": 60 scripted registrations in 6 s all succeeded. Route key ->
# serverless.yml params (rate per second, burst) and their defaults.
THROTTLED_ROUTES = {
    "POST /auth/register": ("registerRate", "registerBurst", 1, 5),
    "POST /auth/login": ("loginRate", "loginBurst", 10, 30),
    "POST /auth/refresh": ("refreshRate", "refreshBurst", 10, 30),
    "POST /generations": ("submitRate", "submitBurst", 5, 10),
    "POST /classes/join": ("joinRate", "joinBurst", 2, 30),
}


def stage(p: Packaged) -> dict[str, Any]:
    (found,) = p.of_type("AWS::ApiGatewayV2::Stage").values()
    return found


def test_scripted_registrations_are_throttled_per_route(packaged: Packaged) -> None:
    s = stage(packaged)
    settings = s["Properties"]["RouteSettings"]
    assert set(settings) == set(THROTTLED_ROUTES)
    for key, (_, _, rate, burst) in THROTTLED_ROUTES.items():
        assert float(settings[key]["ThrottlingRateLimit"]) == rate, key
        assert int(settings[key]["ThrottlingBurstLimit"]) == burst, key
        assert settings[key]["DetailedMetricsEnabled"] is True, key
    # 60 registrations in 6 s: at most the burst plus 6 s of the rate get through.
    register = settings["POST /auth/register"]
    assert int(register["ThrottlingBurstLimit"]) + 6 * float(register["ThrottlingRateLimit"]) < 60
    default = s["Properties"]["DefaultRouteSettings"]
    assert (default["ThrottlingRateLimit"], default["ThrottlingBurstLimit"]) == (100, 200)
    # A stage's RouteSettings may only name routes that already exist.
    routes = {
        logical: route["Properties"]["RouteKey"]
        for logical, route in packaged.of_type("AWS::ApiGatewayV2::Route").items()
    }
    depends = set(as_list(s["DependsOn"]))
    assert {routes[logical] for logical in depends if logical in routes} == set(THROTTLED_ROUTES)


# A stage's own settings: SSM String parameters /videogen/<stage>/config/<name> (read at
# package time), and PARAMS for one deploy, which wins over both.
STAGE_CONFIG = {
    "config/registerRate": "3",  # overridden by PARAMS below
    "config/loginBurst": "40",
    "config/reconcileAfterSeconds": "1200",
    "config/promptBlocklist": "gore,violence",
    "config/mediaMaxBytes": "104857600",
    "config/kpiScheduleCron": "cron(0 4 * * ? *)",
    "config/monthlyBudgetUsd": "250",
    "config/copyMaxAttempts": "7",
}


@pytest.fixture(scope="module")
def throttle_override(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    """`make package PARAMS="registerRate=2 registerBurst=7"` over a stage's SSM settings."""
    out = tmp_path_factory.mktemp("sls-throttles") / "package"
    params = {"registerRate": "2", "registerBurst": "7", "submitRate": "0.5"}
    artifacts = packaging.package(
        out, stage="ci", allow_missing=True, params=params, ssm_config=STAGE_CONFIG
    )
    template = json.loads((out / packaging.TEMPLATE).read_text())
    return Packaged(out, artifacts, template)


def test_throttles_are_per_stage_params(throttle_override: Packaged) -> None:
    settings = stage(throttle_override)["Properties"]["RouteSettings"]
    register = settings["POST /auth/register"]
    assert float(register["ThrottlingRateLimit"]) == 2
    assert int(register["ThrottlingBurstLimit"]) == 7
    assert float(settings["POST /generations"]["ThrottlingRateLimit"]) == 0.5
    assert float(settings["POST /auth/login"]["ThrottlingRateLimit"]) == 10  # untouched
    assert int(settings["POST /auth/login"]["ThrottlingBurstLimit"]) == 40  # from SSM


def test_stage_settings_come_from_ssm_config_parameters(throttle_override: Packaged) -> None:
    """Set per stage without editing serverless.yml: /videogen/<stage>/config/<name>."""
    for name in FUNCTIONS:
        variables = env(throttle_override, name)
        assert variables["RECONCILE_AFTER_SECONDS"] == "1200"
        assert variables["PROMPT_BLOCKLIST"] == "gore,violence"
        assert variables["MEDIA_MAX_BYTES"] == "104857600"
        assert variables["COPY_MAX_ATTEMPTS"] == "7"
        assert variables["RECONCILE_MAX_ATTEMPTS"] == "12"  # not set: the default
    queue = throttle_override.resources["CopyQueue"]["Properties"]
    assert str(queue["RedrivePolicy"]["maxReceiveCount"]) == "7"  # the same number
    (schedule,) = throttle_override.of_type("AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["ScheduleExpression"] == "cron(0 4 * * ? *)"
    (budget,) = throttle_override.of_type("AWS::Budgets::Budget").values()
    assert float(budget["Properties"]["Budget"]["BudgetLimit"]["Amount"]) == 250


def test_webhook_route_is_public(packaged: Packaged) -> None:
    (webhook,) = [
        r["Properties"]
        for r in packaged.of_type("AWS::ApiGatewayV2::Route").values()
        if r["Properties"]["RouteKey"] == "POST /webhooks/fal"
    ]
    assert "AuthorizerId" not in webhook


def test_settings_reach_the_functions(packaged: Packaged) -> None:
    for name in FUNCTIONS:
        variables = env(packaged, name)
        assert variables["APP_ENV"] == "production"
        assert variables["SUPABASE_URL"] == "https://ci-project.supabase.co"
        assert variables["JWT_AUDIENCE"] == "authenticated"
        assert variables["DB_POOL_MAX_SIZE"] == "1"
        assert variables["PUBLIC_BASE_URL"] == {"Fn::GetAtt": ["HttpApi", "ApiEndpoint"]}
        assert variables["STORAGE_ENDPOINT_URL"].startswith("https://")
        assert variables["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bin/videogen-secrets"
    for name in ("Kpis", "KpiSchedule"):
        variables = env(packaged, name)
        assert variables["EMR_APPLICATION_ID"] == {"Ref": "KpiEmrApplication"}
        assert variables["EMR_EXECUTION_ROLE_ARN"] == {"Fn::GetAtt": ["EmrJobRole", "Arn"]}


def test_no_secret_in_any_environment(packaged: Packaged) -> None:
    """Secret-named variables never carry a value: only the SSM names of the secrets."""
    for name in FUNCTIONS:
        for key, value in env(packaged, name).items():
            if key == "VIDEOGEN_SSM_SECRETS":
                for var, path, _ in secrets_wrapper.parse_spec(value):
                    assert path.startswith("/videogen/ci/"), (var, path)
                continue
            if key.endswith("_SSM_PARAMETER"):  # the name of a parameter, not its value
                assert value in ("/videogen/ci/database-url", "/videogen/ci/database-ca-cert")
                continue
            assert not SECRET_VARIABLES.search(key), f"{name}: {key} set in the template"


def test_roles_read_exactly_their_functions_secrets(packaged: Packaged) -> None:
    for name in FUNCTIONS:
        spec = secrets_wrapper.parse_spec(env(packaged, name).get("VIDEOGEN_SSM_SECRETS", ""))
        wanted = {path for _, path, _ in spec}
        granted = set()
        for statement in statements(packaged.resources[f"{name}Role"]):
            if "ssm:GetParameters" in as_list(statement["Action"]):
                for resource in as_list(statement["Resource"]):
                    granted.add(resource["Fn::Sub"].split(":parameter", 1)[1])
        assert granted == wanted, name


def test_iam_least_privilege(packaged: Packaged) -> None:
    roles = packaged.of_type("AWS::IAM::Role")
    assert {f"{name}Role" for name in FUNCTIONS} <= set(roles)
    assert "IamRoleLambdaExecution" not in roles, "no shared default role"
    for logical, role in roles.items():
        for statement in statements(role):
            assert statement["Effect"] == "Allow", logical
            for action in as_list(statement["Action"]):
                assert "*" not in action, f"{logical}: wildcard action {action}"
            for resource in as_list(statement["Resource"]):
                assert resource != "*", f"{logical}: every resource"
        assert not role["Properties"].get("ManagedPolicyArns"), logical
    for name in FUNCTIONS:
        actions = {
            action
            for statement in statements(roles[f"{name}Role"])
            for action in as_list(statement["Action"])
        }
        expected = {"logs:CreateLogStream", "logs:PutLogEvents"}
        if name != "KpiSchedule":  # starting an EMR run needs no secret
            expected |= {"ssm:GetParameters"}
        else:  # HeadObject on the job's two required artifacts (test_kpi_schedule_...)
            expected |= {"s3:GetObject"}
        if name in ("Kpis", "KpiSchedule"):
            expected |= {
                "emr-serverless:StartJobRun",
                "emr-serverless:GetJobRun",
                "emr-serverless:ListJobRuns",
                "emr-serverless:TagResource",
                "iam:PassRole",
            }
        if name in ("Webhooks", "Reconcile", "Admin"):  # Admin: a re-check queues a copy
            expected |= {"sqs:SendMessage"}
        if name == "CopyWorker":
            expected |= {
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            }
        assert actions == expected, name


def test_kpi_start_may_pass_only_the_emr_job_role(packaged: Packaged) -> None:
    for name in ("Kpis", "KpiSchedule"):
        (passrole,) = [
            s
            for s in statements(packaged.resources[f"{name}Role"])
            if s["Action"] == "iam:PassRole"
        ]
        assert passrole["Resource"] == {"Fn::GetAtt": ["EmrJobRole", "Arn"]}
        assert passrole["Condition"] == {
            "StringEquals": {"iam:PassedToService": "emr-serverless.amazonaws.com"}
        }


def test_the_emr_job_role_reads_exactly_the_ssm_parameters_the_job_is_given(
    packaged: Packaged,
) -> None:
    """The job reads the database URL and its CA itself (kpi_job.py --jdbc-url-ssm-parameter,
    --database-ca-ssm-parameter, named by the KPI functions' EMR_*_SSM_PARAMETER): its role
    may read those two and nothing else from SSM."""
    granted = set()
    for statement in statements(packaged.resources["EmrJobRole"]):
        actions = as_list(statement["Action"])
        if any(action.startswith("ssm:") for action in actions):
            assert actions == ["ssm:GetParameter"], statement
            for resource in as_list(statement["Resource"]):
                granted.add(resource["Fn::Sub"].split(":parameter", 1)[1])
    for name in ("Kpis", "KpiSchedule"):
        variables = env(packaged, name)
        given = {variables[k] for k in variables if k.endswith("_SSM_PARAMETER")}
        assert given == {"/videogen/ci/database-url", "/videogen/ci/database-ca-cert"}, name
    assert granted == given


def test_buckets_encrypted_private_tls_only(packaged: Packaged) -> None:
    buckets = packaged.of_type("AWS::S3::Bucket")
    assert {"ArtifactsBucket", "KpiBucket"} <= set(buckets)
    policies = {
        p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]
        for p in packaged.of_type("AWS::S3::BucketPolicy").values()
    }
    for logical, bucket in buckets.items():
        props = bucket["Properties"]
        (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical
        denies = [s for s in policies[logical]["Statement"] if s["Effect"] == "Deny"]
        tls = [s["Condition"]["Bool"]["aws:SecureTransport"] for s in denies if "Condition" in s]
        assert [str(v).lower() for v in tls] == ["false"], f"{logical}: TLS only"
    for logical in ("ArtifactsBucket", "KpiBucket"):
        rules = buckets[logical]["Properties"]["LifecycleConfiguration"]["Rules"]
        assert rules and all(r["Status"] == "Enabled" for r in rules)
        assert any("AbortIncompleteMultipartUpload" in r for r in rules), logical
        assert any("NoncurrentVersionExpiration" in r for r in rules), logical


def test_emr_application(packaged: Packaged) -> None:
    (app,) = packaged.of_type("AWS::EMRServerless::Application").values()
    props = app["Properties"]
    assert props["Type"] == "Spark"
    major, minor = map(int, re.fullmatch(r"emr-(\d+)\.(\d+)\.\d+", props["ReleaseLabel"]).groups())
    assert (major, minor) >= (7, 0), "emr-7.x ships Spark 3.5"
    assert props["ReleaseLabel"] == EMR_RELEASE["label"], "emr/release.json states the label"
    assert props["AutoStartConfiguration"] == {"Enabled": True}
    assert props["AutoStopConfiguration"]["Enabled"] is True
    assert 1 <= props["AutoStopConfiguration"]["IdleTimeoutMinutes"] <= 60
    assert set(props["MaximumCapacity"]) == {"Cpu", "Memory", "Disk"}
    assert "InitialCapacity" not in props, "no pre-initialized capacity (cost)"
    job_role = packaged.resources["EmrJobRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert job_role["Statement"][0]["Principal"] == {"Service": "emr-serverless.amazonaws.com"}


def test_serverless_yml_reads_the_emr_release_label_from_emr_release_json() -> None:
    """One place states the release: the test runtime (make emr-runtime) reads it too."""
    params = yaml.safe_load((ROOT / "serverless.yml").read_text())["params"]["default"]
    assert params["emrReleaseLabel"] == "${file(emr/release.json):label}"
    assert set(EMR_RELEASE) >= {"label", "spark", "python"}


def test_daily_kpi_schedule_targets_the_start_function(packaged: Packaged) -> None:
    (schedule,) = packaged.of_type("AWS::Scheduler::Schedule").values()
    props = schedule["Properties"]
    assert re.fullmatch(r"cron\(\d+ \d+ \* \* \? \*\)", props["ScheduleExpression"])
    assert props["State"] == "ENABLED"
    assert props["Target"]["Arn"] == {"Fn::GetAtt": ["KpiScheduleLambdaFunction", "Arn"]}
    role = packaged.resources[props["Target"]["RoleArn"]["Fn::GetAtt"][0]]
    (invoke,) = statements(role)
    assert invoke["Action"] == "lambda:InvokeFunction"
    assert {"Fn::GetAtt": ["KpiScheduleLambdaFunction", "Arn"]} in invoke["Resource"]
    rules = {
        rule["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0]: rule["Properties"]
        for rule in packaged.of_type("AWS::Events::Rule").values()
    }
    assert set(rules) == {"ReconcileLambdaFunction", "RetentionLambdaFunction"}
    assert rules["ReconcileLambdaFunction"]["ScheduleExpression"] == "rate(10 minutes)"


def test_retention_runs_daily_and_stops_its_batches_before_its_timeout(packaged: Packaged) -> None:
    """Issue 15: one run never times out (its time budget is well below the function's
    timeout); what is left is the next day's."""
    rule = next(
        r["Properties"]
        for r in packaged.of_type("AWS::Events::Rule").values()
        if r["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0] == "RetentionLambdaFunction"
    )
    assert re.fullmatch(r"cron\(\d+ \d+ \* \* \? \*\)", rule["ScheduleExpression"])
    assert rule["State"] == "ENABLED"
    props = functions(packaged)["RetentionLambdaFunction"]["Properties"]
    variables = props["Environment"]["Variables"]
    assert int(variables["RETENTION_TIME_BUDGET_SECONDS"]) <= props["Timeout"] - 30
    assert variables["RETENTION_ENABLED"] == "true"
    assert int(variables["RETENTION_BATCH_SIZE"]) == 200


@pytest.mark.parametrize(
    ("alarm", "metric"),
    [
        ("Api5xxRateAlarm", "5xx"),
        ("WebhookSignatureFailuresAlarm", "WebhookOutcome"),
        ("JobsStuckAlarm", "ReconcileResult"),
        ("CopyFailuresAlarm", "CopyFailed"),
        ("ProviderUnavailableAlarm", "SubmissionRefused"),
        ("KpiJobFailuresAlarm", "FailedJobs"),
        ("KpiStartFailuresAlarm", "Errors"),
        ("KpiRunsSkippedAlarm", "KpiRunSkipped"),
        ("RetentionErrorsAlarm", "Errors"),
        ("RetentionFailuresAlarm", "RetentionFailed"),
        ("SchoolBudgetExhaustedAlarm", "SchoolBudgetUsedPercent"),
        ("CopyDeadLetterAlarm", "ApproximateNumberOfMessagesVisible"),
    ],
)
def test_alarms_notify_the_topic(packaged: Packaged, alarm: str, metric: str) -> None:
    props = packaged.resources[alarm]["Properties"]
    assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    names = [props.get("MetricName")] + [
        m["MetricStat"]["Metric"]["MetricName"]
        for m in props.get("Metrics", [])
        if "MetricStat" in m
    ]
    assert metric in names
    assert packaged.resources["AlarmTopic"]["Type"] == "AWS::SNS::Topic"


SHARED = ROOT / "layers" / "shared" / "python" / "videogen"


def metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm reads: its own, or those of its metric-math expression."""
    props = alarm["Properties"]
    if "MetricName" in props:
        return [props]
    return [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]


def test_application_alarms_read_metrics_the_code_emits(packaged: Packaged) -> None:
    """Alarms on the VideoGen namespace name metrics and dimensions of videogen/metrics.py,
    with dimension values the code really emits; no log filter is needed any more."""
    sources = "\n".join(p.read_text() for p in SHARED.rglob("*.py"))
    dimension_keys = {
        metrics.MODEL,
        metrics.REASON,
        metrics.OUTCOME,
        metrics.RESULT,
        metrics.LEVEL,
    }
    alarmed = set()
    for alarm in packaged.of_type("AWS::CloudWatch::Alarm").values():
        for metric in metric_stats(alarm):
            if not str(metric["Namespace"]).startswith("VideoGen"):
                continue
            assert metric["Namespace"] == NAMESPACE
            assert metric["MetricName"] in metrics.METRIC_NAMES, metric
            for dimension in metric.get("Dimensions", []):
                assert dimension["Name"] in dimension_keys, dimension
                assert f'"{dimension["Value"]}"' in sources, dimension
            alarmed.add(metric["MetricName"])
    assert alarmed == {
        "WebhookOutcome",
        "ReconcileResult",
        "CopyFailed",
        "SubmissionRefused",
        "KpiRunSkipped",
        "RetentionFailed",
        "SchoolBudgetUsedPercent",
    }
    assert packaged.of_type("AWS::Logs::MetricFilter") == {}


def dashboard_metrics(packaged: Packaged) -> list[tuple[str, str]]:
    """(namespace, metric name) of every graph on the dashboard, SEARCH expressions too."""
    (dashboard,) = packaged.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    assert "${HttpApi}" in body and "${AWS::Region}" in body
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "substituted", body))["widgets"]
    found = []
    for widget in widgets:
        if widget["type"] == "text":
            continue
        for line in widget["properties"]["metrics"]:
            if isinstance(line[0], dict):
                search = re.fullmatch(
                    r"(SUM\()?SEARCH\('\{(?P<ns>[^,}]+)[^}]*\} MetricName=\"(?P<name>\w+)\"'.*",
                    line[0]["expression"],
                )
                assert search, line
                found.append((search["ns"], search["name"]))
            else:
                found.append((line[0], line[1]))
    return found


def test_dashboard_shows_every_application_metric_and_the_api(packaged: Packaged) -> None:
    found = dashboard_metrics(packaged)
    ours = {name for namespace, name in found if namespace == NAMESPACE}
    assert ours == set(metrics.METRIC_NAMES)
    assert {ns for ns, _ in found} == {NAMESPACE, "AWS/ApiGateway"}
    assert {name for ns, name in found if ns == "AWS/ApiGateway"} >= {"5xx", "Latency"}


def test_copy_queue_redrives_to_an_alarmed_dead_letter_queue(packaged: Packaged) -> None:
    """Webhooks answer at once; copies go through SQS to the copy worker, whose exhausted
    tasks land in the dead-letter queue after as many receives as the worker's attempts."""
    queue = packaged.resources["CopyQueue"]["Properties"]
    worker = functions(packaged)["CopyWorkerLambdaFunction"]["Properties"]
    redrive = queue["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["CopyDeadLetterQueue", "Arn"]}
    assert (
        str(redrive["maxReceiveCount"]) == worker["Environment"]["Variables"]["COPY_MAX_ATTEMPTS"]
    )
    # AWS: an SQS event source's visibility timeout is at least six times the function's
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    (mapping,) = packaged.of_type("AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["CopyQueue", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    alarm = packaged.resources["CopyDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["CopyDeadLetterQueue", "QueueName"]}
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    for name in ("Webhooks", "Reconcile", "CopyWorker"):
        assert env(packaged, name)["COPY_QUEUE_URL"] == {"Ref": "CopyQueue"}


def test_template_holds_no_ssm_secure_value(packaged: Packaged) -> None:
    """Secrets are read by the functions: the template never resolves a SecureString."""
    text = json.dumps(packaged.template)
    assert "sentinel-" not in text
    assert "{{resolve:ssm-secure" not in text


def _normalise(route: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", route)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_api_gateway_routes_match_the_function_apps(packaged: Packaged, name: str) -> None:
    """Every route a function's FastAPI app serves reaches it through API Gateway, and no
    API Gateway route points at a function that does not serve it."""
    from tests.support.handlers import FUNCTIONS_DIR, load_handler

    folder = FUNCTIONS[name].split("/")[1]
    if not (FUNCTIONS_DIR / folder / "handler.py").exists():
        pytest.skip(f"functions/{folder}/handler.py not written yet")
    module = load_handler(folder)
    app = getattr(module, "app", None)
    gateway = {_normalise(key) for key, (fn, _) in ROUTES.items() if fn == name}
    if app is None:  # a scheduled function: plain handler(event, context), no routes
        assert not gateway
        return
    served = {
        _normalise(f"{method.upper()} {path}")
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert served == gateway


# --- Operations (issue 14): alarm subscriber, budget, skipped KPI runs, estimates -----------


def test_the_alarm_topic_always_has_an_email_subscriber(packaged: Packaged) -> None:
    (subscription,) = packaged.of_type("AWS::SNS::Subscription").values()
    assert "Condition" not in subscription, "unconditional"
    props = subscription["Properties"]
    assert props == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    parameter = packaged.template["Parameters"]["AlarmEmail"]
    assert parameter["Default"] == packaging.CI_CONFIG["alarm-email"]
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch("ops@school.example")
    for bad in ("", "ops", "ops@", "@school.example", "ops@school"):
        assert not pattern.fullmatch(bad), bad
    assert "HasAlarmEmail" not in packaged.template.get("Conditions", {})


def test_monthly_cost_budget_notifies_the_alarm_topic(packaged: Packaged) -> None:
    (budget,) = packaged.of_type("AWS::Budgets::Budget").values()
    props = budget["Properties"]
    assert props["Budget"]["BudgetType"] == "COST"
    assert props["Budget"]["TimeUnit"] == "MONTHLY"
    assert props["Budget"]["BudgetLimit"] == {"Amount": 100, "Unit": "USD"}  # the default
    notifications = {
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"]): n
        for n in props["NotificationsWithSubscribers"]
    }
    assert set(notifications) == {("ACTUAL", 80), ("FORECASTED", 100)}
    for n in notifications.values():
        assert n["Notification"]["ThresholdType"] == "PERCENTAGE"
        assert n["Notification"]["ComparisonOperator"] == "GREATER_THAN"
        assert n["Subscribers"] == [{"SubscriptionType": "SNS", "Address": {"Ref": "AlarmTopic"}}]
    # Budgets may publish to the topic, and CloudWatch still may (a topic policy replaces
    # the default one), each for this account only.
    (policy,) = packaged.of_type("AWS::SNS::TopicPolicy").values()
    assert policy["Properties"]["Topics"] == [{"Ref": "AlarmTopic"}]
    publishers = {}
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Action"] == "sns:Publish"
        assert statement["Resource"] == {"Ref": "AlarmTopic"}
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        }
        publishers[statement["Principal"]["Service"]] = statement
    assert set(publishers) == {"budgets.amazonaws.com", "cloudwatch.amazonaws.com"}
    assert "AlarmTopicPolicy" in as_list(budget.get("DependsOn", []))


def test_kpi_runs_skipped_two_days_in_a_row_alarm(packaged: Packaged) -> None:
    props = packaged.resources["KpiRunsSkippedAlarm"]["Properties"]
    assert props["Dimensions"] == [{"Name": "Reason", "Value": "artifacts_missing"}]
    assert props["Period"] == 86400
    assert props["EvaluationPeriods"] == props["DatapointsToAlarm"] == 2
    assert props["Threshold"] == 1
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["TreatMissingData"] == "notBreaching"
    assert "make emr-artifacts" in props["AlarmDescription"]


def test_kpi_schedule_may_only_head_the_jobs_two_required_artifacts(packaged: Packaged) -> None:
    (check,) = [
        s
        for s in statements(packaged.resources["KpiScheduleRole"])
        if s["Action"] == "s3:GetObject"
    ]
    assert check["Resource"] == [
        {"Fn::Sub": "${ArtifactsBucket.Arn}/emr/kpi_job.py"},
        {"Fn::Sub": "${ArtifactsBucket.Arn}/emr/postgresql.jar"},
    ]
    assert env(packaged, "KpiSchedule")["EMR_ARTIFACTS_URI"] == {
        "Fn::Sub": "s3://${ArtifactsBucket}/emr"
    }


def test_dashboard_says_its_spend_figures_are_estimates(packaged: Packaged) -> None:
    (dashboard,) = packaged.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "substituted", body))["widgets"]
    (text,) = [w for w in widgets if w["type"] == "text"]
    markdown = text["properties"]["markdown"]
    assert "estimates" in markdown and "catalogue" in markdown and "not fal" in markdown
    assert text["y"] == 0 and text["width"] == 24, "above the graphs"
