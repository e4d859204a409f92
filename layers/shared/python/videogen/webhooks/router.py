"""POST /webhooks/fal: public, verified in code before anything else is read or written."""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from videogen.db import get_database
from videogen.errors import AppError
from videogen.settings import get_settings
from videogen.webhooks.deps import get_job_finisher, get_webhook_verifier
from videogen.webhooks.events import record_event
from videogen.webhooks.finisher import FalOutcome
from videogen.webhooks.models import FalWebhookBody
from videogen.webhooks.signature import SignatureRejected

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


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge()
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise PayloadTooLarge()
    return bytes(body)


@router.post("/webhooks/fal", summary="fal.ai delivery (signed; see docs/security.md)")
async def fal_webhook(
    request: Request,
    job_id: Annotated[UUID | None, Query(description="Set by us in the webhook URL.")] = None,
) -> dict[str, str]:
    settings = get_settings()
    body = await _read_body(request, settings.webhook_max_body_bytes)
    try:
        verified = await run_in_threadpool(
            get_webhook_verifier().verify, dict(request.headers), body
        )
    except SignatureRejected as exc:
        logger.warning("webhook signature rejected", extra={"reason": exc.code})
        raise
    try:
        delivery = FalWebhookBody.model_validate(json.loads(body))
        video = delivery.video()
    except (ValueError, ValidationError) as exc:
        raise MalformedDelivery() from exc
    if delivery.request_id != verified.request_id:
        raise MalformedDelivery("The body's request_id differs from the signed one.")
    outcome = FalOutcome(
        request_id=delivery.request_id,
        ok=delivery.status == "OK",
        video_url=video.url if video else None,
        error=None if delivery.status == "OK" else delivery.error_text(),
    )
    record = partial(
        record_event,
        get_database(),
        request_id=delivery.request_id,
        gateway_request_id=delivery.gateway_request_id,
        job_id=job_id,
        payload_status=delivery.status,
    )

    def apply() -> str:
        try:
            result = get_job_finisher().finish(job_id, outcome)
        except AppError as exc:
            record(outcome="error", detail=exc.code)
            raise
        if result != "duplicate":  # fal's retries of an applied delivery: one lookup, no write
            record(outcome=result)
        return result

    result = await run_in_threadpool(apply)
    logger.info(
        "webhook applied",
        extra={"request_id": delivery.request_id, "job_id": str(job_id), "outcome": result},
    )
    return {"outcome": result}
