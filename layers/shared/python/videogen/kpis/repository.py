"""Reads of the per-school and per-class KPI tables (issue 16), as `videogen_app`: which
schools and classes a caller reaches is decided by the caller (operator dependency,
`school_service.target_school`) or by `videogen.schools.scope`, never here."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any
from uuid import UUID

from videogen.auth.members import Member
from videogen.db import Connection
from videogen.kpis import definitions as kpi
from videogen.schools.scope import class_in_reach

Row = dict[str, Any]
_COLUMNS = ", ".join(("job_date", *kpi.SCOPE_COLUMNS))


def schools(conn: Connection, school_id: UUID | None = None) -> list[Row]:
    """Every school (an operator's list), or the one named."""
    return conn.execute(
        """select id as school_id, name, time_zone from public.schools
           where %(school)s::uuid is null or id = %(school)s
           order by lower(name), id""",
        {"school": school_id},
    ).fetchall()


def school_days(
    conn: Connection, start: date, end: date, school_id: UUID | None = None
) -> dict[UUID, list[Row]]:
    """The rows of the range per school: every school's, or the one named."""
    rows = conn.execute(
        f"""select school_id, {_COLUMNS} from public.kpi_school_daily
            where job_date between %(start)s and %(end)s
              and (%(school)s::uuid is null or school_id = %(school)s)
            order by school_id, job_date""",
        {"start": start, "end": end, "school": school_id},
    ).fetchall()
    return _by(rows, "school_id")


def classes(
    conn: Connection, member: Member, start: date, end: date, school_id: UUID | None = None
) -> tuple[list[Row], dict[UUID, list[Row]]]:
    """The classes in the caller's reach (of one school if named) that are live or have
    rows in the range, and their rows."""
    where, params = class_in_reach(member)
    params = {**params, "start": start, "end": end, "school": school_id}
    found = conn.execute(
        f"""select c.id as class_id, c.school_id, c.name, c.archived_at is not null as archived
            from public.classes c
            where {where} and (%(school)s::uuid is null or c.school_id = %(school)s)
              and (c.archived_at is null or exists (
                select 1 from public.kpi_class_daily k where k.class_id = c.id
                  and k.job_date between %(start)s and %(end)s))
            order by lower(c.name), c.id""",
        params,
    ).fetchall()
    rows = conn.execute(
        f"""select k.class_id, {", ".join(f"k.{c}" for c in ("job_date", *kpi.SCOPE_COLUMNS))}
            from public.kpi_class_daily k join public.classes c on c.id = k.class_id
            where {where} and (%(school)s::uuid is null or c.school_id = %(school)s)
              and k.job_date between %(start)s and %(end)s
            order by k.class_id, k.job_date""",
        params,
    ).fetchall()
    return found, _by(rows, "class_id")


def _by(rows: list[Row], key: str) -> dict[UUID, list[Row]]:
    grouped: dict[UUID, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.pop(key)].append(row)
    return grouped
