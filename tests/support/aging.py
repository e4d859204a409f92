"""Moves jobs back in time for the reconciliation tests, with the quota unit each took.

A job's quota unit is counted on its UTC creation day and refunded to that day
(generations/repository.py). Moving `created_at` across midnight without moving the unit
would leave the test's "today" holding units whose jobs now belong to yesterday: a test run
just after 00:00 UTC would then see refunds land on the wrong day.
"""

from __future__ import annotations

from typing import Any

_AGE = """
with aged as (
  update public.jobs
     set created_at = created_at - make_interval(mins => %(m)s),
         submitted_at = submitted_at - make_interval(mins => %(m)s)
   where %(job)s::uuid is null or id = %(job)s::uuid
  returning user_id, status,
            ((created_at + make_interval(mins => %(m)s)) at time zone 'UTC')::date as was,
            (created_at at time zone 'UTC')::date as now_on
), moves as (
  select user_id, was, now_on, count(*) as n from aged
   where user_id is not null and was <> now_on
     and status not in ('failed', 'cancelled')  -- their unit was already given back
   group by user_id, was, now_on
), taken as (
  update public.quota_usage u set used = greatest(u.used - m.n, 0)
    from moves m where u.user_id = m.user_id and u.day = m.was
  returning u.user_id
)
insert into public.quota_usage as u (user_id, day, used)
select user_id, now_on, n from moves
on conflict (user_id, day) do update set used = u.used + excluded.used
"""


def age_jobs(db: Any, minutes: int, job_id: str | None = None) -> None:
    """Every job (or `job_id`) as if created and submitted `minutes` earlier."""
    db.execute(_AGE, {"m": minutes, "job": job_id})
