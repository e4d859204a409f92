"""Issue 13, "Local stack": stored videos were world-readable (0644), and so was the rest of
`.data` but the secrets. Everything the local stack keeps is its owner's alone."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

from videogen.local.object_store import SeaweedS3
from videogen.local.private_files import make_private


def loose(root: Path, exempt: str | None = None) -> list[str]:
    """Everything under `root` (itself included) that a group or other user may use."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode) or (exempt and path.match(exempt)):
            continue
        expected = 0o700 if stat.S_ISDIR(mode) or stat.S_ISSOCK(mode) else 0o600
        if stat.S_IMODE(mode) != expected:
            found.append(f"{path.relative_to(root)}: {oct(stat.S_IMODE(mode))}")
    return found


def test_stored_videos_are_not_world_readable(local_s3: SeaweedS3, s3) -> None:  # type: ignore[no-untyped-def]
    key = f"videos/{uuid.uuid4()}.mp4"
    s3.put_object(Bucket="videos", Key=key, Body=b"\0\0\0\x18ftypmp42" * 1000)
    assert s3.get_object(Bucket="videos", Key=key)["Body"].read()[4:8] == b"ftyp"
    volumes = list(local_s3.data_dir.glob("videos_*.dat"))  # where the video bytes are
    assert volumes, sorted(p.name for p in local_s3.data_dir.iterdir())
    # SeaweedFS chmods each volume's info file (`.vif`: version and replication, no content)
    # to 0644 itself, whatever the umask; the 0700 folder keeps it out of reach all the same.
    assert loose(local_s3.data_dir, exempt="*.vif") == []


def test_local_data_of_earlier_runs_is_made_private(tmp_path: Path) -> None:
    data = tmp_path / ".data"
    (data / "s3" / "filerldb2").mkdir(parents=True)
    (data / "s3" / "videos_1.dat").write_bytes(b"video")
    (data / "copy-queue.sqlite3").write_bytes(b"queue")
    (data / "link").symlink_to(tmp_path)  # left alone: chmod would change its target
    for path in (data, data / "s3", data / "s3" / "filerldb2"):
        path.chmod(0o755)
    for path in (data / "s3" / "videos_1.dat", data / "copy-queue.sqlite3"):
        path.chmod(0o644)
    tmp_path.chmod(0o755)

    make_private(data)

    assert loose(data) == []
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


def test_make_run_writes_private_files(tmp_path: Path) -> None:
    """`make run` sets the umask its servers and the copy queue's SQLite inherit (in a child
    process: a umask is process-wide)."""
    script = (
        "import sqlite3, sys\n"
        "from pathlib import Path\n"
        "from videogen.local.__main__ import local_secret, private_data\n"
        "data = private_data(Path(sys.argv[1]))\n"
        "sqlite3.connect(data / 'copy-queue.sqlite3').execute('create table t (x)').close()\n"
        "(data / 'postgres').mkdir()\n"
        "local_secret(data / 'jwt-secret')\n"
    )
    old = os.umask(0o022)  # a usual login umask, inherited by the child
    try:
        subprocess.run([sys.executable, "-c", script, str(tmp_path / ".data")], check=True)
    finally:
        os.umask(old)
    data = tmp_path / ".data"
    assert {p.name for p in data.iterdir()} == {"copy-queue.sqlite3", "postgres", "jwt-secret"}
    assert loose(data) == []
