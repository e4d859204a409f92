"""Production KPI runner: EMR Serverless job runs, started and read with boto3.

boto3 is imported on first use only: `GET /admin/kpis` never needs it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from videogen.kpis.errors import KpiRunnerUnavailable, KpiRunNotFound
from videogen.kpis.runner import KpiRun, job_arguments, window_from_arguments
from videogen.settings import Settings

# Object names under EMR_ARTIFACTS_URI, as infra/emr_artifacts.py uploads them.
ENTRY_POINT = "kpi_job.py"
JDBC_JAR = "postgresql.jar"


@dataclass
class EmrServerlessRunner:
    application_id: str
    execution_role_arn: str
    artifacts_uri: str
    output_uri: str
    database_url_ssm_parameter: str
    database_ca_ssm_parameter: str | None = None
    time_zone: str = "UTC"
    log_uri: str | None = None
    spark_sizing: str = ""
    _client: Any = field(default=None, repr=False)
    _s3: Any = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> EmrServerlessRunner:
        assert settings.emr_application_id and settings.emr_execution_role_arn  # required
        assert settings.emr_artifacts_uri and settings.emr_output_uri
        assert settings.emr_database_url_ssm_parameter and settings.emr_database_ca_ssm_parameter
        return cls(
            application_id=settings.emr_application_id,
            execution_role_arn=settings.emr_execution_role_arn,
            artifacts_uri=settings.emr_artifacts_uri.rstrip("/"),
            output_uri=settings.emr_output_uri,
            database_url_ssm_parameter=settings.emr_database_url_ssm_parameter,
            database_ca_ssm_parameter=settings.emr_database_ca_ssm_parameter,
            time_zone=settings.kpi_time_zone,
            log_uri=settings.emr_log_uri,
            spark_sizing=settings.emr_spark_sizing,
        )

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("emr-serverless")
        return self._client

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3")
        return self._s3

    def required_artifacts(self) -> list[str]:
        """The objects a run cannot start without: `entryPoint` and the `--jars` driver."""
        return [f"{self.artifacts_uri}/{ENTRY_POINT}", f"{self.artifacts_uri}/{JDBC_JAR}"]

    def missing_artifacts(self) -> list[str]:
        """HeadObject on each required artifact. Both 404 and 403 mean missing: the role may
        read these two keys only (no s3:ListBucket), and S3 answers 403 for a missing key to a
        caller that may not list the bucket."""
        from botocore.exceptions import ClientError

        missing = []
        for uri in self.required_artifacts():
            bucket, _, key = uri.removeprefix("s3://").partition("/")
            try:
                self.s3.head_object(Bucket=bucket, Key=key)
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code not in ("404", "403", "NoSuchKey", "NoSuchBucket", "AccessDenied"):
                    raise KpiRunnerUnavailable(details={"error": code}) from exc
                missing.append(uri)
            except Exception as exc:
                raise KpiRunnerUnavailable(details={"error": type(exc).__name__}) from exc
        return missing

    def job_driver(self, start: date, end: date) -> dict[str, Any]:
        arguments = job_arguments(start, end, output_path=self.output_uri, time_zone=self.time_zone)
        arguments += ["--jdbc-url-ssm-parameter", self.database_url_ssm_parameter]
        if self.database_ca_ssm_parameter:
            # sslmode=verify-full: the job trusts this CA (PEM) on the driver and executors
            arguments += ["--database-ca-ssm-parameter", self.database_ca_ssm_parameter]
        # pydeps.tar.gz (boto3 & co., requirements/emr-job.txt) is unpacked as ./pydeps in the
        # driver's working directory before the driver's Python starts, as AWS's samples do
        # with `spark.archives=…#environment` and `PYSPARK_PYTHON=./environment/bin/python`:
        # https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/using-python-libraries.html
        # https://github.com/aws-samples/emr-serverless-samples/tree/main/examples/pyspark/dependencies
        # Only the driver imports boto3 (the SSM read), so executors get no PYTHONPATH.
        submit = (
            f"--jars {self.artifacts_uri}/{JDBC_JAR} "
            f"--py-files {self.artifacts_uri}/videogen.zip "
            f"--conf spark.archives={self.artifacts_uri}/pydeps.tar.gz#pydeps "
            "--conf spark.emr-serverless.driverEnv.PYTHONPATH=./pydeps "
            "--conf spark.sql.session.timeZone=UTC "
            f"{self.spark_sizing}"
        ).strip()
        return {
            "sparkSubmit": {
                "entryPoint": f"{self.artifacts_uri}/{ENTRY_POINT}",
                "entryPointArguments": arguments,
                "sparkSubmitParameters": submit,
            }
        }

    def start(self, start: date, end: date, *, reason: str) -> KpiRun:
        request: dict[str, Any] = {
            "applicationId": self.application_id,
            "executionRoleArn": self.execution_role_arn,
            "name": f"kpis-{start.isoformat()}-{end.isoformat()}-{reason}",
            "clientToken": str(uuid.uuid4()),
            "jobDriver": self.job_driver(start, end),
            "tags": {"videogen": "kpis", "reason": reason},
        }
        if self.log_uri:
            request["configurationOverrides"] = {
                "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": self.log_uri}}
            }
        try:
            response = self.client.start_job_run(**request)
        except Exception as exc:
            raise KpiRunnerUnavailable(details={"error": type(exc).__name__}) from exc
        return KpiRun(response["jobRunId"], "SUBMITTED", start, end)

    def get(self, run_id: str) -> KpiRun:
        from botocore.exceptions import ClientError

        try:
            run = self.client.get_job_run(applicationId=self.application_id, jobRunId=run_id)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("ResourceNotFoundException", "ValidationException"):
                raise KpiRunNotFound() from exc
            raise KpiRunnerUnavailable(details={"error": code}) from exc
        except Exception as exc:
            raise KpiRunnerUnavailable(details={"error": type(exc).__name__}) from exc
        job = run["jobRun"]
        arguments = job.get("jobDriver", {}).get("sparkSubmit", {}).get("entryPointArguments", [])
        start, end = window_from_arguments(list(arguments))
        return KpiRun(run_id, job["state"], start, end, job.get("stateDetails") or None)
