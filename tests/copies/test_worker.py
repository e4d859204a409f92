"""The copy worker over the copy queue: a failed download is retried by the queue, an
exhausted task goes to the dead-letter queue (videogen.copies)."""

from __future__ import annotations

from tests.support.copies import run_copy_worker
from tests.webhooks.test_webhooks import deliver, job_status


def test_media_host_failure_is_retried_by_the_queue_then_copied(
    webhooks, fal, submitted, db, configure
) -> None:
    _, job, request_id = submitted
    configure(COPY_RETRY_BASE_SECONDS="0")
    fal.media_status = 404
    assert deliver(webhooks, job["id"], *fal.delivery(request_id)).status_code == 200
    from videogen.copies.deps import get_copy_queue

    run_copy_worker(max_polls=2)
    assert job_status(db, job["id"]) == "finishing"
    assert get_copy_queue().depth() == (1, 0)  # waiting for its next attempt
    fal.media_status = 200
    run_copy_worker()
    assert job_status(db, job["id"]) == "completed"
    assert get_copy_queue().depth() == (0, 0)


def test_exhausted_copy_task_goes_to_the_dead_letter_queue(
    webhooks, fal, submitted, db, configure
) -> None:
    _, job, request_id = submitted
    configure(COPY_RETRY_BASE_SECONDS="0", COPY_MAX_ATTEMPTS="3")
    fal.media_status = 503
    deliver(webhooks, job["id"], *fal.delivery(request_id))
    from videogen.copies.deps import get_copy_queue

    run_copy_worker()
    assert get_copy_queue().depth() == (0, 1)
    assert job_status(db, job["id"]) == "finishing"  # kept for a redrive, not lost
