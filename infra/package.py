"""Packages the service with osls, lints the template and reports sizes: `make package`.

    python infra/package.py                        # offline, stage ci, into .serverless/
    python infra/package.py --stage prod --aws     # against the real account (make deploy)

Offline (the default) needs no AWS account: osls asks AWS only to resolve `${ssm:...}`
configuration and to compare layers with a previous deploy (DescribeStacks), so a moto
server on 127.0.0.1 answers instead, with dummy credentials and `AWS_ENDPOINT_URL`. It is
seeded with placeholder configuration and with *sentinel* secret values: if any sentinel
shows up in the template or an artifact, a secret leaked into the package and this fails.

Functions planned in serverless.yml whose `functions/<name>/handler.py` does not exist yet
are packaged with a placeholder handler when `--allow-missing` is given (CI while the
functions are being written); without it (deploy) a missing handler is an error, and so,
always, is a handler that serverless.yml does not declare.

Before osls runs, the stage's required configuration (serverless.yml's `${ssm:...}` without a
default, the alarm email among them) is checked in SSM, and a missing or malformed value
stops it with a message naming each parameter and how to set it.

Then: cfn-lint on the CloudFormation template and on the standalone templates in infra/
(STANDALONE_TEMPLATES: the optional EMR network stack; W3005 only is ignored), a size table of
each function and layer (zipped and unzipped), and a failure if the layers together pass
LAYERS_BUDGET_MB unzipped (Lambda's hard limit for function + layers is 250 MB).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_layers

ROOT = Path(__file__).resolve().parents[1]
OSLS = ROOT / "node_modules" / ".bin" / "osls"
NPM_STAMP = ROOT / "node_modules" / ".package-lock.json"
TEMPLATE = "cloudformation-template-update-stack.json"
DEFAULT_REGION = "eu-west-3"
LAYERS_BUDGET_MB = 200
LAMBDA_UNZIPPED_LIMIT_MB = 250
CFN_LINT_IGNORED = ("W3005",)  # DependsOn already implied by a Ref/GetAtt (osls adds both)
# Templates deployed on their own (not by osls), linted by every `make package` too.
STANDALONE_TEMPLATES = (ROOT / "infra" / "network.yml", ROOT / "infra" / "web.yml")
# serverless.yml's required configuration: `${ssm:/videogen/${sls:stage}/<name>}`, no default
REQUIRED_SSM = re.compile(r"\$\{ssm:/videogen/\$\{sls:stage\}/([a-z0-9-]+)\}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")  # what AlarmEmail's AllowedPattern accepts

# Non-secret configuration osls resolves with ${ssm:...} (String parameters).
CI_CONFIG = {
    "supabase-url": "https://ci-project.supabase.co",
    "web-origin": "https://app.videogen.example",
    "storage-endpoint-url": "https://ci-project.storage.supabase.co/storage/v1/s3",
    "storage-bucket": "videos",
    "storage-region": DEFAULT_REGION,
    "alarm-email": "ops@videogen.example",
    "fal-account-id": "fal-account-ci",
}
# SecureString parameters: read by the functions at cold start, never by osls.
SECRET_NAMES = (
    "database-url",
    "database-ca-cert",
    "supabase-anon-key",
    "supabase-service-role-key",
    "supabase-jwt-secret",
    "fal-key",
    "storage-access-key-id",
    "storage-secret-access-key",
    "webhook-token-secret",
)
PLACEHOLDER = '''"""Placeholder packaged by infra/package.py --allow-missing: not written yet."""


def handler(event, context):
    raise RuntimeError("functions/{name}/handler.py is not written yet")
'''


@dataclass
class Artifact:
    kind: str  # function | layer
    name: str
    zipped: int
    unzipped: int
    files: int


def log(message: str) -> None:
    print(f"[package] {message}", flush=True)


# --- tools --------------------------------------------------------------------------------


def ensure_osls() -> None:
    """`npm ci` when node_modules is missing or older than package(-lock).json: the same rule
    as the Makefile's node-tools target (npm writes node_modules/.package-lock.json)."""
    inputs = [ROOT / "package.json", ROOT / "package-lock.json"]
    newest = max(p.stat().st_mtime for p in inputs)
    if OSLS.exists() and NPM_STAMP.is_file() and NPM_STAMP.stat().st_mtime >= newest:
        return
    log("npm ci (osls)")
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: install Node.js 20.19+ (Debian: apt-get install npm)")
    subprocess.run(  # noqa: S603 - fixed argv
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=ROOT,
        check=True,
    )


# --- functions ----------------------------------------------------------------------------


def declared_handlers(config: dict) -> dict[str, Path]:
    """Function name -> handler file (relative to the repo) as serverless.yml declares it."""
    result = {}
    for name, function in config["functions"].items():
        module = function["handler"].rsplit(".", 1)[0]
        result[name] = Path(module + ".py")
    return result


def existing_handlers(root: Path = ROOT) -> set[Path]:
    return {p.relative_to(root) for p in (root / "functions").glob("*/handler.py")}


def check_handlers(config: dict, allow_missing: bool, root: Path = ROOT) -> list[Path]:
    """The declared handlers that do not exist yet; raises on any other mismatch."""
    declared = set(declared_handlers(config).values())
    existing = existing_handlers(root)
    undeclared = sorted(existing - declared)
    if undeclared:
        raise SystemExit(f"handlers not declared in serverless.yml: {undeclared}")
    missing = sorted(declared - existing)
    if missing and not allow_missing:
        raise SystemExit(f"declared in serverless.yml but missing: {missing}")
    return missing


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def stage_service(target: Path, missing: list[Path]) -> None:
    """A copy of what osls reads, plus placeholders for handlers not written yet."""
    shutil.copy2(ROOT / "serverless.yml", target / "serverless.yml")
    (target / "emr").mkdir()  # serverless.yml reads the EMR release label from emr/release.json
    shutil.copy2(ROOT / "emr" / "release.json", target / "emr" / "release.json")
    sources = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for part in ("infra", "functions", "layers/shared", "layers/deps"):
        src = ROOT / part
        # The built deps layer keeps its Python 3.12 bytecode (see build_layers.py).
        ignore = None if part == "layers/deps" else sources
        if src.exists():
            shutil.copytree(src, target / part, ignore=ignore, copy_function=_link_or_copy)
    for handler in missing:
        path = target / handler
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PLACEHOLDER.format(name=handler.parent.name))


# --- configuration -----------------------------------------------------------------------


def required_config(config: dict) -> list[str]:
    """The SSM names (under /videogen/<stage>/) serverless.yml reads without a default."""
    found = []
    for value in config.get("params", {}).get("default", {}).values():
        match = REQUIRED_SSM.fullmatch(str(value).strip())
        if match:
            found.append(match.group(1))
    return found


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def check_required_config(stage: str, ssm, config: dict) -> None:
    """Stops, naming every problem, when a required parameter is missing or the alarm email
    is not an email address: osls would fail later with a bare "cannot resolve", and a
    stack without an alarm subscriber pages nobody."""
    paths = [f"/videogen/{stage}/{name}" for name in required_config(config)]
    values: dict[str, str] = {}
    for chunk in _chunks(paths, 10):  # GetParameters takes 10 names at most
        for parameter in ssm.get_parameters(Names=chunk)["Parameters"]:
            values[parameter["Name"]] = parameter["Value"]
    problems = [f"{path}: not set" for path in paths if path not in values]
    email = values.get(f"/videogen/{stage}/alarm-email")
    if email is not None and not EMAIL.fullmatch(email.strip()):
        problems.append(f"/videogen/{stage}/alarm-email: not an email address ({email!r})")
    if problems:
        raise SystemExit(
            f"stage {stage} is missing required configuration (SSM String parameters):\n  "
            + "\n  ".join(problems)
            + "\nSet each with `aws ssm put-parameter --type String --overwrite --name <name> "
            "--value <value>` (docs/deploy.md). The alarm email is required: every alarm and "
            "the monthly budget notify it."
        )
    log(f"required configuration of stage {stage}: {len(paths)} parameters set")


# --- offline AWS --------------------------------------------------------------------------


@contextlib.contextmanager
def moto_endpoint(
    stage: str, region: str, sentinels: dict[str, str], config: dict[str, str] | None = None
) -> Iterator[str]:
    """A moto server on 127.0.0.1 with the stage's SSM parameters (CI_CONFIG, then `config`:
    names under /videogen/<stage>/, e.g. "config/registerRate"); yields its URL."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        ssm = boto3.client(
            "ssm",
            region_name=region,
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
        )
        for name, value in {**CI_CONFIG, **(config or {})}.items():
            ssm.put_parameter(
                Name=f"/videogen/{stage}/{name}", Value=value, Type="String", Overwrite=True
            )
        for name, value in sentinels.items():
            ssm.put_parameter(
                Name=f"/videogen/{stage}/{name}", Value=value, Type="SecureString", Overwrite=True
            )
        yield url
    finally:
        server.stop()


def _ssm_client(region: str, endpoint: str | None = None):
    """An SSM client seeing what osls will see: moto's endpoint offline, the account else."""
    import boto3

    if endpoint:
        return boto3.client(
            "ssm",
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
        )
    return boto3.client("ssm", region_name=region)


def offline_env(endpoint: str, region: str, scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - dummy
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_ENDPOINT_URL=endpoint,
        # Never pick up a developer's real profile or credentials by accident.
        AWS_CONFIG_FILE=str(scratch / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(scratch / "no-aws-credentials"),
    )
    return env


# --- checks -------------------------------------------------------------------------------


def cfn_lint(template: Path) -> None:
    cfn = Path(sys.executable).with_name("cfn-lint")
    command = [str(cfn)] if cfn.exists() else [sys.executable, "-m", "cfnlint"]
    command += ["--ignore-checks", *CFN_LINT_IGNORED, "--", str(template)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        raise SystemExit(f"cfn-lint found problems in {template.name} (exit {result.returncode})")
    log(f"cfn-lint {template.name}: no errors or warnings")


def measure(out: Path, config: dict) -> list[Artifact]:
    layer_names = set(config.get("layers", {}))
    artifacts = []
    for path in sorted(out.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
        kind = "layer" if path.stem in layer_names else "function"
        artifacts.append(
            Artifact(
                kind, path.stem, path.stat().st_size, sum(i.file_size for i in infos), len(infos)
            )
        )
    return artifacts


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def report(artifacts: list[Artifact]) -> str:
    """The size table: each function and layer, zipped and unzipped, then the layers' total."""
    rows = [(a.kind, a.name, a.files, a.zipped, a.unzipped) for a in artifacts]
    rows.sort(key=lambda r: (r[0], r[1]))
    layers = [a for a in artifacts if a.kind == "layer"]
    total = ("layers", "(total)", sum(a.files for a in layers))
    total += (sum(a.zipped for a in layers), sum(a.unzipped for a in layers))
    line = "-" * 56
    out = [f"{'kind':<9} {'name':<14} {'files':>6} {'zipped':>11} {'unzipped':>11}", line]
    for kind, name, files, zipped, unzipped in [*rows, total]:
        if kind == "layers":
            out.append(line)
        out.append(f"{kind:<9} {name:<14} {files:>6} {_size(zipped):>11} {_size(unzipped):>11}")
    return "\n".join(out)


def check_sizes(artifacts: list[Artifact]) -> None:
    mb = 1024 * 1024
    layers_total = sum(a.unzipped for a in artifacts if a.kind == "layer")
    if layers_total > LAYERS_BUDGET_MB * mb:
        raise SystemExit(
            f"layers take {layers_total / mb:.1f} MB unzipped,"
            f" over the {LAYERS_BUDGET_MB} MB budget"
        )
    for a in artifacts:
        if a.kind == "function" and a.unzipped + layers_total > LAMBDA_UNZIPPED_LIMIT_MB * mb:
            raise SystemExit(f"{a.name}: function + layers over Lambda's 250 MB unzipped limit")


def check_no_secrets(out: Path, sentinels: dict[str, str]) -> None:
    """No sentinel secret in any packaged file (template, state, every zip member)."""
    needles = [v.encode() for v in sentinels.values()]
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        blobs = []
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                blobs = [(f"{path.name}:{n}", archive.read(n)) for n in archive.namelist()]
        else:
            blobs = [(path.name, path.read_bytes())]
        for where, blob in blobs:
            if any(needle in blob for needle in needles):
                raise SystemExit(f"a secret value leaked into the package: {where}")
    log("no secret value in the template or any artifact")


# --- main ---------------------------------------------------------------------------------


def package(
    out: Path,
    stage: str = "ci",
    region: str = DEFAULT_REGION,
    offline: bool = True,
    allow_missing: bool = False,
    params: dict[str, str] | None = None,
    ssm_config: dict[str, str] | None = None,
) -> list[Artifact]:
    """Packages into `out`. Offline, `ssm_config` adds SSM String parameters to the moto stand-in
    (names under /videogen/<stage>/, e.g. {"config/registerRate": "2"})."""
    started = time.monotonic()
    ensure_osls()
    log("dependency layer")
    build_layers.build()
    config = yaml.safe_load((ROOT / "serverless.yml").read_text())
    missing = check_handlers(config, allow_missing)
    if missing:
        log("placeholder handlers for functions not written yet: " + ", ".join(map(str, missing)))
    sentinels = {name: f"sentinel-{name}-{secrets.token_hex(8)}" for name in SECRET_NAMES}
    with tempfile.TemporaryDirectory(prefix="videogen-package-") as scratch_dir:
        scratch = Path(scratch_dir)
        service, build = scratch / "service", scratch / "build"
        service.mkdir()
        stage_service(service, missing)
        with contextlib.ExitStack() as stack:
            if offline:
                endpoint = stack.enter_context(moto_endpoint(stage, region, sentinels, ssm_config))
                env = offline_env(endpoint, region, scratch)
                ssm = _ssm_client(region, endpoint)
            else:
                env = dict(os.environ)
                ssm = _ssm_client(region)
            check_required_config(stage, ssm, config)
            env.update(
                SLS_TELEMETRY_DISABLED="1", SLS_NOTIFICATIONS_MODE="off", NODE_NO_WARNINGS="1"
            )
            log(f"osls package --stage {stage}" + (" (offline: moto)" if offline else ""))
            subprocess.run(  # noqa: S603 - fixed argv
                [
                    str(OSLS),
                    "package",
                    "--stage",
                    stage,
                    "--region",
                    region,
                    "--package",
                    str(build),
                    *(f"--param={key}={value}" for key, value in (params or {}).items()),
                ],
                cwd=service,
                env=env,
                check=True,
            )
        cfn_lint(build / TEMPLATE)
        for template in STANDALONE_TEMPLATES:
            cfn_lint(template)
        if offline:
            check_no_secrets(build, sentinels)
        artifacts = measure(build, config)
        print(report(artifacts), flush=True)
        check_sizes(artifacts)
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(build, out)
    log(f"done in {time.monotonic() - started:.1f} s -> {out}")
    return artifacts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="ci")
    parser.add_argument("--region", default=DEFAULT_REGION)
    parser.add_argument("--out", type=Path, default=ROOT / ".serverless")
    parser.add_argument(
        "--aws", action="store_true", help="use the real AWS account (no moto): for deploys"
    )
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="package placeholder handlers for declared functions not written yet",
    )
    parser.add_argument("--json", type=Path, help="also write the size table as JSON here")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an osls parameter (serverless.yml `params`), e.g. snapStart=true",
    )
    args = parser.parse_args()
    artifacts = package(
        args.out.resolve(),
        args.stage,
        args.region,
        offline=not args.aws,
        allow_missing=args.allow_missing,
        params=dict(item.split("=", 1) for item in args.param),
    )
    if args.json:
        args.json.write_text(json.dumps([a.__dict__ for a in artifacts], indent=2))


if __name__ == "__main__":
    main()
