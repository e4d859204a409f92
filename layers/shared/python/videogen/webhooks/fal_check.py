"""Asks fal's queue about one submitted job and settles it as its webhook would have: the
one code path of reconciliation (a missed webhook) and of an admin's re-check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from videogen import logs
from videogen.copies.queue import CopyQueue, CopyTask
from videogen.copies.worker import video_url_of
from videogen.db import Database
from videogen.generations import repository as repo
from videogen.generations.provider import GenerationProvider, ProviderStatus
from videogen.webhooks.recorder import DeliveryRecorder, FalOutcome


@dataclass(frozen=True)
class FalCheck:
    """What fal said (`status`) and what was done: `still_queued`, `in_progress`, or
    `finished_<recorder outcome>` (finishing, failed, cancelled, duplicate)."""

    result: str
    status: ProviderStatus


def ask_fal(
    job: dict[str, Any],
    *,
    provider: GenerationProvider,
    db: Database,
    recorder: DeliveryRecorder,
    copy_queue: CopyQueue,
) -> FalCheck:
    """`job` has a fal request id. A finished request goes through the `DeliveryRecorder`
    (exactly once, under the job's row lock) and an OK one's copy is queued. Raises
    ProviderUnavailable (nothing changed), ProviderRejected (fal refused the status or the
    result: the caller decides), QueueUnavailable (recorded, copy not queued)."""
    status = provider.status(job["model"], job["fal_request_id"])
    if status.state == "IN_QUEUE":
        return FalCheck("still_queued", status)
    if status.state == "IN_PROGRESS":
        with db.connection() as conn:
            repo.mark_started(conn, job["id"])
        return FalCheck("in_progress", status)
    ids = (job["fal_request_id"],)
    if status.error:
        outcome = FalOutcome(ids, ok=False, error=status.error)
    else:
        url = video_url_of(provider.result(job["model"], job["fal_request_id"]))
        outcome = FalOutcome(ids, ok=True, video_url=url)
    result = recorder.record(job["id"], outcome)
    if result.needs_copy:
        copy_queue.send(CopyTask(job["id"], origin_request_id=logs.request_id()))
    return FalCheck("finished_" + result.outcome, status)
