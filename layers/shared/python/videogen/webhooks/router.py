"""POST /webhooks/fal: public, verified in code before anything else is read or written."""

from __future__ import annotations

import json
import logging
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from videogen import logs, metrics
from videogen.copies.deps import get_copy_queue
from videogen.copies.queue import CopyQueue, CopyTask, QueueUnavailable
from videogen.db import Database, get_database
from videogen.errors import AppError, ServiceUnavailable
from videogen.settings import Settings, get_settings
from videogen.webhooks.deps import get_delivery_recorder, get_webhook_verifier
from videogen.webhooks.events import record_event
from videogen.webhooks.job_token import token_matches
from videogen.webhooks.models import FalWebhookBody
from videogen.webhooks.recorder import DeliveryRecorder, FalOutcome
from videogen.webhooks.signature import FalWebhookVerifier, SignatureRejected

logger = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    message = "The webhook body is too large."


class MalformedDelivery(AppError):
    status_code = 400
    code = "malformed_delivery"
    message = "The webhook body is not a fal delivery."


class ClientGone(AppError):
    """The sender hung up before its body arrived: nobody reads the answer, and fal
    delivers again, so this is no server error (nor a stack trace in the logs)."""

    status_code = 400
    code = "client_disconnected"
    message = "The connection closed before the webhook body arrived."


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge()
    body = bytearray()
    try:
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise PayloadTooLarge()
    except ClientDisconnect as exc:
        logger.info("webhook sender disconnected mid-body", extra={"received_bytes": len(body)})
        raise ClientGone() from exc
    return bytes(body)


class InvalidWebhookToken(AppError):
    status_code = 401
    code = "invalid_webhook_token"
    message = "This webhook URL was not issued for that job."


class ForeignAccount(AppError):
    status_code = 403
    code = "foreign_account"
    message = "The delivery belongs to another fal account."


class QueueUnavailableError(ServiceUnavailable):
    code = "queue_unavailable"
    message = "The delivery could not be queued for copying; deliver again later."


def outcome_of(delivery: FalWebhookBody) -> FalOutcome:
    """fal's delivery as an outcome (https://fal.ai/docs/model-endpoints/webhooks): `OK` with
    the model's output, `ERROR` with `error`; `OK` with `payload: null` and a
    `payload_error` when the output could not be serialized — it is still in the queue."""
    ids = tuple(dict.fromkeys(i for i in (delivery.request_id, delivery.gateway_request_id) if i))
    if delivery.status != "OK":
        return FalOutcome(ids, ok=False, error=delivery.error_text())
    video = delivery.video()
    if video is not None:
        return FalOutcome(ids, ok=True, video_url=video.url)
    return FalOutcome(ids, ok=True, fetch_result=delivery.payload is None)


@router.post("/webhooks/fal", summary="fal.ai delivery (signed; see docs/security.md)")
async def fal_webhook(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    verifier: Annotated[FalWebhookVerifier, Depends(get_webhook_verifier)],
    recorder: Annotated[DeliveryRecorder, Depends(get_delivery_recorder)],
    copy_queue: Annotated[CopyQueue, Depends(get_copy_queue)],
    db: Annotated[Database, Depends(get_database)],
    job_id: Annotated[UUID | None, Query(description="Set by us in the webhook URL.")] = None,
    token: Annotated[
        str | None, Query(max_length=128, description="Binds the URL to the job.")
    ] = None,
) -> dict[str, str]:
    assert settings.webhook_token_secret is not None  # required by get_webhook_verifier
    secret = settings.webhook_token_secret.get_secret_value()
    if job_id is None or token is None or not token_matches(secret, job_id, token):
        logger.warning("webhook token rejected", extra={"job_id": str(job_id)})
        metrics.webhook_outcome("rejected_token")
        raise InvalidWebhookToken()
    with logs.bind(job_id=job_id):  # the URL's token proved which job this delivery is for
        try:
            outcome = await _deliver(request, settings, verifier, recorder, copy_queue, db, job_id)
        except AppError as exc:
            metrics.webhook_outcome(_rejection(exc), code=exc.code)
            raise
        metrics.webhook_outcome(outcome)
        return {"outcome": outcome}


def _rejection(exc: AppError) -> str:
    """The `Outcome` of a delivery that ended in an error: why it was turned away, or
    `error` when it could not be handled now (fal delivers it again)."""
    if isinstance(exc, SignatureRejected):
        return "rejected_signature"
    if isinstance(exc, ForeignAccount):
        return "rejected_account"
    if isinstance(exc, PayloadTooLarge):
        return "rejected_size"
    if isinstance(exc, MalformedDelivery):
        return "rejected_malformed"
    return "error"


async def _deliver(
    request: Request,
    settings: Settings,
    verifier: FalWebhookVerifier,
    recorder: DeliveryRecorder,
    copy_queue: CopyQueue,
    db: Database,
    job_id: UUID,
) -> str:
    body = await _read_body(request, settings.webhook_max_body_bytes)
    try:
        verified = await run_in_threadpool(verifier.verify, dict(request.headers), body)
    except SignatureRejected as exc:
        logger.warning("webhook signature rejected", extra={"reason": exc.code})
        raise
    if verified.user_id != settings.fal_account_id:
        logger.warning(
            "webhook for another fal account",
            extra={"job_id": str(job_id), "fal_user_id": verified.user_id},
        )
        raise ForeignAccount()
    try:
        delivery = FalWebhookBody.model_validate(json.loads(body))
        outcome = outcome_of(delivery)
    except (ValueError, ValidationError) as exc:
        raise MalformedDelivery() from exc
    if verified.request_id not in outcome.request_ids:
        raise MalformedDelivery("The body's request id differs from the signed one.")
    event = {"gateway_request_id": delivery.gateway_request_id, "payload_status": delivery.status}

    def apply() -> str:
        try:
            result = recorder.record(job_id, outcome, event=event)
        except AppError as exc:
            record_event(
                db,
                request_id=delivery.request_id,
                job_id=job_id,
                outcome="error",
                detail=exc.code,
                **event,
            )
            raise
        if result.needs_copy:
            try:
                copy_queue.send(CopyTask(job_id, origin_request_id=logs.request_id()))
            except QueueUnavailable as exc:
                # The job is `finishing`: fal's retry of this delivery queues the copy again.
                raise QueueUnavailableError() from exc
        return result.outcome

    result = await run_in_threadpool(apply)
    logger.info(
        "webhook recorded",
        extra={"request_id": delivery.request_id, "job_id": str(job_id), "outcome": result},
    )
    return result
