"""What the API benchmarks share: an embedded Postgres, migrated, and the environment that
points the functions at it, at a fake fal server, at the local S3 server (SeaweedFS) and
at a local copy queue."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' fake fal server and API Gateway event builder

from tests.support.fal import FAL_USER_ID, WEBHOOK_SECRET, FakeFal
from videogen.db.migrations import migrate
from videogen.local.object_store import (
    LOCAL_ACCESS_KEY_ID,
    LOCAL_SECRET_ACCESS_KEY,
    SeaweedPorts,
    SeaweedS3,
)
from videogen.local.postgres import EmbeddedPostgres, free_port


@contextmanager
def stack() -> Iterator[tuple[str, FakeFal]]:
    workdir = Path(tempfile.mkdtemp(prefix="videogen-bench-"))
    s3 = SeaweedS3(workdir / "s3", SeaweedPorts.free())
    s3.spawn()
    postgres = EmbeddedPostgres(workdir / "pg", free_port())
    postgres.start()
    fal = FakeFal()
    try:
        s3.wait_ready()
        url = postgres.create_database("bench")
        migrate(url, ROOT / "supabase/migrations", ROOT / "supabase/local/bootstrap.sql")
        os.environ.update(
            APP_ENV="local",
            LOG_LEVEL="WARNING",
            DATABASE_URL=url,
            DB_POOL_MAX_SIZE="1",  # as in Lambda: one request at a time per process
            SUPABASE_JWT_SECRET="bench-secret-bench-secret-bench-secret-bench",
            STORAGE_ENDPOINT_URL=s3.endpoint_url,
            STORAGE_ACCESS_KEY_ID=LOCAL_ACCESS_KEY_ID,
            STORAGE_SECRET_ACCESS_KEY=LOCAL_SECRET_ACCESS_KEY,
            GENERATION_BACKEND="fal",
            FAL_KEY="bench",
            FAL_QUEUE_URL=fal.url,
            FAL_JWKS_URL=f"{fal.url}/.well-known/jwks.json",
            FAL_MEDIA_HOSTS="127.0.0.1",
            MEDIA_ALLOW_HTTP="true",
            FAL_ACCOUNT_ID=FAL_USER_ID,  # the account the fake fal signs deliveries for
            WEBHOOK_TOKEN_SECRET=WEBHOOK_SECRET,  # what tests.support.fal.webhook_query signs
            COPY_QUEUE_PATH=str(workdir / "copy-queue.sqlite3"),
        )
        yield url, fal
    finally:
        fal.close()
        postgres.stop()
        s3.stop()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values) * 1000, 2),
        "p99_ms": round(percentile(values, 0.99) * 1000, 2),
        "per_second": round(len(values) / sum(values), 1),
    }
