"""The local stack as `make run` serves it, in-process: uvicorn in a thread on a free port."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from videogen.local.app import build_local_app
from videogen.local.environment import simulator_environment
from videogen.local.object_store import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY
from videogen.local.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def local_stack(configure: Callable[..., None], simulator_delay: float) -> Iterator[str]:
    """Serves every function's routes (and web/) on 127.0.0.1; yields the base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    configure(
        PUBLIC_BASE_URL=base,
        SUPABASE_URL=base,
        SIMULATOR_DELAY_SECONDS=str(simulator_delay),
        **simulator_environment(base),
    )
    server = uvicorn.Server(
        uvicorn.Config(build_local_app(ROOT), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "local server did not start"
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def kpi_settings(runs_dir: Path, s3_endpoint: str, output: str) -> dict[str, str]:
    """`make run`'s KPI settings (for `configure`): the local runner's job writes Parquet to
    `output` (`s3://kpis/…`) on the S3 server, with the stack's keys, as EMR writes to S3."""
    return {
        "KPI_RUNS_DIR": str(runs_dir),
        "KPI_OUTPUT_PATH": output,
        "KPI_S3_ENDPOINT_URL": s3_endpoint,
        "KPI_S3_ACCESS_KEY_ID": LOCAL_ACCESS_KEY_ID,
        "KPI_S3_SECRET_ACCESS_KEY": LOCAL_SECRET_ACCESS_KEY,
    }
