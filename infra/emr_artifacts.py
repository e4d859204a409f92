"""Builds and uploads what the EMR Serverless KPI job needs: `make emr-artifacts`.

    python infra/emr_artifacts.py --stage prod            # bucket from the stack's outputs
    python infra/emr_artifacts.py --bucket my-artifacts   # or named
    python infra/emr_artifacts.py --bucket b --build-only --out /tmp/emr

Under `s3://<bucket>/emr/` (the EMR_ARTIFACTS_URI the functions get):
- `kpi_job.py`     the entry script (`entryPoint`);
- `videogen.zip`   for `--py-files`: the shared `videogen` package (without the local stack)
                   and the entry script's sibling modules (emr/kpi_io.py, ...);
- `postgresql.jar` the JDBC driver for `--jars` (Debian: libpostgresql-jdbc-java);
- `manifest.json`  sha256 and size of each, for checking what a run used.

No virtualenv archive: the job runs on the Python of the release in emr/release.json (3.9
on emr-7.x) with what the image has (docs/kpis.md, Runtime); tests/kpis/test_emr_runtime.py
runs these very artifacts with spark-submit on that Python and Spark.

boto3 reads credentials and region as usual; `AWS_ENDPOINT_URL` points it at another
endpoint (a moto server in tests).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / "layers" / "shared" / "python" / "videogen"
DEFAULT_ENTRY = ROOT / "emr" / "kpi_job.py"
DEFAULT_JAR = Path("/usr/share/java/postgresql.jar")
PREFIX = "emr"
STACK = "videogen-{stage}"
SKIP_DIRS = {"__pycache__", "local"}  # videogen.local is the embedded stack: never on EMR


def _zip_write(archive: zipfile.ZipFile, path: Path, name: str) -> None:
    # Fixed timestamps: the same sources give the same zip (and the same sha256).
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, path.read_bytes())


def build_py_files(entry: Path, target: Path) -> Path:
    """videogen.zip: the shared package plus the entry script's sibling modules."""
    files: list[tuple[Path, str]] = []
    for path in sorted(SHARED.rglob("*")):
        relative = path.relative_to(SHARED.parent)
        if path.is_file() and not SKIP_DIRS.intersection(relative.parts) and path.suffix != ".pyc":
            files.append((path, relative.as_posix()))
    for path in sorted(entry.parent.glob("*.py")):
        if path != entry:
            files.append((path, path.name))
    with zipfile.ZipFile(target, "w") as archive:
        for path, name in files:
            _zip_write(archive, path, name)
    return target


def build(entry: Path, jar: Path, out: Path) -> dict[str, Path]:
    if not entry.is_file():
        raise SystemExit(f"entry script not found: {entry}")
    if not jar.is_file():
        raise SystemExit(
            f"JDBC jar not found: {jar} (Debian: apt-get install libpostgresql-jdbc-java)"
        )
    out.mkdir(parents=True, exist_ok=True)
    artifacts = {
        entry.name: out / entry.name,
        "videogen.zip": out / "videogen.zip",
        "postgresql.jar": out / "postgresql.jar",
    }
    shutil.copyfile(entry, artifacts[entry.name])
    build_py_files(entry, artifacts["videogen.zip"])
    shutil.copyfile(jar.resolve(), artifacts["postgresql.jar"])  # the symlink's target
    manifest = {
        name: {
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "bytes": path.stat().st_size,
        }
        for name, path in artifacts.items()
    }
    artifacts["manifest.json"] = out / "manifest.json"
    artifacts["manifest.json"].write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return artifacts


def stack_bucket(stage: str, cloudformation) -> str:
    """The ArtifactsBucketName output of the stage's stack."""
    stack = cloudformation.describe_stacks(StackName=STACK.format(stage=stage))["Stacks"][0]
    for output in stack.get("Outputs", []):
        if output["OutputKey"] == "ArtifactsBucketName":
            return output["OutputValue"]
    raise SystemExit(f"stack {stack['StackName']} has no ArtifactsBucketName output")


def upload(artifacts: dict[str, Path], bucket: str, s3, prefix: str = PREFIX) -> list[str]:
    """Uploads every artifact (server-side encrypted); returns the s3:// URIs."""
    uris = []
    for name, path in artifacts.items():
        key = f"{prefix}/{name}"
        s3.upload_file(str(path), bucket, key, ExtraArgs={"ServerSideEncryption": "AES256"})
        uris.append(f"s3://{bucket}/{key}")
    return uris


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--bucket", help="the artifacts bucket")
    where.add_argument("--stage", help="read the bucket from stack videogen-<stage>'s outputs")
    parser.add_argument("--region", default=None)
    parser.add_argument("--entry", type=Path, default=DEFAULT_ENTRY, help="the job's entry script")
    parser.add_argument("--jdbc-jar", type=Path, default=DEFAULT_JAR)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "emr")
    parser.add_argument("--build-only", action="store_true", help="build, do not upload")
    args = parser.parse_args(argv)

    artifacts = build(args.entry, args.jdbc_jar, args.out)
    for name, path in artifacts.items():
        print(f"built {name:<16} {path.stat().st_size:>10,} bytes")
    if args.build_only:
        return []
    import boto3

    session = boto3.session.Session(region_name=args.region)
    bucket = args.bucket or stack_bucket(args.stage, session.client("cloudformation"))
    uris = upload(artifacts, bucket, session.client("s3"))
    for uri in uris:
        print(f"uploaded {uri}")
    return uris


if __name__ == "__main__":
    main(sys.argv[1:])
