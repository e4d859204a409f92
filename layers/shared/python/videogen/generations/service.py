"""Generation use cases: submit (validate, quota, idempotency, queue), read, cancel, retry.

The job row is written (status `queued`, quota taken) in one transaction before fal is
called; fal's answer then moves it to `submitted` with the request id, or to `failed` with
the quota unit given back. Nothing is left `queued` by a failure we can see; what we cannot
see (the process dying mid-call) the reconciliation finds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from videogen.auth.errors import ProfileNotFound
from videogen.db import Database
from videogen.errors import InvalidInput
from videogen.generations import repository as repo
from videogen.generations.catalog import MODELS, VideoModel, model_for
from videogen.generations.errors import (
    CannotRetry,
    GenerationNotFound,
    IdempotencyConflict,
    PromptBlocked,
    QuotaExceeded,
)
from videogen.generations.models import (
    EstimateOut,
    EstimateRequest,
    GenerationCreate,
    GenerationOut,
    GenerationPage,
    ModelOut,
    QuotaOut,
    VideoOut,
)
from videogen.generations.provider import (
    CancelRefused,
    GenerationProvider,
    ProviderRejected,
    ProviderUnavailable,
)
from videogen.storage.base import ObjectStore

logger = logging.getLogger(__name__)


def utc_day(moment: datetime | None = None) -> tuple[datetime, datetime]:
    """The UTC day containing `moment`: (start, next midnight). Quotas reset at midnight."""
    moment = moment or datetime.now(UTC)
    start = datetime.combine(moment.astimezone(UTC).date(), time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


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
    blocked_terms: list[str]
    signed_url_ttl: int

    # --- submission ---
    def submit(
        self,
        user_id: UUID,
        request: GenerationCreate,
        idempotency_key: str | None = None,
        retry_of: UUID | None = None,
    ) -> tuple[GenerationOut, bool]:
        """Returns the job and whether it was created now (False: an idempotent replay)."""
        model = _model(request.model)
        params = _validate_params(model, request.params)
        self._check_prompt(request.prompt)
        request_hash = _hash_request(request.model, request.prompt, params)
        from psycopg.errors import UniqueViolation

        try:
            job_id, created = self._record(
                user_id, model, request.prompt, params, idempotency_key, request_hash, retry_of
            )
        except UniqueViolation:
            # A concurrent request with the same Idempotency-Key won: answer with its job.
            job_id, created = self._record(
                user_id, model, request.prompt, params, idempotency_key, request_hash, retry_of
            )
        if created:
            self._queue(job_id, model, request.prompt, params)
        return self.get(user_id, job_id), created

    def _check_prompt(self, prompt: str) -> None:
        lowered = prompt.lower()
        for term in self.blocked_terms:
            if re.search(rf"\b{re.escape(term)}\b", lowered):
                raise PromptBlocked()

    def _record(
        self,
        user_id: UUID,
        model: VideoModel,
        prompt: str,
        params: dict[str, Any],
        idempotency_key: str | None,
        request_hash: str,
        retry_of: UUID | None,
    ) -> tuple[UUID, bool]:
        day_start, resets_at = utc_day()
        with self.db.connection() as conn:
            if idempotency_key is not None:
                repo.release_expired_key(conn, user_id, idempotency_key)
                existing = repo.find_by_idempotency_key(conn, user_id, idempotency_key)
                if existing is not None:
                    if existing["request_hash"] != request_hash:
                        raise IdempotencyConflict()
                    return existing["id"], False
            quota, granted = repo.consume_quota(conn, user_id, day_start.date())
            if quota is None:
                raise ProfileNotFound()
            if not granted:
                retry_after = int((resets_at - datetime.now(UTC)).total_seconds()) + 1
                raise QuotaExceeded(quota, resets_at, retry_after)
            job_id = repo.insert_job(
                conn,
                user_id=user_id,
                model=model.key,
                prompt=prompt,
                params=params,
                cost=model.cost(model.params.model_validate(params)),
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                retry_of=retry_of,
            )
        logger.info("job recorded", extra={"job_id": str(job_id), "model": model.key})
        return job_id, True

    def _queue(self, job_id: UUID, model: VideoModel, prompt: str, params: dict[str, Any]) -> None:
        webhook_url = f"{self.public_base_url.rstrip('/')}/webhooks/fal?job_id={job_id}"
        arguments = model.arguments(prompt, model.params.model_validate(params))
        try:
            request_id = self.provider_factory().submit(model.key, arguments, webhook_url)
        except (ProviderRejected, ProviderUnavailable) as exc:
            with self.db.connection() as conn:
                if repo.advance(
                    conn,
                    job_id,
                    "failed",
                    from_statuses=("queued",),
                    error=f"Submission failed: {exc.message}",
                    finished_at="now()",
                ):
                    repo.refund_for_job(conn, job_id)
            logger.warning("submission failed", extra={"job_id": str(job_id), "code": exc.code})
            exc.details = {**(exc.details or {}), "job_id": str(job_id)}
            raise
        with self.db.connection() as conn:
            repo.advance(
                conn,
                job_id,
                "submitted",
                from_statuses=("queued",),
                fal_request_id=request_id,
                submitted_at="now()",
            )
        logger.info("job submitted", extra={"job_id": str(job_id), "request_id": request_id})

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

    def quota(self, user_id: UUID) -> QuotaOut:
        day_start, resets_at = utc_day()
        with self.db.connection() as conn:
            row = repo.quota_status(conn, user_id, day_start.date())
        if row is None:
            raise ProfileNotFound()
        return QuotaOut(
            daily_quota=row["quota"],
            used_today=row["used"],
            remaining=max(row["quota"] - row["used"], 0),
            resets_at=resets_at,
        )

    def to_out(self, row: dict[str, Any]) -> GenerationOut:
        video = None
        if row.get("object_key"):
            expires_at = datetime.now(UTC) + timedelta(seconds=self.signed_url_ttl)
            video = VideoOut(
                url=self.store.signed_url(row["object_key"], self.signed_url_ttl),
                expires_at=expires_at,
                content_type=row["content_type"],
                size_bytes=row["size_bytes"],
                sha256=row["sha256"],
            )
        return GenerationOut.model_validate({**row, "video": video})

    # --- actions ---
    def cancel(self, user_id: UUID, job_id: UUID) -> GenerationOut:
        with self.db.connection() as conn:
            row = repo.get_job(conn, job_id, owner=user_id)
        if row is None:
            raise GenerationNotFound()
        if row["status"] not in ("queued", "submitted"):
            raise CancelRefused()
        if row["fal_request_id"]:
            self.provider_factory().cancel(row["model"], row["fal_request_id"])
        with self.db.connection() as conn:
            if repo.advance(
                conn,
                job_id,
                "cancelled",
                from_statuses=("queued", "submitted"),
                finished_at="now()",
            ):
                repo.refund_for_job(conn, job_id)
        return self.get(user_id, job_id)

    def retry(self, user_id: UUID, job_id: UUID) -> GenerationOut:
        job = self.get(user_id, job_id)
        if job.status not in ("failed", "cancelled"):
            raise CannotRetry()
        created, _ = self.submit(
            user_id,
            GenerationCreate(model=job.model, prompt=job.prompt, params=job.params),
            retry_of=job.id,
        )
        return created


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
