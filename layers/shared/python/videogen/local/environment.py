"""What the local stack sets in the environment for its own adapters: the settings name no
local service, so the stack says where its fal simulator's keys and media live."""

from __future__ import annotations

from urllib.parse import urlsplit

SIMULATOR_ACCOUNT_ID = "local-simulator"  # the fal account the simulator signs deliveries for


def simulator_environment(base_url: str) -> dict[str, str]:
    """The simulator serves its JWKS and its sample video from the local stack itself, over
    plain HTTP. Videos are fetched from that address (host and port) and nowhere else: with
    the bare host allowed, a signed delivery could make the stack fetch any local port
    (the database, the S3 server's admin ports)."""
    base = base_url.rstrip("/")
    parts = urlsplit(base)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {
        "FAL_ACCOUNT_ID": SIMULATOR_ACCOUNT_ID,
        "FAL_JWKS_URL": f"{base}/local/fal/jwks.json",
        "FAL_MEDIA_HOSTS": f"{host}:{port}",
        "MEDIA_ALLOW_HTTP": "true",
    }
