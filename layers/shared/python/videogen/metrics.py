"""Business and operations metrics as CloudWatch embedded metric format (EMF) records.

One JSON line on stdout per event; in Lambda, CloudWatch Logs turns each into metric data
points, with no API call and no extra dependency (no Powertools, no boto3). Format:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
— a root object with `_aws: {Timestamp (ms), CloudWatchMetrics: [{Namespace, Dimensions:
[[keys]], Metrics: [{Name, Unit}]}]}`, every dimension key a string member of the root and
every metric name a number member of the root.

Dimensions are low-cardinality only (model, reason, outcome): each distinct combination is
a billed custom metric. Ids (job, request, function) go in the same record as plain
members, where Logs Insights finds them but CloudWatch makes no metric of them.

The names below are the contract with `infra/resources.yml` (dashboard and alarms read
them; tests/deploy/test_template.py checks both ways).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any, Literal

from videogen import logs

NAMESPACE = "VideoGen"  # the default; deployed as VideoGen/<stage> (METRICS_NAMESPACE)

# Metric names
SUBMISSION_ACCEPTED = "SubmissionAccepted"
SUBMISSION_REFUSED = "SubmissionRefused"
ESTIMATED_SPEND_USD = "EstimatedSpendUsd"
WEBHOOK_OUTCOME = "WebhookOutcome"
COPY_SUCCEEDED = "CopySucceeded"
COPY_FAILED = "CopyFailed"
COPY_LATENCY_MS = "CopyLatencyMs"
RECONCILE_RESULT = "ReconcileResult"
KPI_RUN_SKIPPED = "KpiRunSkipped"
ADMIN_JOB_ACTION = "AdminJobAction"
RETENTION_DELETED = "RetentionDeleted"
RETENTION_FAILED = "RetentionFailed"
SCHOOL_BUDGET_USED_PERCENT = "SchoolBudgetUsedPercent"

METRIC_NAMES = (
    SUBMISSION_ACCEPTED,
    SUBMISSION_REFUSED,
    ESTIMATED_SPEND_USD,
    WEBHOOK_OUTCOME,
    COPY_SUCCEEDED,
    COPY_FAILED,
    COPY_LATENCY_MS,
    RECONCILE_RESULT,
    KPI_RUN_SKIPPED,
    ADMIN_JOB_ACTION,
    RETENTION_DELETED,
    RETENTION_FAILED,
    SCHOOL_BUDGET_USED_PERCENT,
)

# Dimension keys
MODEL = "Model"
REASON = "Reason"
OUTCOME = "Outcome"
RESULT = "Result"
ACTION = "Action"
LEVEL = "Level"
BUDGET_LEVELS = ("80", "100")  # values of LEVEL: the thresholds of budgets/service.py

Unit = Literal["Count", "Milliseconds", "None"]
_lock = threading.Lock()  # one whole line at a time, whatever thread emits


def emit(
    values: Mapping[str, tuple[float, Unit]],
    dimensions: Mapping[str, str] | None = None,
    **properties: Any,
) -> dict[str, Any]:
    """Writes one EMF record: `values` maps metric name -> (value, unit), all under the same
    dimensions; `properties` (and the log context: function, request ids, job id) ride along
    unindexed. Returns the record written."""
    dims = dict(dimensions or {})
    record: dict[str, Any] = {k: v for k, v in logs.current().items() if v is not None}
    record.update({k: v for k, v in properties.items() if v is not None})
    record.update(dims)
    record.update({name: value for name, (value, _) in values.items()})
    from videogen.settings import get_settings  # already loaded by every function using it

    record["_aws"] = {
        "Timestamp": int(time.time() * 1000),
        "CloudWatchMetrics": [
            {
                "Namespace": get_settings().metrics_namespace,
                "Dimensions": [list(dims)],
                "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in values.items()],
            }
        ],
    }
    line = json.dumps(record, default=str, separators=(",", ":"))
    with _lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    return record


# --- the events -----------------------------------------------------------------------


def submission_accepted(model: str, estimated_cost_usd: float) -> None:
    """A new job handed to fal (or whose hand-over is unconfirmed: it may run and be billed)."""
    emit(
        {SUBMISSION_ACCEPTED: (1, "Count"), ESTIMATED_SPEND_USD: (estimated_cost_usd, "None")},
        {MODEL: model},
    )


def submission_refused(reason: str, **properties: Any) -> None:
    """A submission (or retry) refused; `reason` is the error code the client got."""
    emit({SUBMISSION_REFUSED: (1, "Count")}, {REASON: reason}, **properties)


def webhook_outcome(outcome: str, **properties: Any) -> None:
    """What a fal delivery did: the recorder's outcome, or why it was rejected."""
    emit({WEBHOOK_OUTCOME: (1, "Count")}, {OUTCOME: outcome}, **properties)


def copy_succeeded(latency_ms: float | None) -> None:
    """A video stored; latency from the webhook's recording of the outcome to now."""
    values: dict[str, tuple[float, Unit]] = {COPY_SUCCEEDED: (1, "Count")}
    if latency_ms is not None:
        values[COPY_LATENCY_MS] = (round(latency_ms, 1), "Milliseconds")
    emit(values)


def copy_failed(reason: Literal["permanent", "transient", "exhausted"], code: str) -> None:
    """A copy that failed: for good (job failed, refunded), for now (retried), or for the
    last time (to the dead-letter queue). The error code rides along."""
    emit({COPY_FAILED: (1, "Count")}, {REASON: reason}, code=code)


def reconcile_result(result: str, **properties: Any) -> None:
    """What reconciliation did with one stale job (the categories `Reconciler.run` counts)."""
    emit({RECONCILE_RESULT: (1, "Count")}, {RESULT: result}, **properties)


def kpi_run_skipped(reason: Literal["artifacts_missing"], **properties: Any) -> None:
    """A scheduled KPI run not started (e.g. the job's artifacts are not uploaded yet)."""
    emit({KPI_RUN_SKIPPED: (1, "Count")}, {REASON: reason}, **properties)


def admin_job_action(action: Literal["fail", "recheck"], **properties: Any) -> None:
    """An admin acted on a stuck job (a replayed request is not counted again); what it
    did (`outcome`) and what fal answered ride along."""
    emit({ADMIN_JOB_ACTION: (1, "Count")}, {ACTION: action}, **properties)


def retention_run(deleted: int, failed: int, **properties: Any) -> None:
    """One retention run: videos deleted, and those storage refused (kept for the next
    run). No dimension: which schools is in the run's log line, not in a metric."""
    emit({RETENTION_DELETED: (deleted, "Count"), RETENTION_FAILED: (failed, "Count")}, **properties)


def school_budget_used(percent: float, *, level: int, **properties: Any) -> None:
    """A reservation took a school past `level` (80 or 100) % of its monthly budget. The
    dimension is the level, not the school (a metric per school would be billed per school);
    the school id rides along for Logs Insights."""
    emit(
        {SCHOOL_BUDGET_USED_PERCENT: (round(percent, 2), "None")}, {LEVEL: str(level)}, **properties
    )
