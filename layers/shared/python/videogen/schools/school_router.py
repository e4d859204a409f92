"""School routes: operators manage schools (/admin/schools); a school's admin reads and
changes its settings (/school) and reads its activity (/school/activity). An operator names
the school with ?school_id= (default: their own); a school admin naming another school gets
404 `school_not_found`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from videogen.auth.deps import Operator, SchoolAdmin
from videogen.db import Database, get_database
from videogen.schools import school_service as service
from videogen.schools.deps import SchoolParam
from videogen.schools.school_models import (
    ActivityPage,
    SchoolCreate,
    SchoolOut,
    SchoolPage,
    SchoolUpdate,
)

router = APIRouter(tags=["schools"])
Db = Annotated[Database, Depends(get_database)]


@router.get("/admin/schools", response_model=SchoolPage, summary="Every school (operators)")
def list_schools(_: Operator, db: Db) -> SchoolPage:
    return service.list_schools(db)


@router.post(
    "/admin/schools",
    status_code=status.HTTP_201_CREATED,
    response_model=SchoolOut,
    summary="Create a school (operators)",
)
def create_school(body: SchoolCreate, operator: Operator, db: Db) -> SchoolOut:
    return service.create_school(db, operator, body)


@router.get("/school", response_model=SchoolOut, summary="The school's settings (its admins)")
def read_school(admin: SchoolAdmin, db: Db, school_id: SchoolParam = None) -> SchoolOut:
    return service.get_school(db, service.target_school(admin, school_id))


@router.patch(
    "/school",
    response_model=SchoolOut,
    summary="Change the school's settings (its admins)",
    description="Only the fields sent change; each change is logged as `school.update`.",
)
def update_school(
    body: SchoolUpdate, admin: SchoolAdmin, db: Db, school_id: SchoolParam = None
) -> SchoolOut:
    return service.update_school(db, admin, service.target_school(admin, school_id), body)


@router.get(
    "/school/activity",
    response_model=ActivityPage,
    summary="The school's activity log, newest first (its admins)",
)
def read_activity(
    admin: SchoolAdmin,
    db: Db,
    school_id: SchoolParam = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ActivityPage:
    return service.read_activity(db, service.target_school(admin, school_id), cursor, limit)
