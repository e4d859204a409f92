"""The KPI job starter port: start a run for a date window, ask for its state.

Adapters: `EmrServerlessRunner` (production, boto3 `emr-serverless`) and `LocalKpiRunner`
(runs `emr/kpi_job.py` in a subprocess against the local database). Both pass the job the
same arguments (`job_arguments`). Chosen by `KPI_RUNNER_BACKEND` (default from `APP_ENV`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Protocol
from zoneinfo import ZoneInfo

#: States a run reports (EMR Serverless' own names; the local runner uses a subset).
FINAL_STATES = frozenset({"SUCCESS", "FAILED", "CANCELLED"})


@dataclass(frozen=True)
class KpiRun:
    run_id: str
    state: str
    start: date | None = None
    end: date | None = None
    detail: str | None = None


class KpiRunner(Protocol):
    def start(self, start: date, end: date, *, reason: str) -> KpiRun: ...

    def get(self, run_id: str) -> KpiRun: ...

    def missing_artifacts(self) -> list[str]:
        """What the job needs but cannot be found (its entry script, its JDBC driver), so a
        scheduled run is skipped with a warning instead of failing on EMR: empty when ready."""
        ...


def job_arguments(start: date, end: date, *, output_path: str, time_zone: str) -> list[str]:
    """The job's window and outputs; the database comes separately (env or SSM)."""
    return [
        "--start-date",
        start.isoformat(),
        "--end-date",
        end.isoformat(),
        "--output-path",
        output_path,
        "--time-zone",
        time_zone,
    ]


def window_from_arguments(arguments: list[str]) -> tuple[date | None, date | None]:
    """The window back from a run's arguments (what EMR reports about a run)."""
    found: dict[str, date] = {}
    for flag, value in pairwise(arguments):
        if flag in ("--start-date", "--end-date"):
            try:
                found[flag] = date.fromisoformat(value)
            except ValueError:
                continue
    return found.get("--start-date"), found.get("--end-date")


def today(time_zone: str) -> date:
    return datetime.now(ZoneInfo(time_zone)).date()


def daily_window(time_zone: str) -> tuple[date, date]:
    """Yesterday and today: today's partial numbers, and yesterday's late finishes."""
    end = today(time_zone)
    return end - timedelta(days=1), end
