"""The Lambda exec wrapper loads each function's secrets from SSM at cold start."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from infra import secrets_wrapper

WRAPPER = Path(secrets_wrapper.__file__)
SPEC = "DATABASE_URL=/videogen/t/database-url, FAL_KEY=/videogen/t/fal-key,JWT?=/videogen/t/jwt"


def test_parse_spec() -> None:
    assert secrets_wrapper.parse_spec(SPEC) == [
        ("DATABASE_URL", "/videogen/t/database-url", True),
        ("FAL_KEY", "/videogen/t/fal-key", True),
        ("JWT", "/videogen/t/jwt", False),
    ]
    assert secrets_wrapper.parse_spec("") == []
    for bad in ("DATABASE_URL", "=/x", "X=relative/path"):
        with pytest.raises(ValueError, match="malformed"):
            secrets_wrapper.parse_spec(bad)


@pytest.fixture
def ssm() -> Iterator[object]:
    with mock_aws():
        client = boto3.client("ssm", region_name="eu-west-3")
        client.put_parameter(
            Name="/videogen/t/database-url", Value="postgresql://u:p@h/db", Type="SecureString"
        )
        client.put_parameter(
            Name="/videogen/t/fal-key", Value="fal-123", Type="SecureString", Overwrite=True
        )
        yield client


def test_load_reads_decrypted_values_and_skips_missing_optional(ssm: object) -> None:
    loaded = secrets_wrapper.load({"VIDEOGEN_SSM_SECRETS": SPEC}, client=ssm)
    assert loaded == {"DATABASE_URL": "postgresql://u:p@h/db", "FAL_KEY": "fal-123"}


def test_load_keeps_variables_already_set(ssm: object) -> None:
    loaded = secrets_wrapper.load({"VIDEOGEN_SSM_SECRETS": SPEC, "FAL_KEY": "local"}, client=ssm)
    assert loaded == {"DATABASE_URL": "postgresql://u:p@h/db"}


def test_load_names_a_missing_required_parameter(ssm: object) -> None:
    spec = SPEC + ",SUPABASE_ANON_KEY=/videogen/t/anon"
    with pytest.raises(LookupError, match=r"SUPABASE_ANON_KEY \(/videogen/t/anon\)"):
        secrets_wrapper.load({"VIDEOGEN_SSM_SECRETS": spec}, client=ssm)


def test_load_batches_more_than_ten_names(ssm: object) -> None:
    names = [f"V{i}=/videogen/t/p{i}" for i in range(23)]
    for i in range(23):
        ssm.put_parameter(
            Name=f"/videogen/t/p{i}", Value=f"v{i}", Type="SecureString", Overwrite=True
        )
    loaded = secrets_wrapper.load({"VIDEOGEN_SSM_SECRETS": ",".join(names)}, client=ssm)
    assert loaded == {f"V{i}": f"v{i}" for i in range(23)}


@pytest.fixture
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = boto3.client(
        "ssm",
        region_name="eu-west-3",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.put_parameter(
        Name="/videogen/t/database-url", Value="pg://secret", Type="SecureString", Overwrite=True
    )
    client.put_parameter(
        Name="/videogen/t/fal-key", Value="fal-secret", Type="SecureString", Overwrite=True
    )
    yield url
    server.stop()


def run_wrapped(url: str, spec: str) -> subprocess.CompletedProcess[str]:
    """Runs the wrapper as Lambda does: `wrapper <runtime command...>`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL"))}
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="eu-west-3",
        VIDEOGEN_SSM_SECRETS=spec,
    )
    env.pop("FAL_KEY", None)
    runtime = "import os; print(os.environ['DATABASE_URL'], os.environ['FAL_KEY'])"
    return subprocess.run(
        [sys.executable, str(WRAPPER), sys.executable, "-c", runtime],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_wrapper_execs_the_runtime_with_the_secrets(moto_server: str) -> None:
    result = run_wrapped(moto_server, SPEC)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["pg://secret", "fal-secret"]


def test_wrapper_stops_the_cold_start_when_a_secret_is_missing(moto_server: str) -> None:
    result = run_wrapped(moto_server, SPEC + ",ANON=/videogen/t/nope")
    assert result.returncode == 1
    assert "ANON (/videogen/t/nope)" in result.stderr
    assert result.stdout == "", "the runtime never started"
