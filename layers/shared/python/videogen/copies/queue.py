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

    def to_json(self) -> str:
        return json.dumps({"job_id": str(self.job_id)})

    @classmethod
    def from_json(cls, body: str) -> CopyTask:
        return cls(UUID(json.loads(body)["job_id"]))


class CopyQueue(Protocol):
    def send(self, task: CopyTask) -> None:
        """Queues the task durably; raises QueueUnavailable if it could not."""


def retry_delay(attempt: int, base_seconds: int, cap_seconds: int = 900) -> int:
    """Exponential back-off: base, 2 x base, 4 x base, ... capped (15 min by default)."""
    return int(min(base_seconds * 2 ** max(attempt - 1, 0), cap_seconds))
