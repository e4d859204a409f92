"""KPI errors: one class per thing an admin can get wrong, each with its own code."""

from __future__ import annotations

from videogen.errors import AppError, NotFound, ServiceUnavailable


class InvalidRange(AppError):
    status_code = 422
    code = "invalid_range"
    message = "'from' must not be after 'to'."


class RangeTooLong(AppError):
    status_code = 422
    code = "range_too_long"
    message = "The date range is too long."


class DateInFuture(AppError):
    status_code = 422
    code = "date_in_future"
    message = "KPIs cannot be computed for days that have not started."


class KpiRunNotFound(NotFound):
    code = "kpi_run_not_found"
    message = "No KPI run has this id."


class KpiRunnerUnavailable(ServiceUnavailable):
    code = "kpi_runner_unavailable"
    message = "The KPI job service is unavailable; try again shortly."
