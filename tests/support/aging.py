"""Moves jobs back in time for the reconciliation tests.

Only the job rows move. What a job holds of its budgets stays in the period it was reserved
in: the append-only ledger (supabase/migrations/20261128000100_budgets.sql) is never
rewritten, and a release or settlement copies the period of the reservation it closes, so a
job aged across midnight still gives back to the day that gave (a test run just after 00:00
sees no release land on the wrong day).
"""

from __future__ import annotations

from typing import Any

_AGE = """
update public.jobs
   set created_at = created_at - make_interval(mins => %(m)s),
       submitted_at = submitted_at - make_interval(mins => %(m)s)
 where %(job)s::uuid is null or id = %(job)s::uuid
"""


def age_jobs(db: Any, minutes: int, job_id: str | None = None) -> None:
    """Every job (or `job_id`) as if created and submitted `minutes` earlier."""
    db.execute(_AGE, {"m": minutes, "job": job_id})
