"""What the local stack sets in the environment for its own adapters: the settings name no
local service, so the stack says where its fal simulator's keys and media live."""

from __future__ import annotations

from urllib.parse import urlsplit

SIMULATOR_ACCOUNT_ID = "local-simulator"  # the fal account the simulator signs deliveries for


def simulator_environment(base_url: str) -> dict[str, str]:
    """The simulator serves its JWKS and its sample video from the local stack itself, over
    plain HTTP on the stack's own host."""
    base = base_url.rstrip("/")
    host = urlsplit(base).hostname or "127.0.0.1"
    return {
        "FAL_ACCOUNT_ID": SIMULATOR_ACCOUNT_ID,
        "FAL_JWKS_URL": f"{base}/local/fal/jwks.json",
        "FAL_MEDIA_HOSTS": f"fal.media,*.fal.media,{host}",
        "MEDIA_ALLOW_HTTP": "true",
    }
