"""DELETE /me: the caller erases their account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from videogen.account.service import delete_account
from videogen.auth.deps import ActiveUser, Identity
from videogen.db import Database, get_database
from videogen.settings import require_settings
from videogen.storage.base import ObjectStore
from videogen.storage.deps import get_object_store

router = APIRouter(tags=["account"])
Store = Annotated[ObjectStore, Depends(get_object_store)]


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete my account and videos; my jobs are kept anonymised",
)
def delete_me(
    user: ActiveUser,
    db: Annotated[Database, Depends(get_database)],
    store: Store,
    identity: Identity,
) -> Response:
    # The key of the email hash that keeps today's usage (account/usage.py).
    secret = require_settings("webhook_urls").webhook_token_secret
    assert secret is not None  # required above
    delete_account(db, store, identity, user.id, usage_secret=secret.get_secret_value())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
