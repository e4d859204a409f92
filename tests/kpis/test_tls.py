"""The job's database connections with verified TLS, as production has them: the URL carries
`sslmode=verify-full`, the CA is an SSM parameter (`--database-ca-ssm-parameter`), and the
server is the pooler stand-in terminating TLS with a certificate from a throwaway CA.

Each case runs the whole job (schema read on the driver, the parallel read's slices, the
upsert), so every connection it opens has to pass the check. The EMR-runtime test runs the
same path with spark-submit on the release's Spark and Python.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import kpi_job
import pytest

from tests.kpis.conftest import TlsDatabase, add_job, at, make_user
from tests.support.logs import logged
from tests.support.tls import make_ca
from videogen.kpis.jdbc import SINGLE_CERT_FACTORY, to_jdbc, trusting

pytestmark = pytest.mark.spark

URL_PARAMETER = "/videogen/test/database-url"
CA_PARAMETER = "/videogen/test/database-ca-cert"
WINDOW = ["--start-date", "2026-11-01", "--end-date", "2026-11-01"]


def put(url: str, ca_pem: str) -> list[str]:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=URL_PARAMETER, Value=url, Type="SecureString", Overwrite=True)
    ssm.put_parameter(Name=CA_PARAMETER, Value=ca_pem, Type="String", Overwrite=True)
    return [
        *WINDOW,
        "--jdbc-url-ssm-parameter",
        URL_PARAMETER,
        "--database-ca-ssm-parameter",
        CA_PARAMETER,
    ]


def failed_run(spark: Any, args: list[str]) -> dict[str, Any]:
    with logged("videogen.kpis.job") as records:
        assert kpi_job.main(args, spark) == 1
    (failure,) = [r for r in records if getattr(r, "event", None) == "kpi_run_failed"]
    return vars(failure)


@pytest.fixture
def one_job(db) -> None:
    add_job(db, user_id=make_user(db), created_at=at(1), duration=10)


def test_the_job_verifies_the_server_against_the_ca_from_ssm(
    spark: Any, db, one_job, aws: None, tls_database: Callable[..., TlsDatabase]
) -> None:
    tls = tls_database()
    before = len(tls.pooler.startups)
    assert kpi_job.main(put(tls.url, tls.ca_pem), spark) == 0
    assert db.execute("select jobs_total from public.kpi_spark_daily").fetchall() == [(1,)]
    # schema + one per read slice + the upsert: every connection went through the TLS relay
    assert len(tls.pooler.startups) - before >= 3


def test_without_the_ca_the_same_url_fails_as_before(
    spark: Any, one_job, aws: None, tls_database: Callable[..., TlsDatabase]
) -> None:
    """The gap this closes: pgjdbc alone looks for ~/.postgresql/root.crt, which no EMR node
    has (https://jdbc.postgresql.org/documentation/ssl/)."""
    tls = tls_database()
    args = put(tls.url, tls.ca_pem)[:-2]  # the URL only
    failure = failed_run(spark, args)
    assert failure["cause"] == (
        "org.postgresql.util.PSQLException: Could not open SSL root certificate file "
        f"{Path.home() / '.postgresql' / 'root.crt'}."
    )


def test_a_server_certificate_from_another_ca_fails_the_run(
    spark: Any, db, one_job, aws: None, tls_database: Callable[..., TlsDatabase]
) -> None:
    tls = tls_database()
    failure = failed_run(spark, put(tls.url, make_ca("Someone Else's CA").cert_pem))
    assert failure["cause"].startswith("org.postgresql.util.PSQLException: SSL error"), failure
    assert "PKIX" in failure["cause"] or "certification path" in failure["cause"]
    assert db.execute("select count(*) from public.kpi_spark_daily").fetchone() == (0,)


def test_a_certificate_for_another_host_fails_the_run(
    spark: Any, one_job, aws: None, tls_database: Callable[..., TlsDatabase]
) -> None:
    """verify-full also checks the name: the right CA, but a certificate for `localhost`
    while the URL says 127.0.0.1. pgjdbc checks the host after the handshake whatever the
    socket factory (MakeSSL.verifyPeerName)."""
    tls = tls_database(("localhost",))
    failure = failed_run(spark, put(tls.url, tls.ca_pem))
    assert "hostname 127.0.0.1 could not be verified" in failure["cause"], failure["cause"]


def test_a_ca_parameter_that_is_not_one_pem_certificate_fails_clearly(
    spark: Any, one_job, aws: None, tls_database: Callable[..., TlsDatabase]
) -> None:
    tls = tls_database()
    bundle = tls.ca_pem + make_ca().cert_pem
    failure = failed_run(spark, put(tls.url, bundle))
    assert failure["cause"] == (
        "ValueError: the database CA must be exactly one PEM certificate "
        "(-----BEGIN CERTIFICATE----- …), found 2 certificate block(s)"
    )
    failure = failed_run(spark, put(tls.url, "not a certificate"))
    assert "found 0 certificate block(s)" in failure["cause"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u@db.example/postgres", "sslmode is unset: use sslmode=verify-full"),
        ("postgresql://u@db.example/postgres?sslmode=require", "sslmode is require"),
        (
            "postgresql://u@db.example/postgres?sslmode=verify-full&sslrootcert=/ca.pem",
            "names its own sslrootcert/sslfactory and a CA certificate was given: keep one",
        ),
    ],
)
def test_a_ca_with_a_url_that_would_not_use_it_is_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        trusting(to_jdbc(url), make_ca().cert_pem)


def test_the_ca_travels_as_connection_properties_not_in_the_url() -> None:
    ca = make_ca().cert_pem
    target = trusting(to_jdbc("postgresql://u:pw@db.example:6543/postgres?sslmode=verify-full"), ca)
    assert target.url == (
        "jdbc:postgresql://db.example:6543/postgres?sslmode=verify-full&prepareThreshold=0"
    )
    assert target.properties() == {
        "user": "u",
        "password": "pw",
        "sslfactory": SINGLE_CERT_FACTORY,
        "sslfactoryarg": ca.strip() + "\n",
    }
