"""Lambda: registration, sign-in, token refresh and the caller's profile."""

from mangum import Mangum

from videogen.api import create_app
from videogen.auth.router import router as auth_router

app = create_app(auth_router, title="VideoGen auth")
handler = Mangum(app, lifespan="off")
