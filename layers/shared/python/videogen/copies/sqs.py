"""The copy queue on Amazon SQS, and the Lambda side that consumes it.

Lambda's SQS event source mapping is the lease: a received message stays invisible for the
queue's visibility timeout while the worker runs. A transient failure is reported as a
batch item failure (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html)
after the message's visibility is set to the back-off delay; after `maxReceiveCount`
receives SQS moves it to the dead-letter queue, whose depth raises an alarm.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from videogen.copies.queue import CopyTask, QueueUnavailable, retry_delay

if TYPE_CHECKING:
    from videogen.copies.worker import CopyWorker

logger = logging.getLogger(__name__)


class SqsCopyQueue:
    def __init__(self, queue_url: str, *, client: Any = None, region: str | None = None) -> None:
        self.queue_url = queue_url
        self._client = client
        self._region = region

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # only a function that queues pays for boto3

            self._client = boto3.client("sqs", region_name=self._region)
        return self._client

    def send(self, task: CopyTask) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.send_message(QueueUrl=self.queue_url, MessageBody=task.to_json())
        except (BotoCoreError, ClientError) as exc:
            raise QueueUnavailable(str(exc)) from exc


def handle_sqs_event(
    event: dict[str, Any],
    worker: CopyWorker,
    queue: SqsCopyQueue,
    *,
    max_attempts: int,
    retry_base_seconds: int,
) -> dict[str, list[dict[str, str]]]:
    """Processes an SQS batch; returns the partial-batch response (`ReportBatchItemFailures`)."""
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        message_id = record["messageId"]
        attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            task = CopyTask.from_json(record["body"])
        except (ValueError, KeyError, TypeError):
            logger.error("copy task unreadable, dropped", extra={"message_id": message_id})
            continue
        outcome = worker.process(
            task.job_id,
            attempt=attempt,
            max_attempts=max_attempts,
            origin_request_id=task.origin_request_id,
        )
        if outcome != "retry":
            continue
        failures.append({"itemIdentifier": message_id})
        if attempt < max_attempts:
            _delay(queue, record["receiptHandle"], retry_delay(attempt, retry_base_seconds))
    return {"batchItemFailures": failures}


def _delay(queue: SqsCopyQueue, receipt_handle: str, seconds: int) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        queue.client.change_message_visibility(
            QueueUrl=queue.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )
    except (BotoCoreError, ClientError):
        logger.warning("could not set the retry delay; the visibility timeout applies")
