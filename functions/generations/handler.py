"""Lambda: the model list, submitting and following generations, deleting one's account."""

from mangum import Mangum

from videogen.account.router import router as account_router
from videogen.api import create_app
from videogen.generations.router import router as generations_router

app = create_app(generations_router, account_router, title="VideoGen generations")
handler = Mangum(app, lifespan="off")
