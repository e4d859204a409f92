"""Postgres URLs for JDBC: the same database the API uses, spelled the way Java wants it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit


@dataclass(frozen=True)
class JdbcTarget:
    url: str
    user: str | None
    password: str | None


def to_jdbc(url: str, user: str | None = None, password: str | None = None) -> JdbcTarget:
    """Accepts `postgresql://user:pass@host:port/db?...` or `jdbc:postgresql://...`.

    Credentials move out of the URL into properties (so the URL is safe to log);
    `prepareThreshold=0` keeps pgjdbc off server-side prepared statements, which
    Supabase's transaction pooler does not keep.
    """
    raw = url.removeprefix("jdbc:")
    parts = urlsplit(raw)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError("the JDBC URL must be postgresql://… or jdbc:postgresql://…")
    query = dict(parse_qsl(parts.query))
    user = user or query.pop("user", None) or (unquote(parts.username) if parts.username else None)
    password = (
        password
        or query.pop("password", None)
        or (unquote(parts.password) if parts.password else None)
    )
    query.pop("user", None)
    query.pop("password", None)
    query.setdefault("prepareThreshold", "0")
    host = parts.hostname or "127.0.0.1"
    port = f":{parts.port}" if parts.port else ""
    jdbc_url = f"jdbc:postgresql://{host}{port}{parts.path or '/postgres'}?{urlencode(query)}"
    return JdbcTarget(jdbc_url, user, password)
