"""A stand-in for Supabase's transaction pooler (Supavisor) at the one point that matters
here: which startup parameters reach Postgres.

Supavisor reads the client's startup packet into a fixed set of fields (user, database,
search_path, application_name, log_level; anything else is an "invalid option") and opens
its own server connections, so a client's `options=-c statement_timeout=…` never reaches
Postgres: https://github.com/supabase/supavisor/blob/main/lib/supavisor/client_handler/startup_params.ex
This relay does the same with a real Postgres behind it: it forwards a StartupMessage that
keeps only `user`, `database` and `application_name`, then relays bytes both ways. It
records what each client sent, so a test can also say what the client asked for.

Like Supavisor, it terminates TLS itself when given a certificate (answering the client's
SSLRequest with "S", https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL);
without one it answers "N". GSS encryption is always declined ("N").
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.support.tls import Issued

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
FORWARDED = ("user", "database", "application_name")


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    return data


def _parse_params(body: bytes) -> dict[str, str]:
    parts = body.split(b"\x00")
    params: dict[str, str] = {}
    for key, value in zip(parts[0::2], parts[1::2], strict=False):
        if key:
            params[key.decode()] = value.decode()
    return params


def _startup_message(protocol: int, params: dict[str, str]) -> bytes:
    body = struct.pack("!I", protocol)
    for key, value in params.items():
        body += key.encode() + b"\x00" + value.encode() + b"\x00"
    body += b"\x00"
    return struct.pack("!I", len(body) + 4) + body


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@dataclass
class StartupFilteringPooler:
    upstream_port: int
    upstream_host: str = "127.0.0.1"
    tls: Issued | None = None
    startups: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._tls_context: ssl.SSLContext | None = None
        if self.tls is not None:
            folder = Path(tempfile.mkdtemp(prefix="pooler-tls-"))
            (folder / "cert.pem").write_text(self.tls.cert_pem)
            (folder / "key.pem").write_text(self.tls.key_pem)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
            self._tls_context = context
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, upstream_url: str) -> str:
        """`upstream_url` (its login and database) through this pooler."""
        parts = urlsplit(upstream_url)
        login = parts.netloc.rsplit("@", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{login}@127.0.0.1:{self.port}"))

    def close(self) -> None:
        self._closed = True
        self._server.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            while True:
                (length,) = struct.unpack("!I", _read_exact(client, 4))
                body = _read_exact(client, length - 4)
                (code,) = struct.unpack("!I", body[:4])
                if code == SSL_REQUEST and self._tls_context is not None:
                    client.sendall(b"S")
                    client = self._tls_context.wrap_socket(client, server_side=True)
                    continue
                if code in (SSL_REQUEST, GSSENC_REQUEST):
                    client.sendall(b"N")
                    continue
                break
            upstream = socket.create_connection((self.upstream_host, self.upstream_port))
            if code == CANCEL_REQUEST:
                upstream.sendall(struct.pack("!I", length) + body)
                upstream.close()
                client.close()
                return
            sent = _parse_params(body[4:])
            self.startups.append(sent)
            kept = {k: v for k, v in sent.items() if k in FORWARDED}
            upstream.sendall(_startup_message(code, kept))
        except (OSError, ConnectionError):
            client.close()
            return
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)
