"""Request parameters the schools routers share."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query

#: Operators name the school a school-admin route is about; a school admin's own is the
#: default, and naming another is 404 (schools.school_service.target_school).
SchoolParam = Annotated[
    UUID | None, Query(description="Operators: the school (default: their own).")
]
