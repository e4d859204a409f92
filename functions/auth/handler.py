"""Lambda: registration (with its class code or invite), sign-in, token refresh and the
caller's profile."""

from mangum import Mangum

from videogen.api import create_app
from videogen.auth.router import router as auth_router
from videogen.settings import require_settings

# What this function is made of: its cold start fails, naming them, if their settings are
# missing, and it is deployed with these adapters' secrets only (tests/deploy).
ADAPTERS = ("database", "identity", "token_verifier", "school_codes")
require_settings(*ADAPTERS)
app = create_app(auth_router, title="VideoGen auth")
handler = Mangum(app, lifespan="off")
