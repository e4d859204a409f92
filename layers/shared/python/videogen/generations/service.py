"""Generation use cases: submit (validate, budget, idempotency, queue), read, cancel, retry.

The job row is written (status `queued`, its estimate reserved against every budget scope)
in one transaction before fal is called; fal's answer then moves it to `submitted` with the
request id, or to `failed` with the reservation released. Nothing is left `queued` by a
failure we can see; what we cannot see (the process dying mid-call) the reconciliation
finds.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from videogen import logs, metrics
from videogen.account import usage
from videogen.auth.errors import ProfileNotFound
from videogen.auth.members import Member
from videogen.budgets import repository as budgets_repo
from videogen.budgets import reservation as budgets
from videogen.db import Connection, Database
from videogen.errors import AppError, InvalidInput
from videogen.generations import repository as repo
from videogen.generations.catalog import MODELS, VideoModel, model_for
from videogen.generations.errors import (
    CannotRetry,
    GenerationNotFound,
    IdempotencyConflict,
    VideoAlreadyHidden,
    VideoNotHidden,
)
from videogen.generations.models import (
    AllowanceOut,
    EstimateOut,
    EstimateRequest,
    GenerationCreate,
    GenerationOut,
    GenerationPage,
    ModelOut,
    VideoDeletedOut,
    VideoOut,
)
from videogen.generations.provider import (
    CancelRefused,
    GenerationProvider,
    ProviderRejected,
    ProviderUnavailable,
    SubmitUnconfirmed,
)
from videogen.safety.filter import PromptFilter
from videogen.safety.screening import screen
from videogen.schools import activity
from videogen.schools.scope import student_work
from videogen.schools.submissions import check_submission
from videogen.settings import SettingsMissing
from videogen.storage.base import ObjectStore
from videogen.webhooks.job_token import webhook_url

logger = logging.getLogger(__name__)


def list_models() -> list[ModelOut]:
    return [
        ModelOut(
            key=m.key,
            title=m.title,
            description=m.description,
            parameters=m.params.model_json_schema(),
            default_cost_usd=float(m.cost(m.params())),
        )
        for m in MODELS.values()
    ]


@dataclass
class GenerationService:
    db: Database
    provider_factory: Callable[[], GenerationProvider]  # built on first use: reads need none
    store: ObjectStore
    public_base_url: str
    webhook_secret: str | None  # WEBHOOK_TOKEN_SECRET: submissions only (not admin reads)
    prompt_filter: PromptFilter  # built-in list, PROMPT_BLOCKLIST; the school's terms per call
    signed_url_ttl: int

    # --- submission ---
    def submit(
        self,
        user_id: UUID,
        request: GenerationCreate,
        idempotency_key: str | None = None,
        retry_of: UUID | None = None,
        school_id: UUID | None = None,
    ) -> tuple[GenerationOut, bool]:
        """Returns the job and whether it was created now (False: an idempotent replay).
        Each new job counts as accepted (with its estimated cost); each refusal by its code.
        The job is filed under the submitter's school (`school_id`) and, if the request
        names one, a class they are in."""
        if self.webhook_secret is None:  # before anything is written
            raise SettingsMissing("WEBHOOK_TOKEN_SECRET is not set for this function.")
        try:
            return self._submit(user_id, request, idempotency_key, retry_of, school_id)
        except AppError as exc:
            job_id = (exc.details or {}).get("job_id")  # refused by fal: the job exists
            metrics.submission_refused(exc.code, model=request.model[:200], job_id=job_id)
            raise

    def _submit(
        self,
        user_id: UUID,
        request: GenerationCreate,
        idempotency_key: str | None,
        retry_of: UUID | None,
        school_id: UUID | None = None,
    ) -> tuple[GenerationOut, bool]:
        model = _model(request.model)
        placement = _Placement(school_id, request.class_id)
        params = _validate_params(model, request.params)
        screen(
            self.db,
            self.prompt_filter,
            user_id=user_id,
            prompt=request.prompt,
            model=model.key,
            class_id=request.class_id,
        )
        request_hash = _hash_request(request.model, request.prompt, params)
        from psycopg.errors import UniqueViolation

        record = (
            user_id, model, request.prompt, params, idempotency_key, request_hash, retry_of,
            placement,
        )  # fmt: skip
        try:
            job_id, created = self._record(*record)
        except UniqueViolation:
            # A concurrent request with the same Idempotency-Key won: answer with its job.
            job_id, created = self._record(*record)
        if not created:
            return self.get(user_id, job_id), False
        from videogen.db import DatabaseUnavailable

        with logs.bind(job_id=job_id):
            self._queue(job_id, model, request.prompt, params)
            cost = model.cost(model.params.model_validate(params))
            metrics.submission_accepted(model.key, float(cost))
            try:
                return self.get(user_id, job_id), True
            except DatabaseUnavailable:
                # The job is recorded and handed to fal; only this read failed. Answer with
                # what we know rather than "nothing was changed": the status follows shortly.
                return _as_recorded(job_id, model, request.prompt, params, retry_of), True

    def _record(
        self,
        user_id: UUID,
        model: VideoModel,
        prompt: str,
        params: dict[str, Any],
        idempotency_key: str | None,
        request_hash: str,
        retry_of: UUID | None,
        placement: _Placement,
    ) -> tuple[UUID, bool]:
        with self.db.connection() as conn:
            if idempotency_key is not None:
                repo.release_expired_key(conn, user_id, idempotency_key)
                existing = repo.find_by_idempotency_key(conn, user_id, idempotency_key)
                if existing is not None:
                    if existing["request_hash"] != request_hash:
                        raise IdempotencyConflict()
                    return existing["id"], False
            check_submission(
                conn,
                school_id=placement.school_id,
                user_id=user_id,
                model=model.key,
                class_id=placement.class_id,
            )
            cost = model.cost(model.params.model_validate(params))
            job_id = repo.insert_job(
                conn,
                user_id=user_id,
                model=model.key,
                prompt=prompt,
                params=params,
                cost=cost,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                retry_of=retry_of,
                school_id=placement.school_id,
                class_id=placement.class_id,
            )
            # All scopes or none, in this transaction: a refusal rolls the job back too.
            budgets.reserve(
                conn,
                job_id=job_id,
                user_id=user_id,
                school_id=placement.school_id,
                class_id=placement.class_id,
                amount=cost,
                carried=self._carried(conn, user_id, placement.school_id),
            )
        logger.info("job recorded", extra={"job_id": str(job_id), "model": model.key})
        return job_id, True

    def _queue(self, job_id: UUID, model: VideoModel, prompt: str, params: dict[str, Any]) -> None:
        """Submits once. fal refusing or unreachable: the job fails and its reservation is released.
        fal's answer lost: the job waits for fal's webhook (its URL names the job) and is
        never submitted again. Our database failing after fal took it: the job is left for
        the webhook too, and the client is not told that nothing happened."""
        from videogen.db import DatabaseUnavailable

        assert self.webhook_secret is not None  # checked by submit, before anything is written
        webhook = webhook_url(self.public_base_url, self.webhook_secret, job_id)
        arguments = model.arguments(prompt, model.params.model_validate(params))
        log = {"job_id": str(job_id)}
        try:
            request_id = self.provider_factory().submit(model.key, arguments, webhook)
        except (ProviderRejected, ProviderUnavailable) as exc:
            with self.db.connection() as conn:
                repo.fail_and_refund(
                    conn, job_id, f"Submission failed: {exc.message}", from_statuses=("queued",)
                )
            logger.warning("submission failed", extra={**log, "code": exc.code})
            exc.details = {**(exc.details or {}), "job_id": str(job_id)}
            raise
        except SubmitUnconfirmed as exc:
            logger.warning("submission unconfirmed", extra={**log, "reason": str(exc)})
            try:
                with self.db.connection() as conn:
                    repo.mark_submit_unconfirmed(conn, job_id)
            except DatabaseUnavailable:
                logger.warning("could not mark the submission unconfirmed", extra=log)
            return
        try:
            with self.db.connection() as conn:
                repo.advance(
                    conn,
                    job_id,
                    "submitted",
                    from_statuses=("queued",),
                    fal_request_id=request_id,
                    submitted_at="now()",
                )
                job = repo.work_job(conn, job_id)
        except DatabaseUnavailable:
            logger.error("fal took the job but it could not be recorded", extra=log)
            return
        logger.info("job submitted", extra={**log, "request_id": request_id})
        if job is not None and job["cancel_requested_at"] is not None:
            try:
                self._cancel_at_fal(job)  # the user cancelled while the submit was in flight
            except AppError as exc:
                # fal already started it (it runs and is billed) or could not be asked now:
                # the job is submitted all the same; its webhook ends it (ERROR: cancelled).
                logger.warning("deferred cancel not done", extra={**log, "code": exc.code})

    def _carried(
        self, conn: Connection, user_id: UUID, school_id: UUID | None
    ) -> tuple[Decimal, int]:
        """What an erased account with this one's email spent today, if this account was
        made today (account/usage.py; keyed with the webhook secret, which every deployment
        has): deleting and registering again does not reset the student's day."""
        if self.webhook_secret is None:
            return Decimal(0), 0
        return usage.carried(conn, user_id, self.webhook_secret, school_id)

    # --- reads ---
    def get(self, user_id: UUID, job_id: UUID) -> GenerationOut:
        with self.db.connection() as conn:
            row = repo.get_job(conn, job_id, owner=user_id)
        if row is None:
            raise GenerationNotFound()
        return self.to_out(row)

    def list(
        self, user_id: UUID | None, status: str | None, cursor: str | None, limit: int
    ) -> GenerationPage:
        with self.db.connection() as conn:
            rows, next_cursor = repo.list_jobs(
                conn, owner=user_id, status=status, cursor=cursor, limit=limit
            )
        return GenerationPage(items=[self.to_out(r) for r in rows], next_cursor=next_cursor)

    def allowance(self, user_id: UUID, school_id: UUID | None) -> AllowanceOut:
        """What the student has left: their day (money, videos) and the school's month,
        from the ledger's balances (plus what an erased account of theirs used today)."""
        with self.db.connection() as conn:
            rows = {r["scope"]: r for r in budgets_repo.scopes(conn, user_id, school_id)}
            money, videos = self._carried(conn, user_id, school_id)
            tz = conn.execute(
                "select coalesce((select time_zone from public.schools where id = %s), 'UTC')"
                " as tz",
                (school_id,),
            ).fetchone()
        if "student_day" not in rows:
            raise ProfileNotFound()
        day, count = rows["student_day"], rows["student_videos"]
        spent = day["used"] + money
        used_videos = int(count["used"]) + videos
        school = rows.get("school_month")
        video_cap = None if count["cap"] is None else int(count["cap"])
        return AllowanceOut(
            money_left_today=_left(day["cap"], spent),
            daily_money_cap=day["cap"],
            spent_today=spent,
            videos_left_today=None if video_cap is None else max(video_cap - used_videos, 0),
            daily_video_cap=video_cap,
            videos_today=used_videos,
            resets_at=day["resets_at"],
            school_month_left=None if school is None else _left(school["cap"], school["used"]),
            school_month_resets_at=None if school is None else school["resets_at"],
            time_zone=tz["tz"] if tz else "UTC",
        )

    def to_out(self, row: dict[str, Any]) -> GenerationOut:
        """The job as clients see it. The only place a video URL is signed: a hidden job's
        video is never signed, whoever reads it (student, teacher, admin)."""
        video = None
        hidden = row.get("hidden_at") is not None
        if row.get("object_key") and not hidden:
            expires_at = datetime.now(UTC) + timedelta(seconds=self.signed_url_ttl)
            video = VideoOut(
                url=self.store.signed_url(row["object_key"], self.signed_url_ttl),
                expires_at=expires_at,
                content_type=row["content_type"],
                size_bytes=row["size_bytes"],
                sha256=row["sha256"],
            )
        cancel_requested = row.get("cancel_requested_at") is not None
        deleted = None
        if row.get("video_deleted_at") is not None:
            deleted = VideoDeletedOut(
                deleted_at=row["video_deleted_at"], kept_days=row.get("video_kept_days")
            )
        return GenerationOut.model_validate(
            {
                **row,
                "video": video,
                "video_deleted": deleted,
                "cancel_requested": cancel_requested,
                "hidden": hidden,
            }
        )

    # --- oversight: a teacher or school admin hides a student's video ---
    def hide(self, member: Member, job_id: UUID, reason: str) -> GenerationOut:
        """Hides the video from its student (and every reader) with a reason; 404 for a job
        out of the caller's reach (videogen.schools.scope)."""
        return self._set_hidden(member, job_id, reason)

    def unhide(self, member: Member, job_id: UUID) -> GenerationOut:
        return self._set_hidden(member, job_id, None)

    def _set_hidden(self, member: Member, job_id: UUID, reason: str | None) -> GenerationOut:
        scope = student_work(member, user_column="j.user_id", school_column="j.school_id")
        with self.db.connection() as conn:
            job = repo.lock_job_in_reach(conn, job_id, scope)
            if job is None:
                raise GenerationNotFound()
            if reason is not None and job["hidden_at"] is not None:
                raise VideoAlreadyHidden()
            if reason is None and job["hidden_at"] is None:
                raise VideoNotHidden()
            repo.set_hidden(conn, job_id, by=member.id if reason else None, reason=reason)
            activity.append(
                conn,
                school_id=job["school_id"],
                actor_id=member.id,
                action="video.hide" if reason is not None else "video.unhide",
                subject_type="job",
                subject_id=job_id,
                details={
                    "student_id": str(job["user_id"]),
                    **({"reason": reason} if reason else {}),
                },
            )
            row = repo.get_job(conn, job_id)
        assert row is not None
        return self.to_out(row)

    # --- actions ---
    def cancel(self, user_id: UUID, job_id: UUID) -> tuple[GenerationOut, bool]:
        """Cancels what fal has not started. Returns the job and whether the cancellation is
        final (False: asked of fal, or waiting for the submit in flight; the reservation is
        released only once fal confirms that nothing ran)."""
        with logs.bind(job_id=job_id):
            return self._cancel(user_id, job_id)

    def _cancel(self, user_id: UUID, job_id: UUID) -> tuple[GenerationOut, bool]:
        with self.db.connection() as conn:
            if repo.get_job(conn, job_id, owner=user_id) is None:
                raise GenerationNotFound()
            # Locked: a submitter storing the request id waits, then sees this cancel's wish.
            job = repo.lock_job(conn, job_id)
            if job is None or job["status"] not in ("queued", "submitted"):
                raise CancelRefused()
            if job["fal_request_id"] is None:
                # The submit is in flight (or its answer was lost): no fal request to cancel
                # yet. Remember the wish; whoever learns the request id acts on it.
                repo.request_cancel(conn, job_id)
                job = None
        if job is not None:
            self._cancel_at_fal(job)
        out = self.get(user_id, job_id)
        return out, out.status == "cancelled"

    def _cancel_at_fal(self, job: dict[str, Any]) -> None:
        """https://fal.ai/docs/documentation/model-apis/inference/queue#cancel-a-request: only a
        request still IN_QUEUE is removed for sure; a running one gets a signal the model
        may ignore, and what runs is billed. So: status first, cancel only what is queued,
        and refund only once fal confirms the request is gone."""
        provider = self.provider_factory()
        model, request_id, job_id = job["model"], job["fal_request_id"], job["id"]
        status = provider.status(model, request_id)
        if status.state != "IN_QUEUE":
            if status.state == "IN_PROGRESS":
                with self.db.connection() as conn:
                    repo.mark_started(conn, job_id)
            raise CancelRefused()
        answer = provider.cancel(model, request_id)
        if answer == "ALREADY_COMPLETED":
            raise CancelRefused()
        with self.db.connection() as conn:
            repo.request_cancel(conn, job_id)
        try:
            confirmed = provider.status(model, request_id)
        except ProviderRejected:  # fal no longer knows the request: it was removed
            confirmed = None
        if confirmed is None or (confirmed.state == "COMPLETED" and confirmed.error):
            with self.db.connection() as conn:
                repo.fail_and_refund(
                    conn,
                    job_id,
                    "Cancelled at your request.",
                    from_statuses=("queued", "submitted"),
                    status="cancelled",
                )

    def retry(self, user_id: UUID, job_id: UUID, school_id: UUID | None = None) -> GenerationOut:
        """A new job from a failed or cancelled one; its lines name both (`retry_of`)."""
        with logs.bind(job_id=job_id, retry_of=job_id):
            job = self.get(user_id, job_id)
            if job.status not in ("failed", "cancelled"):
                raise CannotRetry()
            created, _ = self.submit(
                user_id,
                GenerationCreate(model=job.model, prompt=job.prompt, params=job.params),
                retry_of=job.id,
                school_id=school_id,
            )
            return created


@dataclass(frozen=True)
class _Placement:
    """Where a new job is filed: the submitter's school and, optionally, their class."""

    school_id: UUID | None
    class_id: UUID | None


def _left(cap: Decimal | None, used: Decimal) -> Decimal | None:
    return None if cap is None else max(cap - used, Decimal(0))


def _as_recorded(
    job_id: UUID, model: VideoModel, prompt: str, params: dict[str, Any], retry_of: UUID | None
) -> GenerationOut:
    return GenerationOut(
        id=job_id,
        model=model.key,
        prompt=prompt,
        params=params,
        status="queued",
        error=None,
        cost_estimate_usd=float(model.cost(model.params.model_validate(params))),
        created_at=datetime.now(UTC),
        submitted_at=None,
        started_at=None,
        finished_at=None,
        duration_seconds=None,
        retry_of=retry_of,
    )


def estimate(request: EstimateRequest) -> EstimateOut:
    """What a generation with these parameters would cost, before asking for it."""
    model = _model(request.model)
    params = _validate_params(model, request.params)
    cost = model.cost(model.params.model_validate(params))
    return EstimateOut(model=model.key, params=params, cost_usd=float(cost))


def _model(key: str) -> VideoModel:
    return model_for(key)  # unknown_model / model_retired are the catalogue's to say


def _validate_params(model: VideoModel, params: dict[str, Any]) -> dict[str, Any]:
    try:
        validated = model.validate(params)
    except ValidationError as exc:
        raise InvalidInput(
            [(".".join(["params", *(str(p) for p in e["loc"])]), e["msg"]) for e in exc.errors()]
        ) from exc
    return validated.model_dump(exclude_none=True)


def _hash_request(model: str, prompt: str, params: dict[str, Any]) -> str:
    canonical = json.dumps({"model": model, "prompt": prompt, "params": params}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
