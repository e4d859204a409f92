"""The database's CA certificate as a file, which is how libpq wants it (`sslrootcert`).

In Lambda the PEM arrives as the `DATABASE_CA_CERT` setting (an SSM parameter read at cold
start) and the only writable folder is /tmp, so it is written there once per execution
environment. The file is named after its content: a rotated CA gets a new file, and two
processes writing the same certificate write the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def write_ca_file(pem: str, folder: str | None = None) -> Path:
    """The path of a file holding `pem`, written (atomically) if it is not there yet."""
    data = pem.strip().encode("ascii") + b"\n"
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = Path(folder or tempfile.gettempdir()) / f"videogen-db-ca-{digest}.pem"
    if path.exists() and path.read_bytes() == data:
        return path
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=".videogen-db-ca-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(partial, 0o644)  # a public certificate, read by this process only anyway
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path
