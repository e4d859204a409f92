"""Copying a finished video from fal's media host into our storage, out of band.

The webhook only records fal's word and queues a copy task (`queue.py`); the copy worker
(`worker.py`) downloads and uploads with no transaction open, then completes the job in
one short transaction. SQS feeds the worker in production (`sqs.py`), a SQLite-backed queue
with the same semantics locally (`sqlite_queue.py`).
"""
