"""Postgres URLs for JDBC: the same database the API uses, spelled the way Java wants it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

#: pgjdbc's socket factory that trusts exactly one certificate, given inline as PEM in
#: `sslfactoryarg` (also `file:`, `classpath:`, `env:`, `sys:`). Host names are checked by
#: pgjdbc itself after the handshake whatever the factory (`MakeSSL.verifyPeerName` when
#: sslmode is verify-full), so this is still verify-full, with no file on any node:
#: https://jdbc.postgresql.org/documentation/ssl/ (custom SSLSocketFactory)
#: https://jdbc.postgresql.org/documentation/use/ (sslmode, sslfactory, sslfactoryarg)
#: https://github.com/pgjdbc/pgjdbc/blob/REL42.5.5/pgjdbc/src/main/java/org/postgresql/ssl/SingleCertValidatingFactory.java
#: https://github.com/pgjdbc/pgjdbc/blob/REL42.5.5/pgjdbc/src/main/java/org/postgresql/ssl/MakeSSL.java
SINGLE_CERT_FACTORY = "org.postgresql.ssl.SingleCertValidatingFactory"
PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
VERIFYING_MODES = ("verify-ca", "verify-full")


@dataclass(frozen=True)
class JdbcTarget:
    url: str
    user: str | None
    password: str | None
    #: further pgjdbc connection properties (TLS): not secret, kept out of the URL
    tls: dict[str, str] = field(default_factory=dict)

    def properties(self) -> dict[str, str]:
        """Everything pgjdbc gets besides the URL: the same for Spark's parallel read (each
        executor connects with them) and for the driver's upsert connection."""
        props = dict(self.tls)
        if self.user:
            props["user"] = self.user
        if self.password:
            props["password"] = self.password
        return props


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


def trusting(target: JdbcTarget, ca_pem: str) -> JdbcTarget:
    """`target` verifying the server against `ca_pem` (Supabase's CA) instead of pgjdbc's
    default root file (`~/.postgresql/root.crt`, which no EMR node has).

    The URL must ask for verification itself (`sslmode=verify-full`, as production's does):
    trusting a CA on a connection that would not check it is a configuration mistake. One
    certificate only: SingleCertValidatingFactory reads the first PEM block and ignores the
    rest, so a bundle would silently trust less than it says.
    """
    query = dict(parse_qsl(urlsplit(target.url.removeprefix("jdbc:")).query))
    mode = query.get("sslmode")
    if mode not in VERIFYING_MODES:
        raise ValueError(
            f"a database CA certificate was given but the database URL's sslmode is "
            f"{mode or 'unset'}: use sslmode=verify-full"
        )
    if "sslrootcert" in query or "sslfactory" in query:
        raise ValueError(
            "the database URL names its own sslrootcert/sslfactory and a CA certificate "
            "was given: keep one"
        )
    pem = ca_pem.strip()
    blocks = pem.count(PEM_BEGIN)
    if not pem.startswith(PEM_BEGIN) or blocks != 1:
        raise ValueError(
            "the database CA must be exactly one PEM certificate "
            f"({PEM_BEGIN} …), found {blocks} certificate block(s)"
        )
    return replace(target, tls={"sslfactory": SINGLE_CERT_FACTORY, "sslfactoryarg": pem + "\n"})
