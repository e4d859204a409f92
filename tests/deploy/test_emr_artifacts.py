"""`make emr-artifacts`: the KPI job's entry script, code zip and JDBC jar, uploaded to S3."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from infra import emr_artifacts

REGION = "eu-west-3"


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


def test_build(sources: tuple[Path, Path], tmp_path: Path) -> None:
    entry, jar = sources
    built = emr_artifacts.build(entry, jar, tmp_path / "out")
    assert set(built) == {"kpi_job.py", "videogen.zip", "postgresql.jar", "manifest.json"}
    with zipfile.ZipFile(built["videogen.zip"]) as archive:
        members = archive.namelist()
    assert "videogen/__init__.py" in members
    assert "videogen/settings.py" in members
    assert "kpi_io.py" in members, "sibling modules travel in --py-files"
    assert "kpi_job.py" not in members, "the entry script is the entryPoint, not a py-file"
    assert not any(m.startswith("videogen/local/") or "__pycache__" in m for m in members)
    manifest = json.loads(built["manifest.json"].read_text())
    assert manifest["postgresql.jar"]["sha256"] == hashlib.sha256(jar.read_bytes()).hexdigest()


def test_build_is_reproducible(sources: tuple[Path, Path], tmp_path: Path) -> None:
    entry, jar = sources
    first = emr_artifacts.build(entry, jar, tmp_path / "a")["videogen.zip"].read_bytes()
    second = emr_artifacts.build(entry, jar, tmp_path / "b")["videogen.zip"].read_bytes()
    assert first == second


def test_build_names_what_is_missing(sources: tuple[Path, Path], tmp_path: Path) -> None:
    entry, jar = sources
    with pytest.raises(SystemExit, match="libpostgresql-jdbc-java"):
        emr_artifacts.build(entry, tmp_path / "nope.jar", tmp_path / "out")
    with pytest.raises(SystemExit, match="entry script"):
        emr_artifacts.build(tmp_path / "nope.py", jar, tmp_path / "out")


def test_upload_to_a_named_bucket(aws: None, sources: tuple[Path, Path], tmp_path: Path) -> None:
    entry, jar = sources
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="art", CreateBucketConfiguration={"LocationConstraint": REGION})
    uris = emr_artifacts.main(
        [
            "--bucket", "art", "--region", REGION, "--entry", str(entry),
            "--jdbc-jar", str(jar), "--out", str(tmp_path / "out"),
        ]
    )  # fmt: skip
    assert sorted(uris) == [
        "s3://art/emr/kpi_job.py",
        "s3://art/emr/manifest.json",
        "s3://art/emr/postgresql.jar",
        "s3://art/emr/videogen.zip",
    ]
    head = s3.head_object(Bucket="art", Key="emr/postgresql.jar")
    assert head["ServerSideEncryption"] == "AES256"
    body = s3.get_object(Bucket="art", Key="emr/kpi_job.py")["Body"].read()
    assert body == entry.read_bytes()


def test_upload_finds_the_bucket_from_the_stage_stack(
    aws: None, sources: tuple[Path, Path], tmp_path: Path
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
        ]
    )  # fmt: skip
    bucket = uris[0].split("/")[2]
    keys = {
        o["Key"]
        for o in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=bucket)["Contents"]
    }
    assert keys == {"emr/kpi_job.py", "emr/videogen.zip", "emr/postgresql.jar", "emr/manifest.json"}


def test_default_entry_script_and_jar_are_the_projects() -> None:
    assert Path(__file__).resolve().parents[2] / "emr" / "kpi_job.py" == emr_artifacts.DEFAULT_ENTRY
    assert Path("/usr/share/java/postgresql.jar") == emr_artifacts.DEFAULT_JAR
