"""Lambda: fal.ai webhook deliveries (public route, signature verified in code)."""

from mangum import Mangum

from videogen.api import create_app
from videogen.settings import require_settings
from videogen.webhooks.router import router as webhooks_router

# What this function is made of: its cold start fails, naming them, if their settings are
# missing, and it is deployed with these adapters' secrets only (tests/deploy).
ADAPTERS = ("database", "fal_webhooks", "copy_queue")
require_settings(*ADAPTERS)
app = create_app(webhooks_router, title="VideoGen webhooks")
handler = Mangum(app, lifespan="off")
