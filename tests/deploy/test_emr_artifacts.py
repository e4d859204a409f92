"""`make emr-artifacts`: the KPI job's entry script, code zip, JDBC jar and pydeps, to S3.

Here pydeps is built from a one-package requirements file (quick); the real one
(requirements/emr-job.txt) is built and run on the release's Python in
tests/kpis/test_emr_runtime.py.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from infra import emr_artifacts

REGION = "eu-west-3"
ARTIFACTS = {"kpi_job.py", "videogen.zip", "postgresql.jar", "pydeps.tar.gz", "manifest.json"}
SIX_HASHES = (
    "--hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274 "
    "--hash=sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81"
)


@pytest.fixture
def requirements(tmp_path: Path) -> Path:
    """One small pure-Python wheel (six), so the build stays quick; a lock, with its hashes
    (copied from requirements/emr-job.lock: pip checks them)."""
    path = tmp_path / "emr-job.lock"
    path.write_text(f"six==1.17.0 {SIX_HASHES}\n")
    return path


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, Path]:
    """An entry script with a sibling module, and a stand-in jar (the real one is Debian's)."""
    emr = tmp_path / "emr"
    emr.mkdir()
    (emr / "kpi_job.py").write_text("import kpi_io\n")
    (emr / "kpi_io.py").write_text("X = 1\n")
    jar = tmp_path / "postgresql.jar"
    jar.write_bytes(b"PK\x03\x04 fake jar")
    return emr / "kpi_job.py", jar


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def test_build(sources: tuple[Path, Path], requirements: Path, tmp_path: Path) -> None:
    entry, jar = sources
    built = emr_artifacts.build(entry, jar, tmp_path / "out", requirements)
    assert set(built) == ARTIFACTS
    with zipfile.ZipFile(built["videogen.zip"]) as archive:
        members = archive.namelist()
    assert "videogen/__init__.py" in members
    assert "videogen/settings.py" in members
    assert "kpi_io.py" in members, "sibling modules travel in --py-files"
    assert "kpi_job.py" not in members, "the entry script is the entryPoint, not a py-file"
    assert not any(m.startswith("videogen/local/") or "__pycache__" in m for m in members)
    manifest = json.loads(built["manifest.json"].read_text())
    assert manifest["postgresql.jar"]["sha256"] == hashlib.sha256(jar.read_bytes()).hexdigest()
    pydeps = built["pydeps.tar.gz"].read_bytes()
    assert manifest["pydeps.tar.gz"]["sha256"] == hashlib.sha256(pydeps).hexdigest()


def test_pydeps_holds_the_packages_at_its_root(
    sources: tuple[Path, Path], requirements: Path, tmp_path: Path
) -> None:
    """`spark.archives=…#pydeps` unpacks the root as ./pydeps: PYTHONPATH=./pydeps finds six."""
    entry, jar = sources
    built = emr_artifacts.build(entry, jar, tmp_path / "out", requirements)
    with tarfile.open(built["pydeps.tar.gz"]) as archive:
        members = {m.name: m for m in archive.getmembers()}
    assert "six.py" in members
    assert "six-1.17.0.dist-info/METADATA" in members  # `pip check` reads it on the release Python
    assert not any("__pycache__" in name or name.startswith("bin/") for name in members)
    assert {(m.uid, m.gid, m.mtime) for m in members.values()} == {(0, 0, 1577836800)}


def test_build_is_reproducible(
    sources: tuple[Path, Path], requirements: Path, tmp_path: Path
) -> None:
    entry, jar = sources
    first = emr_artifacts.build(entry, jar, tmp_path / "a", requirements)
    second = emr_artifacts.build(entry, jar, tmp_path / "b", requirements)
    for name in ("videogen.zip", "pydeps.tar.gz"):
        assert first[name].read_bytes() == second[name].read_bytes(), name


def test_pydeps_refuses_a_package_without_a_pure_python_wheel(tmp_path: Path) -> None:
    """The build host is x86-64, EMR is ARM64: only `none-any` wheels are the same on both."""
    requirements = tmp_path / "binary.lock"
    # compiled wheels only (a hash from requirements/runtime.lock, so only the wheel is missing)
    requirements.write_text(
        "psycopg-binary==3.3.9 "
        "--hash=sha256:0793764fac48b5f0bf4d7154e38c60def4fa0cce16caa60b737f770bd29016ac\n"
    )
    with pytest.raises(SystemExit, match=r"pure-Python wheels for Python 3\.9"):
        emr_artifacts.build_pydeps(requirements, tmp_path / "pydeps.tar.gz", "3.9")


def test_pydeps_refuses_a_requirement_without_its_hash(tmp_path: Path) -> None:
    """pydeps installs from the lock with --require-hashes: an unhashed pin is not shipped."""
    requirements = tmp_path / "unhashed.txt"
    requirements.write_text("six==1.17.0\n")
    with pytest.raises(SystemExit, match="Hashes are required"):
        emr_artifacts.build_pydeps(requirements, tmp_path / "pydeps.tar.gz", "3.9")


def test_pydeps_refuses_a_wheel_whose_hash_is_not_the_locked_one(tmp_path: Path) -> None:
    requirements = tmp_path / "tampered.lock"
    requirements.write_text("six==1.17.0 --hash=sha256:" + "0" * 64 + "\n")
    with pytest.raises(SystemExit, match="DO NOT MATCH"):
        emr_artifacts.build_pydeps(requirements, tmp_path / "pydeps.tar.gz", "3.9")


def test_pydeps_names_a_missing_requirements_file(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="pydeps requirements not found"):
        emr_artifacts.build_pydeps(tmp_path / "nope.txt", tmp_path / "pydeps.tar.gz", "3.9")


def test_build_names_what_is_missing(sources: tuple[Path, Path], tmp_path: Path) -> None:
    entry, jar = sources
    with pytest.raises(SystemExit, match="libpostgresql-jdbc-java"):
        emr_artifacts.build(entry, tmp_path / "nope.jar", tmp_path / "out")
    with pytest.raises(SystemExit, match="entry script"):
        emr_artifacts.build(tmp_path / "nope.py", jar, tmp_path / "out")


def test_upload_to_a_named_bucket(
    aws: None, sources: tuple[Path, Path], requirements: Path, tmp_path: Path
) -> None:
    entry, jar = sources
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="art", CreateBucketConfiguration={"LocationConstraint": REGION})
    uris = emr_artifacts.main(
        [
            "--bucket", "art", "--region", REGION, "--entry", str(entry),
            "--jdbc-jar", str(jar), "--out", str(tmp_path / "out"),
            "--requirements", str(requirements),
        ]
    )  # fmt: skip
    assert sorted(uris) == [
        "s3://art/emr/kpi_job.py",
        "s3://art/emr/manifest.json",
        "s3://art/emr/postgresql.jar",
        "s3://art/emr/pydeps.tar.gz",
        "s3://art/emr/videogen.zip",
    ]
    head = s3.head_object(Bucket="art", Key="emr/postgresql.jar")
    assert head["ServerSideEncryption"] == "AES256"
    body = s3.get_object(Bucket="art", Key="emr/kpi_job.py")["Body"].read()
    assert body == entry.read_bytes()


def test_upload_finds_the_bucket_from_the_stage_stack(
    aws: None, sources: tuple[Path, Path], requirements: Path, tmp_path: Path
) -> None:
    entry, jar = sources
    template = {
        "Resources": {"ArtifactsBucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {"ArtifactsBucketName": {"Value": {"Ref": "ArtifactsBucket"}}},
    }
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(StackName="videogen-prod", TemplateBody=json.dumps(template))
    uris = emr_artifacts.main(
        [
            "--stage", "prod", "--region", REGION, "--entry", str(entry),
            "--jdbc-jar", str(jar), "--out", str(tmp_path / "out"),
            "--requirements", str(requirements),
        ]
    )  # fmt: skip
    bucket = uris[0].split("/")[2]
    keys = {
        o["Key"]
        for o in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=bucket)["Contents"]
    }
    assert keys == {f"emr/{name}" for name in ARTIFACTS}


def test_default_entry_script_and_jar_are_the_projects() -> None:
    assert Path(__file__).resolve().parents[2] / "emr" / "kpi_job.py" == emr_artifacts.DEFAULT_ENTRY
    assert Path("/usr/share/java/postgresql.jar") == emr_artifacts.DEFAULT_JAR
    assert emr_artifacts.DEFAULT_REQUIREMENTS.name == "emr-job.lock"
    assert emr_artifacts.release_python() == "3.9"  # emr/release.json (emr-7.9.0)
