"""The local stack's data (`.data/`: videos in the S3 server's folder, the database, local
secrets) is readable by its owner only: folders 0700, files 0600.

Stored videos were world-readable (0644) before, so anyone with an account on the machine
could read every student's videos. New files get the mode from the umask the stack runs
with (its child processes, SeaweedFS and Postgres, inherit it); files left by earlier runs
are tightened on start.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

#: The umask for the local stack and the servers it starts: no group or other bits.
PRIVATE_UMASK = 0o077
FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private(root: Path) -> None:
    """Creates `root` if missing, then sets every folder under it (itself included) to 0700
    and every file to 0600. Symbolic links are left alone (chmod would follow them)."""
    root.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    root.chmod(FOLDER_MODE)
    for folder, folders, files in os.walk(root):
        base = Path(folder)
        for name in folders:
            if not (base / name).is_symlink():
                (base / name).chmod(FOLDER_MODE)
        for name in files:
            if not (base / name).is_symlink():
                (base / name).chmod(FILE_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Writes a file that is 0600 from its first byte (no window at the umask's mode)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with open(fd, "wb") as handle:
        handle.write(data)
    path.chmod(FILE_MODE)  # an existing file keeps its mode through os.open


def open_private(path: Path) -> BinaryIO:
    """Opens `path` for writing (truncated), 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    path.chmod(FILE_MODE)
    return open(fd, "wb")
