"""Builds and uploads what the EMR Serverless KPI job needs: `make emr-artifacts`.

    python infra/emr_artifacts.py --stage prod            # bucket from the stack's outputs
    python infra/emr_artifacts.py --bucket my-artifacts   # or named
    python infra/emr_artifacts.py --bucket b --build-only --out /tmp/emr

Under `s3://<bucket>/emr/` (the EMR_ARTIFACTS_URI the functions get):
- `kpi_job.py`     the entry script (`entryPoint`);
- `videogen.zip`   for `--py-files`: the shared `videogen` package (without the local stack)
                   and the entry script's sibling modules (emr/kpi_io.py, ...);
- `postgresql.jar` the JDBC driver for `--jars` (Debian: libpostgresql-jdbc-java);
- `pydeps.tar.gz`  for `spark.archives=…#pydeps`: the pure-Python packages locked in
                   requirements/emr-job.lock (boto3 and its dependencies), built for the
                   Python of emr/release.json; the driver finds them on PYTHONPATH=./pydeps;
- `manifest.json`  sha256 and size of each, for checking what a run used.

No virtualenv: the job runs on the image's Python of the release in emr/release.json (3.9 on
emr-7.x) and brings only what it imports beyond pyspark (docs/kpis.md, Runtime);
tests/kpis/test_emr_runtime.py runs these very artifacts with spark-submit on that Python and
Spark, without boto3 installed there.

boto3 reads credentials and region as usual; `AWS_ENDPOINT_URL` points it at another
endpoint (a moto server in tests).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / "layers" / "shared" / "python" / "videogen"
DEFAULT_ENTRY = ROOT / "emr" / "kpi_job.py"
DEFAULT_JAR = Path("/usr/share/java/postgresql.jar")
DEFAULT_REQUIREMENTS = ROOT / "requirements" / "emr-job.lock"
RELEASE = ROOT / "emr" / "release.json"
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


def release_python() -> str:
    """The Python minor the EMR release runs ("3.9"): what pydeps is built for."""
    return str(json.loads(RELEASE.read_text())["python"])


def _tar_add(archive: tarfile.TarFile, path: Path, name: str) -> None:
    # Fixed owner, mode and time: the same wheels give the same archive (and sha256).
    info = tarfile.TarInfo(name)
    info.mtime = 1577836800  # 2020-01-01
    info.uid = info.gid = 0
    if path.is_dir():
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        archive.addfile(info)
    else:
        info.size, info.mode = path.stat().st_size, 0o644
        with path.open("rb") as data:
            archive.addfile(info, data)


def build_pydeps(requirements: Path, target: Path, python: str) -> Path:
    """pydeps.tar.gz: the pinned packages, installed for `python`, at the archive's root.

    A tar.gz for `spark.archives`, not a zip for `--py-files`: botocore reads its JSON service
    models from its package directory, which fails from a zip (`DataNotFoundError: Unable to
    load data for: endpoints`). `--abi none --platform any` accepts only pure-Python wheels,
    so the x86-64 build host makes the same files the ARM64 image runs; `--no-deps` because
    the file is the complete set (pip would evaluate markers for the host's Python);
    `--require-hashes`: every wheel is checked against the lock (infra/locks.py).
    """
    if not requirements.is_file():
        raise SystemExit(f"pydeps requirements not found: {requirements}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pydeps"
        # fmt: off
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--require-hashes", "--no-compile", "--only-binary=:all:",
            "--implementation", "cp",
            "--python-version", python, "--abi", "none", "--platform", "any",
            "--target", str(folder), "-r", str(requirements),
        ]
        # fmt: on
        # fixed argv: this interpreter's pip, paths we chose
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise SystemExit(
                f"pydeps: pip could not install {requirements} as pure-Python wheels for "
                f"Python {python}:\n{done.stderr.strip()[-2000:]}"
            )
        paths = [
            path
            for path in sorted(folder.rglob("*"))
            # bin/: console scripts (jp.py) nobody runs; caches are the host Python's
            if not {"__pycache__"}.intersection(path.parts)
            and path.relative_to(folder).parts[0] != "bin"
        ]
        # gzip without a name or time in its header: the same files give the same bytes
        with (
            target.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
            tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            for path in paths:
                _tar_add(tar, path, path.relative_to(folder).as_posix())
    return target


def build(
    entry: Path,
    jar: Path,
    out: Path,
    requirements: Path = DEFAULT_REQUIREMENTS,
    python: str | None = None,
) -> dict[str, Path]:
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
        "pydeps.tar.gz": out / "pydeps.tar.gz",
    }
    shutil.copyfile(entry, artifacts[entry.name])
    build_py_files(entry, artifacts["videogen.zip"])
    shutil.copyfile(jar.resolve(), artifacts["postgresql.jar"])  # the symlink's target
    build_pydeps(requirements, artifacts["pydeps.tar.gz"], python or release_python())
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
    parser.add_argument(
        "--requirements", type=Path, default=DEFAULT_REQUIREMENTS, help="what pydeps holds"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "emr")
    parser.add_argument("--build-only", action="store_true", help="build, do not upload")
    args = parser.parse_args(argv)

    artifacts = build(args.entry, args.jdbc_jar, args.out, args.requirements)
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
