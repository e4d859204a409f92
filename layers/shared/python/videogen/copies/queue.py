"""The copy-task queue port: what the webhook and reconciliation send, what the worker gets.

Delivery is at least once, as with SQS: a task may arrive twice and the worker is
idempotent (a job no longer `finishing` is acknowledged and left alone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


class QueueUnavailable(Exception):
    """The task could not be queued; the caller answers so that the sender retries."""


@dataclass(frozen=True)
class CopyTask:
    job_id: UUID
    # The request that queued it (the webhook delivery's API Gateway request id, or the
    # reconcile invocation's): the worker's log lines name it. Older messages lack it.
    origin_request_id: str | None = None

    def to_json(self) -> str:
        message = {"job_id": str(self.job_id)}
        if self.origin_request_id:
            message["origin_request_id"] = self.origin_request_id
        return json.dumps(message)

    @classmethod
    def from_json(cls, body: str) -> CopyTask:
        message = json.loads(body)
        origin = message.get("origin_request_id")
        return cls(UUID(message["job_id"]), origin if isinstance(origin, str) else None)


class CopyQueue(Protocol):
    def send(self, task: CopyTask) -> None:
        """Queues the task durably; raises QueueUnavailable if it could not."""


def retry_delay(attempt: int, base_seconds: int, cap_seconds: int = 900) -> int:
    """Exponential back-off: base, 2 x base, 4 x base, ... capped (15 min by default)."""
    return int(min(base_seconds * 2 ** max(attempt - 1, 0), cap_seconds))
