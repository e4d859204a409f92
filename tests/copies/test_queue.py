"""Copy-task messages: what the webhook and reconciliation queue, what the worker reads."""

from __future__ import annotations

import json
from uuid import uuid4

from videogen.copies.queue import CopyTask


def test_task_carries_the_request_that_queued_it() -> None:
    task = CopyTask(uuid4(), origin_request_id="apigw-1234")
    assert json.loads(task.to_json()) == {
        "job_id": str(task.job_id),
        "origin_request_id": "apigw-1234",
    }
    assert CopyTask.from_json(task.to_json()) == task


def test_messages_queued_before_the_origin_field_are_still_read() -> None:
    job_id = uuid4()
    assert CopyTask.from_json(json.dumps({"job_id": str(job_id)})) == CopyTask(job_id)
    assert json.loads(CopyTask(job_id).to_json()) == {"job_id": str(job_id)}
    # a mangled origin is dropped, not trusted: the task itself still runs
    mangled = json.dumps({"job_id": str(job_id), "origin_request_id": {"x": 1}})
    assert CopyTask.from_json(mangled) == CopyTask(job_id)
