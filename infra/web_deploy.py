"""Deploys the web client to S3 + CloudFront: `make web-infra` and `make web`.

    python infra/web_deploy.py --stage prod --infra-only   # before the API (make web-infra)
    python infra/web_deploy.py --stage prod                # after it (make web)

The web origin and the API URL depend on each other: the API's CORS allows exactly
`/videogen/<stage>/web-origin` (read when the API is packaged), and the client must know
the API's URL. So, in this order (docs/deploy.md):

1. `--infra-only` creates or updates the stack `videogen-<stage>-web` (infra/web.yml:
   private bucket, CloudFront with origin access control, security headers) and stores its
   `https://<id>.cloudfront.net` origin as the SSM String `/videogen/<stage>/web-origin`
   unless that parameter already exists (a custom domain set by hand is kept; pass
   `--web-origin` to replace it);
2. `make deploy` deploys the API, whose CORS now names that origin;
3. without `--infra-only`: the same stack update, now with the API's origin in the CSP,
   then `config.js` GENERATED from the API stack's `HttpApiUrl` output into the upload
   (the committed `web/config.js`, the local default, is never edited), every file of
   `web/` uploaded with its content type and cache header, files no longer in `web/`
   deleted, and a CloudFront invalidation of `/*`.

boto3 reads credentials and region as usual; `AWS_ENDPOINT_URL` points it at another
endpoint (moto in tests/deploy/test_web_deploy.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
TEMPLATE = Path(__file__).resolve().with_name("web.yml")
API_STACK = "videogen-{stage}"
WEB_STACK = "videogen-{stage}-web"
WEB_ORIGIN_PARAMETER = "/videogen/{stage}/web-origin"
STORAGE_ENDPOINT_PARAMETER = "/videogen/{stage}/storage-endpoint-url"
ANY_HTTPS = "https:"  # the CSP source while an origin is not known yet

# Content types by extension. Browsers refuse an ES module served with a non-JavaScript type
# (S3's default is binary/octet-stream), so an unknown extension stops the upload rather than
# being guessed.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
# The entry points are revalidated on every load, so a new deployment (and its config.js)
# shows at once; the modules they load are short-cached (fetched by name, not by hash).
ENTRY_POINTS = {"index.html", "config.js"}
CACHE_ENTRY = "no-cache"
CACHE_OTHER = "public, max-age=300"
SKIPPED = {".DS_Store"}


@dataclass(frozen=True)
class WebStack:
    bucket: str
    distribution_id: str
    origin: str


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL (a CSP source and a CORS origin)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise SystemExit(f"not an https URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def stack_outputs(cloudformation: Any, name: str) -> dict[str, str] | None:
    """A stack's outputs, or None when it does not exist."""
    from botocore.exceptions import ClientError

    try:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def api_url(cloudformation: Any, stage: str) -> str | None:
    """The API's `HttpApiUrl` output (osls adds it for an HTTP API), if deployed."""
    outputs = stack_outputs(cloudformation, API_STACK.format(stage=stage))
    if outputs is None:
        return None
    if "HttpApiUrl" not in outputs:
        raise SystemExit(f"stack {API_STACK.format(stage=stage)} has no HttpApiUrl output")
    return outputs["HttpApiUrl"]


def _parameter(ssm: Any, name: str) -> str | None:
    try:
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


def deploy_stack(
    cloudformation: Any, name: str, template: str, parameters: dict[str, str]
) -> dict[str, str]:
    """Creates the stack or updates it (no change is not an error); waits; its outputs."""
    from botocore.exceptions import ClientError

    arguments = {
        "StackName": name,
        "TemplateBody": template,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        "Tags": [{"Key": "app", "Value": "videogen"}],
    }
    if stack_outputs(cloudformation, name) is None:
        print(f"creating stack {name} (CloudFront takes a few minutes)", flush=True)
        cloudformation.create_stack(**arguments)
        cloudformation.get_waiter("stack_create_complete").wait(StackName=name)
    else:
        try:
            cloudformation.update_stack(**arguments)
        except ClientError as exc:
            if "No updates are to be performed" not in str(exc):
                raise
            print(f"stack {name}: no changes", flush=True)
        else:
            print(f"updating stack {name}", flush=True)
            cloudformation.get_waiter("stack_update_complete").wait(StackName=name)
    outputs = stack_outputs(cloudformation, name)
    assert outputs is not None
    return outputs


def deploy_web_stack(session: Any, stage: str, template: str | None = None) -> WebStack:
    """infra/web.yml (or `template`) as `videogen-<stage>-web`, its CSP naming the API and
    storage origins once they are known."""
    cloudformation = session.client("cloudformation")
    url = api_url(cloudformation, stage)
    storage = _parameter(session.client("ssm"), STORAGE_ENDPOINT_PARAMETER.format(stage=stage))
    outputs = deploy_stack(
        cloudformation,
        WEB_STACK.format(stage=stage),
        template if template is not None else TEMPLATE.read_text(),
        {
            "Stage": stage,
            "ApiOrigin": origin_of(url) if url else ANY_HTTPS,
            "MediaOrigin": origin_of(storage) if storage else ANY_HTTPS,
        },
    )
    return web_stack(outputs, WEB_STACK.format(stage=stage))


def web_stack(outputs: dict[str, str] | None, name: str) -> WebStack:
    if outputs is None:
        raise SystemExit(f"stack {name} does not exist: run `make web-infra` first")
    missing = {"WebBucketName", "DistributionId", "WebOrigin"} - set(outputs)
    if missing:
        raise SystemExit(f"stack {name} lacks the outputs {sorted(missing)}")
    return WebStack(outputs["WebBucketName"], outputs["DistributionId"], outputs["WebOrigin"])


def store_web_origin(ssm: Any, stage: str, origin: str, replace: bool = False) -> str:
    """The API's CORS origin. Written when missing (first deploy) or when asked; an existing
    value (a custom domain) is kept. Returns the value in SSM."""
    name = WEB_ORIGIN_PARAMETER.format(stage=stage)
    current = _parameter(ssm, name)
    if current is not None and not replace:
        if current != origin:
            print(f"{name} stays {current} (the distribution is {origin})", flush=True)
        return current
    ssm.put_parameter(Name=name, Value=origin, Type="String", Overwrite=True)
    print(f"{name} = {origin}" + ("" if current in (None, origin) else f" (was {current})"))
    if current not in (None, origin):
        print("the API's CORS reads it when deployed: run `make deploy` again", flush=True)
    return origin


def config_js(api_base_url: str, stage: str) -> str:
    """web/config.js for a deployment: the committed file's shape, the API URL filled in."""
    origin_of(api_base_url)  # an https URL, or stop
    return (
        f"// Generated by infra/web_deploy.py for stage {stage} from the stack "
        f"{API_STACK.format(stage=stage)} (output HttpApiUrl).\n"
        "// Do not edit: `make web STAGE=<stage>` writes it on every deploy. Public, no secrets.\n"
        "export default {\n"
        f"  apiBaseUrl: {json.dumps(api_base_url.rstrip('/'))},\n"
        "};\n"
    )


def files_to_upload(web: Path, config: str) -> dict[str, tuple[bytes, str, str]]:
    """key -> (body, content type, cache control) for every file of `web/`, config.js
    replaced by the generated one."""
    files: dict[str, tuple[bytes, str, str]] = {}
    for path in sorted(web.rglob("*")):
        if not path.is_file() or path.name in SKIPPED:
            continue
        key = path.relative_to(web).as_posix()
        content_type = CONTENT_TYPES.get(path.suffix.lower())
        if content_type is None:
            raise SystemExit(f"web/{key}: no content type known for {path.suffix!r}")
        body = config.encode() if key == "config.js" else path.read_bytes()
        files[key] = (body, content_type, CACHE_ENTRY if key in ENTRY_POINTS else CACHE_OTHER)
    if "index.html" not in files or "config.js" not in files:
        raise SystemExit(f"{web}: index.html and config.js are required")
    return files


def upload(s3: Any, bucket: str, files: dict[str, tuple[bytes, str, str]]) -> list[str]:
    """Puts every file, then deletes the keys no longer in `web/` (the bucket is versioned:
    a delete can be undone). Returns the deleted keys."""
    for key, (body, content_type, cache_control) in files.items():
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            CacheControl=cache_control,
            ServerSideEncryption="AES256",
        )
    stale = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        stale += [o["Key"] for o in page.get("Contents", []) if o["Key"] not in files]
    for start in range(0, len(stale), 1000):
        batch = [{"Key": key} for key in stale[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return stale


def invalidate(cloudfront: Any, distribution_id: str) -> str:
    """One invalidation of every path (the first 1,000 paths a month are free)."""
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"videogen-web-{time.time_ns()}",
        },
    )
    return str(answer["Invalidation"]["Id"])


def publish(session: Any, stage: str, stack: WebStack, web: Path = WEB) -> dict[str, Any]:
    """config.js from the API stack, the files to the bucket, the invalidation."""
    url = api_url(session.client("cloudformation"), stage)
    if url is None:
        raise SystemExit(
            f"stack {API_STACK.format(stage=stage)} does not exist: "
            f"run `make deploy STAGE={stage}` before `make web`"
        )
    files = files_to_upload(web, config_js(url, stage))
    deleted = upload(session.client("s3"), stack.bucket, files)
    invalidation = invalidate(session.client("cloudfront"), stack.distribution_id)
    for key, (body, content_type, cache_control) in files.items():
        print(f"uploaded {key:<28} {len(body):>8,} B  {content_type:<32} {cache_control}")
    for key in deleted:
        print(f"deleted  {key}")
    print(f"invalidation {invalidation} of /* on {stack.distribution_id}")
    print(f"web client: {stack.origin}  (API: {url})", flush=True)
    return {
        "api_url": url,
        "files": sorted(files),
        "deleted": deleted,
        "invalidation": invalidation,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region", default=None)
    parser.add_argument(
        "--infra-only", action="store_true", help="the web stack and the web-origin parameter"
    )
    parser.add_argument(
        "--web-origin",
        help="store this origin (a custom domain) as web-origin, replacing the current value",
    )
    args = parser.parse_args(argv)
    import boto3

    session = boto3.session.Session(region_name=args.region)
    stack = deploy_web_stack(session, args.stage)
    origin = origin_of(args.web_origin) if args.web_origin else stack.origin
    store_web_origin(session.client("ssm"), args.stage, origin, replace=bool(args.web_origin))
    if not args.infra_only:
        publish(session, args.stage, stack)


if __name__ == "__main__":
    main(sys.argv[1:])
