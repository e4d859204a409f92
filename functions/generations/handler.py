"""Lambda: the model list, submitting and following generations, deleting one's account."""

from mangum import Mangum

from videogen.account.router import router as account_router
from videogen.api import create_app
from videogen.generations.router import router as generations_router
from videogen.settings import require_settings

# What this function is made of: its cold start fails, naming them, if their settings are
# missing, and it is deployed with these adapters' secrets only (tests/deploy).
ADAPTERS = ("database", "token_verifier", "storage", "fal", "webhook_urls", "account_deletion")
require_settings(*ADAPTERS)
app = create_app(generations_router, account_router, title="VideoGen generations")
handler = Mangum(app, lifespan="off")
