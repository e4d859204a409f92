"""The copy queue on a local SQLite file, with SQS's semantics: a received message is
leased (invisible) for a while, acknowledged by deleting it, made visible again after a
back-off on failure, and moved to a dead-letter table after `max_attempts` receives.

It is what `make run` and the tests feed the copy worker through: the same worker code as
on Lambda, behind a real queue, not a direct call. SQLite (standard library) keeps the
tasks across restarts and serializes concurrent consumers with its write lock.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from videogen.copies.queue import CopyTask, QueueUnavailable, retry_delay

if TYPE_CHECKING:
    from videogen.copies.worker import CopyWorker

logger = logging.getLogger(__name__)

SCHEMA = """
create table if not exists messages (
  id integer primary key autoincrement,
  body text not null,
  visible_at real not null,
  receive_count integer not null default 0
);
create table if not exists dead_letters (
  id integer primary key,
  body text not null,
  receive_count integer not null,
  dead_at real not null
);
"""


@dataclass(frozen=True)
class Message:
    id: int
    body: str
    receive_count: int


class SqliteCopyQueue:
    def __init__(self, path: str | Path, *, lease_seconds: float = 900) -> None:
        self.path = Path(path)
        self.lease_seconds = lease_seconds
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    # --- the port ---
    def send(self, task: CopyTask) -> None:
        try:
            with self._db() as db:
                db.execute(
                    "insert into messages (body, visible_at) values (?, ?)",
                    (task.to_json(), time.time()),
                )
        except sqlite3.Error as exc:
            raise QueueUnavailable(str(exc)) from exc

    # --- the consumer side (Lambda's event source mapping does this for SQS) ---
    def receive(self, max_messages: int = 10) -> list[Message]:
        """Leases up to `max_messages` visible messages."""
        now = time.time()
        with self._db() as db:
            db.execute("begin immediate")
            rows = db.execute(
                "select id, body, receive_count from messages where visible_at <= ? "
                "order by id limit ?",
                (now, max_messages),
            ).fetchall()
            for row in rows:
                db.execute(
                    "update messages set visible_at = ?, receive_count = receive_count + 1 "
                    "where id = ?",
                    (now + self.lease_seconds, row[0]),
                )
            db.execute("commit")
        return [Message(r[0], r[1], r[2] + 1) for r in rows]

    def ack(self, message: Message) -> None:
        with self._db() as db:
            db.execute("delete from messages where id = ?", (message.id,))

    def retry_later(self, message: Message, delay_seconds: float) -> None:
        with self._db() as db:
            db.execute(
                "update messages set visible_at = ? where id = ?",
                (time.time() + delay_seconds, message.id),
            )

    def dead_letter(self, message: Message) -> None:
        with self._db() as db:
            db.execute("begin immediate")
            db.execute(
                "insert or replace into dead_letters (id, body, receive_count, dead_at) "
                "values (?, ?, ?, ?)",
                (message.id, message.body, message.receive_count, time.time()),
            )
            db.execute("delete from messages where id = ?", (message.id,))
            db.execute("commit")

    def depth(self) -> tuple[int, int]:
        """(messages waiting or leased, dead letters)."""
        with self._db() as db:
            waiting = db.execute("select count(*) from messages").fetchone()[0]
            dead = db.execute("select count(*) from dead_letters").fetchone()[0]
        return waiting, dead


def consume_once(
    queue: SqliteCopyQueue, worker: CopyWorker, *, max_attempts: int, retry_base_seconds: int
) -> int:
    """One poll: processes what is visible now; returns how many messages it handled."""
    messages = queue.receive()
    for message in messages:
        try:
            task = CopyTask.from_json(message.body)
        except (ValueError, KeyError, TypeError):
            logger.error("copy task unreadable, dead-lettered", extra={"message_id": message.id})
            queue.dead_letter(message)
            continue
        attempt = message.receive_count
        result = worker.process(
            task.job_id,
            attempt=attempt,
            max_attempts=max_attempts,
            origin_request_id=task.origin_request_id,
        )
        if result != "retry":
            queue.ack(message)
        elif attempt >= max_attempts:
            logger.error(
                "copy task dead-lettered", extra={"job_id": str(task.job_id), "attempts": attempt}
            )
            queue.dead_letter(message)
        else:
            queue.retry_later(message, retry_delay(attempt, retry_base_seconds))
    return len(messages)


class LocalCopyConsumer:
    """Polls the local queue in a background thread, as Lambda polls SQS in production."""

    def __init__(
        self,
        queue: SqliteCopyQueue,
        worker: CopyWorker,
        *,
        max_attempts: int,
        retry_base_seconds: int,
        poll_seconds: float = 0.5,
        after_batch: Callable[[], object] = lambda: None,
    ) -> None:
        self._consume = partial(
            consume_once,
            queue,
            worker,
            max_attempts=max_attempts,
            retry_base_seconds=retry_base_seconds,
        )
        self._poll = poll_seconds
        self._after_batch = after_batch  # the orphan sweep, as after each Lambda batch
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="copy-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self._consume()
                if handled:
                    self._after_batch()
            except Exception:
                logger.exception("local copy consumer failed; polling again")
                handled = 0
            if not handled:
                self._stop.wait(self._poll)
