"""Admin routes: a school admin (403 `admin_only` otherwise) sees and acts on their own
school's jobs and users only, another school's being not found (404); an operator on every
school's (docs/architecture.md, "Tenancy")."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from videogen.admin.deps import get_job_actions
from videogen.admin.jobs import JobActions
from videogen.admin.models import (
    AdminJobPage,
    JobActionOut,
    JobFail,
    UserOut,
    UserPage,
    UserUpdate,
)
from videogen.admin.service import list_jobs, list_users, update_user
from videogen.auth.deps import SchoolAdmin
from videogen.auth.members import Role
from videogen.db import Database, get_database
from videogen.generations.deps import get_generation_service
from videogen.generations.models import JobStatus
from videogen.generations.service import GenerationService
from videogen.schools.deps import SchoolParam

router = APIRouter(prefix="/admin", tags=["admin"])
Db = Annotated[Database, Depends(get_database)]
Actions = Annotated[JobActions, Depends(get_job_actions)]


@router.get(
    "/jobs",
    response_model=AdminJobPage,
    summary="The school's jobs (operators: every school's), newest first",
)
def admin_jobs(
    admin: SchoolAdmin,
    db: Db,
    service: Annotated[GenerationService, Depends(get_generation_service)],
    status_filter: Annotated[JobStatus | None, Query(alias="status")] = None,
    user_id: UUID | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> AdminJobPage:
    return list_jobs(
        service, db, admin, user_id=user_id, status=status_filter, cursor=cursor, limit=limit
    )


@router.post(
    "/jobs/{job_id}/fail",
    response_model=JobActionOut,
    summary="Fail an unfinished job with a reason and release its budget reservation",
    description="Asks fal to cancel its request, ends the job `failed` (error_code"
    " `failed_by_admin`, error: the reason), releases its budget reservation once, records who,"
    " when and why. The same request again (same reason) answers the recorded action"
    " (`replayed`); a job already finished otherwise is 409 `job_finished`.",
)
def admin_fail_job(job_id: UUID, body: JobFail, admin: SchoolAdmin, jobs: Actions) -> JobActionOut:
    return jobs.fail(admin.id, job_id, body.reason, school=admin.scope)


@router.post(
    "/jobs/{job_id}/recheck",
    response_model=JobActionOut,
    summary="Ask fal about an unfinished job now, and settle it if fal has finished it",
    description="fal's queue status, settled as its webhook would have (completed: the"
    " video is copied; failed: the job fails and is refunded). fal unreachable: 503"
    " `provider_unavailable`, nothing changed.",
)
def admin_recheck_job(job_id: UUID, admin: SchoolAdmin, jobs: Actions) -> JobActionOut:
    return jobs.recheck(admin.id, job_id, school=admin.scope)


@router.get(
    "/users",
    response_model=UserPage,
    summary="The school's users (operators: every user) with role, daily caps and today's use",
)
def admin_users(
    admin: SchoolAdmin,
    db: Db,
    q: Annotated[str | None, Query(max_length=100, description="Email or name contains")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    role: Annotated[list[Role] | None, Query(description="Only these roles (repeatable)")] = None,
    school_id: SchoolParam = None,
) -> UserPage:
    return list_users(db, admin, q, limit, offset, roles=role, school_id=school_id)


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    summary="Change role or daily cap overrides (operators: also the school)",
    description="A school admin sets student, teacher or admin within their school;"
    " `operator` and `school_id` are an operator's (403 `operator_only`).",
)
def admin_update_user(user_id: UUID, body: UserUpdate, admin: SchoolAdmin, db: Db) -> UserOut:
    return update_user(db, admin, user_id, body)
