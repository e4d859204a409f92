"""SQL for jobs (budgets: videogen.budgets). Every read of a user's job filters on its owner."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from videogen import cursors
from videogen.budgets import repository as budgets_repo

if TYPE_CHECKING:
    from videogen.db import Connection

JOB_SELECT = """
    select j.id, j.user_id, j.model, j.prompt, j.params, j.status, j.error, j.error_code,
           j.fal_request_id,
           j.idempotency_key, j.request_hash, j.retry_of, j.cost_estimate_usd::float8
             as cost_estimate_usd, j.created_at, j.submitted_at, j.started_at, j.finished_at,
           j.duration_seconds, j.cancel_requested_at, j.school_id, s.name as school_name,
           j.class_id, j.hidden_at, j.hidden_reason, j.video_deleted_at, j.video_kept_days,
           f.object_key, f.content_type, f.size_bytes, f.sha256
    from public.jobs j
    left join public.files f on f.job_id = j.id
    left join public.schools s on s.id = j.school_id
"""

Row = dict[str, Any]


def release_expired_key(conn: Connection, user_id: UUID, key: str) -> None:
    """An Idempotency-Key is remembered 24 hours; after that it may name a new request."""
    conn.execute(
        """update public.jobs set idempotency_key = null
           where user_id = %s and idempotency_key = %s
             and created_at < now() - interval '24 hours'""",
        (user_id, key),
    )


def find_by_idempotency_key(conn: Connection, user_id: UUID, key: str) -> Row | None:
    return conn.execute(
        JOB_SELECT + " where j.user_id = %s and j.idempotency_key = %s", (user_id, key)
    ).fetchone()


def insert_job(
    conn: Connection,
    *,
    user_id: UUID,
    model: str,
    prompt: str,
    params: dict[str, Any],
    cost: Any,
    idempotency_key: str | None,
    request_hash: str | None,
    retry_of: UUID | None,
    school_id: UUID | None = None,
    class_id: UUID | None = None,
) -> UUID:
    from psycopg.types.json import Jsonb

    row = conn.execute(
        """insert into public.jobs (user_id, model, prompt, params, cost_estimate_usd,
                                    idempotency_key, request_hash, retry_of, school_id, class_id)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning id""",
        (
            user_id,
            model,
            prompt,
            Jsonb(params),
            cost,
            idempotency_key,
            request_hash,
            retry_of,
            school_id,
            class_id,
        ),
    ).fetchone()
    assert row is not None
    job_id: UUID = row["id"]
    return job_id


def get_job(conn: Connection, job_id: UUID, *, owner: UUID | None = None) -> Row | None:
    """The job; with `owner`, only if that user owns it (another's job is simply not found)."""
    if owner is None:
        return conn.execute(JOB_SELECT + " where j.id = %s", (job_id,)).fetchone()
    return conn.execute(
        JOB_SELECT + " where j.id = %s and j.user_id = %s", (job_id, owner)
    ).fetchone()


UNFINISHED = ("queued", "submitted", "in_progress", "finishing")

_WORK_COLUMNS = """id, user_id, model, status, fal_request_id, result_url, cancel_requested_at,
    submit_unconfirmed_at, reconcile_attempts, created_at, updated_at"""


def lock_job(conn: Connection, job_id: UUID) -> Row | None:
    """The job row, locked until the transaction ends: deliveries for one job serialize."""
    return conn.execute(
        f"select {_WORK_COLUMNS} from public.jobs where id = %s for update", (job_id,)
    ).fetchone()


def work_job(conn: Connection, job_id: UUID) -> Row | None:
    """The job's processing state (no lock): what the copy worker and reconciliation read."""
    return conn.execute(
        f"select {_WORK_COLUMNS} from public.jobs where id = %s", (job_id,)
    ).fetchone()


def request_id_taken(conn: Connection, request_id: str, job_id: UUID) -> bool:
    """Whether another job already holds this fal request id."""
    row = conn.execute(
        "select 1 from public.jobs where fal_request_id = %s and id <> %s", (request_id, job_id)
    ).fetchone()
    return row is not None


def fail_and_refund(
    conn: Connection,
    job_id: UUID,
    error: str,
    *,
    from_statuses: tuple[str, ...] = UNFINISHED,
    status: str = "failed",
    error_code: str | None = None,
) -> bool:
    """Ends an unfinished job as failed (or cancelled) and releases its budget reservation,
    once: a job no longer in `from_statuses` is left alone and nothing is released. `error_code`
    says why for machines (an admin's failure: `failed_by_admin`)."""
    if not advance(
        conn,
        job_id,
        status,
        from_statuses=from_statuses,
        error=error[:2000] if error else None,
        error_code=error_code,
        finished_at="now()",
    ):
        return False
    budgets_repo.release(conn, job_id)
    return True


def complete(conn: Connection, job_id: UUID, **fields: Any) -> bool:
    """Ends a `finishing` job as completed and settles its budget reservation at the
    catalogue's price for what was delivered, in the same transaction (once: a job no
    longer `finishing` is left alone). fal reports no per-request cost in its webhook,
    status or result (https://fal.ai/docs/documentation/model-apis/pricing: billed per
    output at the model's listed price; usage only in aggregate through the Platform
    API), so the catalogue's price of the job's model and parameters is the figure."""
    if not advance(
        conn, job_id, "completed", from_statuses=("finishing",), finished_at="now()", **fields
    ):
        return False
    row = conn.execute("select model, params from public.jobs where id = %s", (job_id,)).fetchone()
    assert row is not None
    budgets_repo.settle(conn, job_id, delivered_cost(row["model"], row["params"]))
    return True


def delivered_cost(model_key: str, params: dict[str, Any]) -> Decimal | None:
    """The catalogue's price of a delivered video; None (settle at the reserved
    estimate) for a model the catalogue no longer prices."""
    from videogen.generations.catalog import MODELS

    model = MODELS.get(model_key)
    if model is None:
        return None
    try:
        return model.cost(model.params.model_validate(params))
    except ValueError:
        return None


def stale_jobs(conn: Connection, *, older_than_seconds: int, limit: int) -> list[Row]:
    """Unfinished jobs not heard of for a while, least recently checked first: jobs that can
    never finish do not starve the others (each check moves a job to the back)."""
    return conn.execute(
        f"""select {_WORK_COLUMNS} from public.jobs
            where status = any(%(unfinished)s)
              and coalesce(submitted_at, created_at) < now() - make_interval(secs => %(age)s)
              and (last_checked_at is null
                   or last_checked_at < now() - make_interval(secs => %(age)s))
            order by last_checked_at nulls first, created_at
            limit %(limit)s""",
        {"unfinished": list(UNFINISHED), "age": older_than_seconds, "limit": limit},
    ).fetchall()


def mark_checked(conn: Connection, job_id: UUID) -> int:
    """Records one reconciliation check; returns how many the job has had."""
    row = conn.execute(
        """update public.jobs set reconcile_attempts = reconcile_attempts + 1,
                  last_checked_at = now()
           where id = %s returning reconcile_attempts""",
        (job_id,),
    ).fetchone()
    return row["reconcile_attempts"] if row else 0


def encode_cursor(row: Row) -> str:
    return cursors.encode(row["created_at"], str(row["id"]))


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """The (created_at, id) an `encode_cursor` cursor holds. Anything else, including
    well-formed JSON of another shape (`["2020-01-01", 1]`, `{}`), is a 422 naming
    `cursor`, never a crash."""
    created, key = cursors.decode(cursor)
    if not isinstance(key, str):
        raise cursors.refused()
    try:
        return created, UUID(key)
    except ValueError as exc:
        raise cursors.refused() from exc


def list_jobs(
    conn: Connection,
    *,
    owner: UUID | None,
    status: str | None,
    cursor: str | None,
    limit: int,
    school: UUID | None = None,
) -> tuple[list[Row], str | None]:
    """Newest first, keyset-paginated on (created_at, id). `school`: only that school's jobs
    (a school admin's listing; None: every school, an operator's or an owner's)."""
    clauses: list[str] = ["true"]
    args: list[object] = []
    if school is not None:
        clauses.append("j.school_id = %s")
        args.append(school)
    if owner is not None:
        clauses.append("j.user_id = %s")
        args.append(owner)
    if status is not None:
        clauses.append("j.status = %s")
        args.append(status)
    if cursor is not None:
        created, job_id = decode_cursor(cursor)
        clauses.append("(j.created_at, j.id) < (%s, %s)")
        args.extend([created, job_id])
    rows = conn.execute(
        JOB_SELECT
        + " where "
        + " and ".join(clauses)
        + " order by j.created_at desc, j.id desc limit %s",
        [*args, limit + 1],
    ).fetchall()
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def advance(
    conn: Connection,
    job_id: UUID,
    to_status: str,
    *,
    from_statuses: tuple[str, ...],
    **fields: Any,
) -> bool:
    """Moves a job forward; False (nothing changed) if it is no longer in `from_statuses`."""
    assignments = ["status = %s", "updated_at = now()"]
    values: list[Any] = [to_status]
    for column, value in fields.items():
        if value == "now()":
            assignments.append(f"{column} = now()")
        else:
            assignments.append(f"{column} = %s")
            values.append(value)
    updated = conn.execute(
        "update public.jobs set " + ", ".join(assignments) + " where id = %s and status = any(%s)",
        [*values, job_id, list(from_statuses)],
    ).rowcount
    return updated == 1


def request_cancel(conn: Connection, job_id: UUID) -> None:
    """Records that the user asked to cancel (the first time counts)."""
    conn.execute(
        "update public.jobs set cancel_requested_at = coalesce(cancel_requested_at, now())"
        " where id = %s",
        (job_id,),
    )


def mark_submit_unconfirmed(conn: Connection, job_id: UUID) -> None:
    """The submit was sent but fal's answer lost: wait for the webhook, never resubmit."""
    conn.execute(
        "update public.jobs set submit_unconfirmed_at = now()"
        " where id = %s and fal_request_id is null",
        (job_id,),
    )


def bind_request(conn: Connection, job_id: UUID, request_id: str) -> None:
    """Stores the fal request a webhook (whose URL names the job) reports for it."""
    conn.execute(
        """update public.jobs set fal_request_id = %s, submit_unconfirmed_at = null,
                  submitted_at = coalesce(submitted_at, now())
           where id = %s""",
        (request_id, job_id),
    )


def lock_job_in_reach(
    conn: Connection, job_id: UUID, scope: tuple[str, dict[str, Any]]
) -> Row | None:
    """The job, locked, if `scope` (videogen.schools.scope.student_work over `j`) reaches it."""
    where, params = scope
    return conn.execute(
        f"""select j.id, j.user_id, j.school_id, j.hidden_at from public.jobs j
            where j.id = %(job)s and {where} for update""",
        {**params, "job": job_id},
    ).fetchone()


def set_hidden(conn: Connection, job_id: UUID, *, by: UUID | None, reason: str | None) -> None:
    """Hides the job's video with a reason (`by` set) or shows it again (`by` None)."""
    conn.execute(
        """update public.jobs set hidden_at = case when %(by)s::uuid is null then null
                                                 else now() end,
                  hidden_by = %(by)s, hidden_reason = %(reason)s, updated_at = now()
           where id = %(job)s""",
        {"job": job_id, "by": by, "reason": reason},
    )


def mark_started(conn: Connection, job_id: UUID) -> bool:
    """fal reports the request running."""
    return advance(conn, job_id, "in_progress", from_statuses=("submitted",), started_at="now()")
