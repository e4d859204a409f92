"""`make web-infra` / `make web` (infra/web_deploy.py, infra/web.yml) against moto.

moto's CloudFormation has no CloudFront resources, so the deployed stacks are stand-ins
with the real stacks' parameters and outputs (a real moto bucket, a distribution made
through moto's CloudFront API); infra/web.yml itself is checked by cfn-lint and read here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from infra import package as packaging
from infra import web_deploy

REGION = "eu-west-3"
STAGE = "prod"
API_URL = "https://abc123.execute-api.eu-west-3.amazonaws.com"
STORAGE_URL = "https://ref.storage.supabase.co/storage/v1/s3"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


def _stack(session: Any, name: str, template: dict[str, Any], **parameters: str) -> None:
    session.client("cloudformation").create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )


def deploy_api(session: Any, url: str = API_URL) -> None:
    """The API stack as osls leaves it: an `HttpApiUrl` output."""
    _stack(
        session,
        f"videogen-{STAGE}",
        {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {"HttpApiUrl": {"Value": url}},
        },
    )


def stand_in_web_template(session: Any) -> str:
    """infra/web.yml's parameters and outputs over what moto can create; ApiOrigin and
    MediaOrigin come back as outputs, to see what the deploy passed."""
    distribution = session.client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": "web",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [{"Id": "web-bucket", "DomainName": "b.s3.amazonaws.com"}],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "web-bucket",
                "ViewerProtocolPolicy": "redirect-to-https",
            },
            "DefaultRootObject": "index.html",
        }
    )["Distribution"]
    real = yaml.safe_load(web_deploy.TEMPLATE.read_text())
    return json.dumps(
        {
            "Parameters": real["Parameters"],
            "Resources": {"WebBucket": {"Type": "AWS::S3::Bucket"}},
            "Outputs": {
                "WebBucketName": {"Value": {"Ref": "WebBucket"}},
                "DistributionId": {"Value": distribution["Id"]},
                "WebOrigin": {"Value": f"https://{distribution['DomainName']}"},
                "ApiOriginSeen": {"Value": {"Ref": "ApiOrigin"}},
                "MediaOriginSeen": {"Value": {"Ref": "MediaOrigin"}},
            },
        }
    )


def web_infra(session: Any, template: str) -> web_deploy.WebStack:
    """What `make web-infra` / the first half of `make web` do, on the stand-in template."""
    stack = web_deploy.deploy_web_stack(session, STAGE, template)
    web_deploy.store_web_origin(session.client("ssm"), STAGE, stack.origin)
    return stack


def outputs(session: Any, name: str) -> dict[str, str]:
    found = web_deploy.stack_outputs(session.client("cloudformation"), name)
    assert found is not None
    return found


# --- infra/web.yml -------------------------------------------------------------------------


def test_web_template_passes_cfn_lint() -> None:
    packaging.cfn_lint(web_deploy.TEMPLATE)  # SystemExit with cfn-lint's findings otherwise


def test_web_template_keeps_the_bucket_private_behind_cloudfront() -> None:
    template = yaml.safe_load(web_deploy.TEMPLATE.read_text())
    resources = template["Resources"]
    block = resources["WebBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    allow, deny = resources["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert "${Distribution}" in allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["Origins"][0]["OriginAccessControlId"] == {
        "Fn::GetAtt": ["OriginAccessControl", "Id"]
    }
    headers = resources["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    csp = headers["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"][
        "Fn::Sub"
    ]
    assert "connect-src 'self' ${ApiOrigin};" in csp
    assert "media-src 'self' ${MediaOrigin};" in csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp
    assert set(template["Outputs"]) == {"WebBucketName", "DistributionId", "WebOrigin"}


# --- the order: web stack, web-origin, API, then the files --------------------------------


def test_web_infra_before_the_api_stores_the_distribution_as_the_cors_origin(session: Any) -> None:
    template = stand_in_web_template(session)
    stack = web_infra(session, template)
    ssm = session.client("ssm")
    stored = ssm.get_parameter(Name=f"/videogen/{STAGE}/web-origin")["Parameter"]
    assert stored["Value"] == stack.origin and stored["Type"] == "String"
    assert stack.origin.startswith("https://") and stack.origin.endswith(".cloudfront.net")
    seen = outputs(session, f"videogen-{STAGE}-web")
    assert seen["ApiOriginSeen"] == seen["MediaOriginSeen"] == "https:"  # nothing known yet

    # the API deployed (and storage configured): `make web` narrows the CSP to them
    deploy_api(session)
    ssm.put_parameter(
        Name=f"/videogen/{STAGE}/storage-endpoint-url", Value=STORAGE_URL, Type="String"
    )
    web_infra(session, template)
    seen = outputs(session, f"videogen-{STAGE}-web")
    assert seen["ApiOriginSeen"] == API_URL
    assert seen["MediaOriginSeen"] == "https://ref.storage.supabase.co"


def test_an_existing_web_origin_is_kept_unless_replaced(
    session: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ssm = session.client("ssm")
    name = f"/videogen/{STAGE}/web-origin"
    ssm.put_parameter(Name=name, Value="https://app.school.example", Type="String")
    kept = web_deploy.store_web_origin(ssm, STAGE, "https://d111.cloudfront.net")
    assert kept == "https://app.school.example"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "https://app.school.example"
    web_deploy.store_web_origin(ssm, STAGE, "https://d111.cloudfront.net", replace=True)
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "https://d111.cloudfront.net"
    assert "make deploy" in capsys.readouterr().out  # the API's CORS must follow


def test_make_web_refuses_before_the_api_exists(session: Any) -> None:
    stack = web_infra(session, stand_in_web_template(session))
    with pytest.raises(SystemExit, match=r"make deploy STAGE=prod"):
        web_deploy.publish(session, STAGE, stack)


def test_make_web_refuses_before_make_web_infra(session: Any) -> None:
    with pytest.raises(SystemExit, match="make web-infra"):
        web_deploy.web_stack(None, f"videogen-{STAGE}-web")


# --- config.js, content types, cache headers, invalidation ----------------------------------


def test_config_js_is_generated_from_the_api_stack_output(session: Any) -> None:
    committed = (ROOT / "web" / "config.js").read_bytes()
    stack = web_infra(session, stand_in_web_template(session))
    deploy_api(session, API_URL + "/")  # a trailing slash is dropped
    web_deploy.publish(session, STAGE, stack)
    s3 = session.client("s3")
    config = s3.get_object(Bucket=stack.bucket, Key="config.js")["Body"].read().decode()
    assert f'apiBaseUrl: "{API_URL}",' in config
    assert "Generated by infra/web_deploy.py" in config
    assert (ROOT / "web" / "config.js").read_bytes() == committed  # never edited in place


def test_every_file_uploaded_with_its_content_type_and_cache_header(session: Any) -> None:
    stack = web_infra(session, stand_in_web_template(session))
    deploy_api(session)
    s3 = session.client("s3")
    s3.put_object(Bucket=stack.bucket, Key="js/removed-module.js", Body=b"old")
    result = web_deploy.publish(session, STAGE, stack)

    local = sorted(
        p.relative_to(ROOT / "web").as_posix() for p in (ROOT / "web").rglob("*") if p.is_file()
    )
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=stack.bucket)["Contents"])
    assert keys == local == result["files"]
    assert result["deleted"] == ["js/removed-module.js"]
    expected = {
        ".html": "text/html",
        ".js": "text/javascript",
        ".css": "text/css",
        ".png": "image/png",
    }
    for key in keys:
        head = s3.head_object(Bucket=stack.bucket, Key=key)
        assert head["ContentType"].split(";")[0] == expected[Path(key).suffix], key
        assert head["ServerSideEncryption"] == "AES256"
        entry = key in ("index.html", "config.js")
        assert head["CacheControl"] == ("no-cache" if entry else "public, max-age=300"), key

    invalidations = session.client("cloudfront").list_invalidations(
        DistributionId=stack.distribution_id
    )
    items = invalidations["InvalidationList"]["Items"]
    assert [i["Id"] for i in items] == [result["invalidation"]]


def test_an_unknown_file_type_stops_the_upload(tmp_path: Path) -> None:
    web = tmp_path / "web"
    shutil.copytree(ROOT / "web", web)
    (web / "notes.md").write_text("# not for the bucket")
    with pytest.raises(SystemExit, match=r"notes\.md: no content type known"):
        web_deploy.files_to_upload(web, web_deploy.config_js(API_URL, STAGE))


def test_config_js_needs_an_https_api_url() -> None:
    with pytest.raises(SystemExit, match="not an https URL"):
        web_deploy.config_js("http://abc.execute-api.eu-west-3.amazonaws.com", STAGE)


# --- the generated file is read by web/js exactly like the committed one --------------------

_NODE_PROBE = """
globalThis.sessionStorage = { getItem: () => null, setItem() {}, removeItem() {} };
const calls = [];
globalThis.fetch = async (url) => {
  calls.push(String(url));
  return new Response('{"models": []}', { status: 200 });
};
const { api } = await import(process.argv[1]);
await api("GET", "/models");
console.log(JSON.stringify(calls));
"""


def _fetched_urls(web: Path, tmp_path: Path, name: str) -> list[str]:
    """Runs web/js/api.js in Node (ES modules, as the browser loads them) with `web` as the
    site, and returns the URLs it fetched for `api("GET", "/models")`."""
    site = tmp_path / name
    shutil.copytree(web, site)
    (site / "package.json").write_text('{"type": "module"}')  # .js files are ES modules here
    node = shutil.which("node")
    assert node, "node is needed (make node-tools)"
    done = subprocess.run(
        [node, "--input-type=module", "-e", _NODE_PROBE, (site / "js" / "api.js").as_uri()],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_generated_config_is_read_by_the_client_like_the_committed_one(tmp_path: Path) -> None:
    committed = _fetched_urls(ROOT / "web", tmp_path, "committed")
    assert committed == ["/models"]  # the local default: the page's own origin

    files = web_deploy.files_to_upload(ROOT / "web", web_deploy.config_js(API_URL + "/", STAGE))
    deployed = tmp_path / "deployed-files"
    for key, (body, _, _) in files.items():
        (deployed / key).parent.mkdir(parents=True, exist_ok=True)
        (deployed / key).write_bytes(body)
    assert _fetched_urls(deployed, tmp_path, "deployed") == [f"{API_URL}/models"]


# --- create or update ------------------------------------------------------------------------


def test_deploy_stack_creates_then_updates(session: Any) -> None:
    template = json.dumps(
        {
            "Parameters": {"Stage": {"Type": "String"}},
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {"Seen": {"Value": {"Ref": "Stage"}}},
        }
    )
    cloudformation = session.client("cloudformation")
    first = web_deploy.deploy_stack(cloudformation, "s", template, {"Stage": "a"})
    second = web_deploy.deploy_stack(cloudformation, "s", template, {"Stage": "b"})
    assert (first["Seen"], second["Seen"]) == ("a", "b")
    assert len(cloudformation.describe_stacks()["Stacks"]) == 1
