"""Local KPI runner: the same job script, run in a subprocess against the local database.

Each run has a state file (`<KPI_RUNS_DIR>/<id>.json`) and a log; `videogen.kpis.local_run`
wraps the job, so the state survives the API process (and `make run` restarts).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import SecretStr

from videogen.db.migrations import repo_root
from videogen.kpis.errors import KpiRunNotFound
from videogen.kpis.runner import KpiRun, job_arguments
from videogen.settings import Settings

RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


@dataclass
class LocalKpiRunner:
    database_url: str
    runs_dir: Path
    output_path: str
    time_zone: str = "UTC"
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    job_script: Path = repo_root() / "emr" / "kpi_job.py"

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalKpiRunner:
        assert settings.database_url is not None
        return cls(
            database_url=settings.database_url.get_secret_value(),
            runs_dir=Path(settings.kpi_runs_dir).resolve(),
            output_path=settings.kpi_output_path,
            time_zone=settings.kpi_time_zone,
            s3_endpoint_url=settings.kpi_s3_endpoint_url,
            s3_access_key_id=_secret(settings.kpi_s3_access_key_id),
            s3_secret_access_key=_secret(settings.kpi_s3_secret_access_key),
        )

    def _state_file(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.json"

    def start(self, start: date, end: date, *, reason: str) -> KpiRun:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        run_id = uuid.uuid4().hex
        state_file = self._state_file(run_id)
        state = {"state": "PENDING", "start": start.isoformat(), "end": end.isoformat()}
        state_file.write_text(json.dumps({**state, "reason": reason}))
        output = self.output_path
        if "://" not in output:
            output = str(Path(output).resolve())
        command = [
            sys.executable,
            str(self.job_script),
            *job_arguments(start, end, output_path=output, time_zone=self.time_zone),
        ]
        env = {**os.environ, "KPI_JDBC_URL": self.database_url}  # not on the command line
        if self.s3_endpoint_url:
            env["KPI_S3_ENDPOINT_URL"] = self.s3_endpoint_url
        if self.s3_access_key_id and self.s3_secret_access_key:
            # the job's boto3 reads the standard variables (never on the command line)
            env["AWS_ACCESS_KEY_ID"] = self.s3_access_key_id
            env["AWS_SECRET_ACCESS_KEY"] = self.s3_secret_access_key
            env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        with open(self.runs_dir / f"{run_id}.log", "ab") as log:
            subprocess.Popen(  # noqa: S603 - our own interpreter and script
                [sys.executable, "-m", "videogen.kpis.local_run", str(state_file), "--", *command],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        return KpiRun(run_id, "PENDING", start, end)

    def missing_artifacts(self) -> list[str]:
        """The job script is run from the checkout; the JDBC driver is Spark's own setting."""
        return [] if self.job_script.is_file() else [str(self.job_script)]

    def get(self, run_id: str) -> KpiRun:
        state_file = self._state_file(run_id)
        if not RUN_ID.match(run_id) or not state_file.exists():
            raise KpiRunNotFound()
        state = json.loads(state_file.read_text())
        return KpiRun(
            run_id,
            state["state"],
            date.fromisoformat(state["start"]),
            date.fromisoformat(state["end"]),
            state.get("detail"),
        )
