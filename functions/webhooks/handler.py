"""Lambda: fal.ai webhook deliveries (public route, signature verified in code)."""

from mangum import Mangum

from videogen.api import create_app
from videogen.webhooks.router import router as webhooks_router

app = create_app(webhooks_router, title="VideoGen webhooks")
handler = Mangum(app, lifespan="off")
