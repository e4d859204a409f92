"""`make smoke`: proves a deployment works end to end, as a client of its API and nothing else.

    SMOKE_EMAIL=... SMOKE_PASSWORD=... python -m infra.smoke --stage prod --region eu-west-3
    SMOKE_EMAIL=... SMOKE_PASSWORD=... python -m infra.smoke --api-url https://api.example

Each step prints one line (what it checked, OK/FAIL/SKIP, how long it took); the first
failure ends the run with exit status 1 and its reason. The steps: the API answers
`GET /models`; the smoke account signs in (an RS256 token on a deployed stage, which API
Gateway's JWT authorizer accepts on `GET /me` and refuses without or tampered); the cheapest
model is asked for one video with an Idempotency-Key (replayed once: same job, nothing new
billed); fal's webhook completes it; its signed URL serves `video/mp4`, and 206 to a Range
request; an operator's KPI run for today reaches SUCCESS and today's KPIs count the job.

The account's credentials come from SMOKE_EMAIL and SMOKE_PASSWORD only. The password, the
tokens and the signed URL are never printed. Against `make run`'s stack, `python -m
infra.smoke_local` prepares a local operator account and runs this (docs/deploy.md, "Smoke test").
Only the standard library, httpx and (for `--stage`) boto3: no project import, no pyspark.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx

STACK = "videogen-{stage}"  # serverless.yml's service name and the stage
API_URL_OUTPUT = "HttpApiUrl"  # the stack output osls writes for the HTTP API's endpoint
PROMPT = "Smoke test: a paper boat drifting on a calm pond, soft morning light"
FINAL_JOB_STATUSES = ("completed", "failed", "cancelled")
FINAL_KPI_STATES = ("SUCCESS", "FAILED", "CANCELLED")
RANGE = "bytes=0-1023"


class StepFailed(Exception):
    """A check did not hold; the message says what was expected and what came."""


@dataclass
class Options:
    api_url: str | None  # None: read from the stage's stack
    stage: str | None
    region: str | None
    email: str
    password: str = field(repr=False)
    expect_alg: str | None
    job_timeout: float
    kpi_timeout: float
    skip_kpis: bool


@dataclass
class Context:
    """What one step hands the next."""

    models: list[dict[str, Any]] = field(default_factory=list)
    token: str = field(default="", repr=False)
    job: dict[str, Any] = field(default_factory=dict)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def error_of(response: httpx.Response) -> str:
    """`<status> <code>: <message>` from the API's error shape (or API Gateway's own)."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} (not JSON)"
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return f"{response.status_code} {error.get('code')}: {error.get('message')}"
    if isinstance(body, dict) and "message" in body:  # API Gateway: {"message": "Unauthorized"}
        return f"{response.status_code}: {body['message']}"
    return str(response.status_code)


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise StepFailed(f"{what} answered {error_of(response)} (expected {status})")
    return response.json()


def jwt_header(token: str) -> dict[str, Any]:
    """The token's header, decoded without verifying anything (the API does that)."""
    try:
        encoded = token.split(".")[0]
        return dict(json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))))
    except (ValueError, IndexError) as exc:
        raise StepFailed("the access token is not a JWT") from exc


def tampered(token: str) -> str:
    """The same token with one signature character changed: the authorizer must refuse it."""
    head, _, signature = token.rpartition(".")
    flipped = "A" if signature[:1] != "A" else "B"
    return f"{head}.{flipped}{signature[1:]}"


def backoff(timeout: float, longest: float) -> Iterator[float]:
    """Seconds elapsed, then a pause growing from 0.2 s to at most `longest` (and a sixtieth
    of the timeout, so short local runs are not kept waiting), until `timeout`."""
    start = time.monotonic()
    pause, longest = 0.2, max(0.5, min(longest, timeout / 60))
    while (elapsed := time.monotonic() - start) <= timeout:
        yield elapsed
        time.sleep(min(pause, max(0.0, timeout - elapsed) + 0.01))
        pause = min(pause * 1.5, longest)


def cheapest(models: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model with the lowest default cost, and its shortest duration if it has one."""
    model = min(models, key=lambda m: (m["default_cost_usd"], m["key"]))
    params: dict[str, Any] = {}
    duration = model.get("parameters", {}).get("properties", {}).get("duration", {})
    if duration.get("enum"):
        params["duration"] = min(duration["enum"], key=lambda v: float(str(v).rstrip("s")))
    return model, params


class Smoke:
    """The steps, in order; each returns a one-line detail or raises StepFailed."""

    def __init__(self, options: Options, http: httpx.Client) -> None:
        self.options = options
        self.http = http
        self.ctx = Context()

    def steps(self) -> list[tuple[str, Callable[[], str] | None]]:
        kpis = None if self.options.skip_kpis else self.kpi_run
        find = [("find the API", self.find_api)] if self.options.api_url is None else []
        return [
            *find,
            ("API reachable", self.api_reachable),
            ("sign in", self.sign_in),
            ("JWT authorizer", self.authorizer),
            ("submit generation", self.submit),
            ("webhook completes job", self.wait_for_job),
            ("video via signed URL", self.video),
            ("KPI run", kpis),
        ]

    def redact(self, text: str) -> str:
        """Belt and braces: the password, the token and the signed URL never get printed."""
        video = self.ctx.job.get("video") or {}
        for secret in (self.options.password, self.ctx.token, video.get("url")):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text

    def find_api(self) -> str:
        assert self.options.stage is not None
        url = stack_api_url(self.options.stage, self.options.region)
        self.http.base_url = httpx.URL(url.rstrip("/"))
        return f"{API_URL_OUTPUT} of stack {STACK.format(stage=self.options.stage)}: {url}"

    def api_reachable(self) -> str:
        models = expect(self.http.get("/models"), 200, "GET /models")
        if not isinstance(models, list) or not models:
            raise StepFailed("GET /models returned no models")
        self.ctx.models = models
        return f"GET /models: 200, {len(models)} models"

    def sign_in(self) -> str:
        body = {"email": self.options.email, "password": self.options.password}
        session = expect(self.http.post("/auth/login", json=body), 200, "POST /auth/login")
        self.ctx.token = session["access_token"]
        alg = jwt_header(self.ctx.token).get("alg")
        wanted = self.options.expect_alg
        if wanted and alg != wanted:
            raise StepFailed(
                f"the access token is {alg}, API Gateway's JWT authorizer needs {wanted}: "
                "switch the Supabase project's signing key to RSA (docs/deploy.md, step 1)"
            )
        return f"POST /auth/login: 200, access token {alg}" + (" as required" if wanted else "")

    def authorizer(self) -> str:
        me = expect(self.http.get("/me", headers=self.ctx.auth), 200, "GET /me with the token")
        if str(me.get("email", "")).lower() != self.options.email.lower():
            raise StepFailed("GET /me answered another account's profile")
        bare = self.http.get("/me")
        if bare.status_code != 401:
            raise StepFailed(f"GET /me without a token answered {error_of(bare)} (expected 401)")
        forged = self.http.get(
            "/me", headers={"Authorization": f"Bearer {tampered(self.ctx.token)}"}
        )
        if forged.status_code != 401:
            raise StepFailed(
                f"GET /me with a tampered token answered {error_of(forged)} (expected 401)"
            )
        return f"GET /me: 200 with the token (role {me.get('role')}), 401 without, 401 tampered"

    def submit(self) -> str:
        model, params = cheapest(self.ctx.models)
        body = {"model": model["key"], "prompt": PROMPT, "params": params}
        headers = {**self.ctx.auth, "Idempotency-Key": f"smoke-{uuid.uuid4().hex}"}
        job = expect(
            self.http.post("/generations", json=body, headers=headers), 201, "POST /generations"
        )
        replay = self.http.post("/generations", json=body, headers=headers)
        again = expect(replay, 200, "POST /generations again with the same Idempotency-Key")
        if again.get("id") != job["id"] or replay.headers.get("idempotent-replayed") != "true":
            raise StepFailed("the same Idempotency-Key created a second job")
        self.ctx.job = job
        cost = job.get("cost_estimate_usd")
        return f"{model['key']} {json.dumps(params)} (${cost}): job {job['id']}, same job on replay"

    def wait_for_job(self) -> str:
        job_id = self.ctx.job["id"]
        seen: list[str] = []
        for _ in backoff(self.options.job_timeout, longest=5.0):
            job = expect(
                self.http.get(f"/generations/{job_id}", headers=self.ctx.auth),
                200,
                f"GET /generations/{job_id}",
            )
            if not seen or seen[-1] != job["status"]:
                seen.append(job["status"])
            if job["status"] in FINAL_JOB_STATUSES:
                break
        else:
            raise StepFailed(
                f"job {job_id} not finished within {self.options.job_timeout:g} s "
                f"(statuses seen: {' > '.join(seen)}); is fal's webhook reaching the API?"
            )
        if job["status"] != "completed":
            raise StepFailed(f"job {job_id} ended {job['status']}: {job.get('error')}")
        if not job.get("video"):
            raise StepFailed(f"job {job_id} completed without a video")
        self.ctx.job = job
        return f"job {' > '.join(seen)}"

    def video(self) -> str:
        video = self.ctx.job["video"]
        # the signed URL is a bearer credential: it is requested, never printed
        with httpx.Client(timeout=self.http.timeout, follow_redirects=False) as storage:
            with storage.stream("GET", video["url"]) as whole:
                if whole.status_code != 200:
                    raise StepFailed(f"GET on the signed URL answered {whole.status_code}")
                content_type = whole.headers.get("content-type", "")
                length = whole.headers.get("content-length")
            if content_type != "video/mp4":
                raise StepFailed(f"the signed URL serves {content_type!r}, not video/mp4")
            if length is not None and int(length) != video["size_bytes"]:
                raise StepFailed(
                    f"the signed URL serves {length} bytes, the job says {video['size_bytes']}"
                )
            ranged = storage.get(video["url"], headers={"Range": RANGE})
        if ranged.status_code != 206:
            raise StepFailed(f"a Range request on the signed URL answered {ranged.status_code}")
        if len(ranged.content) > 1024:
            raise StepFailed(f"a Range request for 1024 bytes got {len(ranged.content)}")
        return f"200 video/mp4, {video['size_bytes']:,} bytes; Range {RANGE}: 206"

    def kpi_run(self) -> str:
        report = expect(self.http.get("/admin/kpis", headers=self.ctx.auth), 200, "GET /admin/kpis")
        today = report["to"]  # the default range ends today, in the KPI time zone
        window = {"from": today, "to": today}
        started = expect(
            self.http.post("/admin/kpis/run", json=window, headers=self.ctx.auth),
            202,
            "POST /admin/kpis/run",
        )
        run_id = started["run_id"]
        run = started
        for _ in backoff(self.options.kpi_timeout, longest=15.0):
            run = expect(
                self.http.get(f"/admin/kpis/runs/{run_id}", headers=self.ctx.auth),
                200,
                f"GET /admin/kpis/runs/{run_id}",
            )
            if run["state"] in FINAL_KPI_STATES:
                break
        else:
            raise StepFailed(
                f"KPI run {run_id} still {run['state']} after {self.options.kpi_timeout:g} s"
            )
        if run["state"] != "SUCCESS":
            raise StepFailed(f"KPI run {run_id} ended {run['state']}: {run.get('detail')}")
        report = expect(
            self.http.get("/admin/kpis", params=window, headers=self.ctx.auth),
            200,
            "GET /admin/kpis for today",
        )
        jobs = sum(day["jobs_total"] for day in report["days"])
        if jobs < 1:
            raise StepFailed(f"KPI run {run_id} succeeded but today's KPIs count no job")
        return f"run {run_id} for {today}: SUCCESS, today's KPIs count {jobs} job(s)"


def run(options: Options, out: TextIO | None = None) -> int:
    """Runs every step in order, one line each (on stdout); 1 at the first failure, else 0."""
    out = out or sys.stdout
    target = options.api_url or f"stage {options.stage} ({options.region or 'default region'})"
    print(f"smoke test of {target}", file=out, flush=True)
    with httpx.Client(base_url=options.api_url or "", timeout=30.0) as http:
        smoke = Smoke(options, http)
        redact = smoke.redact
        steps = smoke.steps()
        for number, (name, check) in enumerate(steps, 1):
            label = f"{number}/{len(steps)} {name:<22}"
            if check is None:
                print(f"{label} SKIP {0:7.2f} s  --skip-kpis", file=out, flush=True)
                continue
            start = time.monotonic()
            try:
                detail = check()
            except (StepFailed, httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
                reason = redact(reason_of(exc))
                took = time.monotonic() - start
                print(f"{label} FAIL {took:7.2f} s  {reason}", file=out, flush=True)
                print(f"smoke test FAILED at step {number} ({name}): {reason}", file=out)
                return 1
            took = time.monotonic() - start
            print(f"{label} OK   {took:7.2f} s  {redact(detail)}", file=out, flush=True)
    print("smoke test passed", file=out)
    return 0


def reason_of(exc: Exception) -> str:
    if isinstance(exc, StepFailed):
        return str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer in time ({type(exc).__name__})"
    if isinstance(exc, httpx.HTTPError):
        return f"cannot reach the API: {type(exc).__name__}: {exc}"
    return f"unexpected answer ({type(exc).__name__}: {exc})"


def stack_api_url(stage: str, region: str | None) -> str:
    """The HttpApiUrl output of stack videogen-<stage> (AWS credentials as boto3 finds them)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    name = STACK.format(stage=stage)
    try:
        cloudformation = boto3.session.Session(region_name=region).client("cloudformation")
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except (BotoCoreError, ClientError) as exc:
        raise StepFailed(f"cannot read stack {name} ({region or 'default region'}): {exc}") from exc
    for output in stacks[0].get("Outputs", []):
        if output["OutputKey"] == API_URL_OUTPUT:
            return str(output["OutputValue"])
    raise StepFailed(f"stack {name} has no {API_URL_OUTPUT} output: is it deployed?")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stage", help="read the API URL from stack videogen-<stage>'s outputs")
    where.add_argument("--api-url", help="the API's base URL (e.g. http://127.0.0.1:8000)")
    parser.add_argument("--region", default=None, help="the stack's region (with --stage)")
    parser.add_argument(
        "--expect-alg",
        default=None,
        help="the access token's required algorithm (default: RS256 with --stage, any without)",
    )
    parser.add_argument(
        "--job-timeout", type=float, default=600, help="seconds for the webhook (default 600)"
    )
    parser.add_argument(
        "--kpi-timeout", type=float, default=900, help="seconds for the KPI run (default 900)"
    )
    parser.add_argument(
        "--skip-kpis", action="store_true", help="skip the KPI run (the account is not an operator)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = parse(argv)
    env = os.environ if environ is None else environ
    email, password = env.get("SMOKE_EMAIL", ""), env.get("SMOKE_PASSWORD", "")
    if not email or not password:
        print(
            "smoke test: set SMOKE_EMAIL and SMOKE_PASSWORD to the smoke account's credentials "
            "(docs/deploy.md, Smoke test)",
            file=sys.stderr,
        )
        return 2
    options = Options(
        api_url=args.api_url.rstrip("/") if args.api_url else None,
        stage=args.stage,
        region=args.region,
        email=email,
        password=password,
        expect_alg=args.expect_alg or ("RS256" if args.stage else None),
        job_timeout=args.job_timeout,
        kpi_timeout=args.kpi_timeout,
        skip_kpis=args.skip_kpis,
    )
    return run(options)


if __name__ == "__main__":
    sys.exit(main())
