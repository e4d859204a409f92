"""Signed-out sessions, so that their access tokens stop working before they expire.

Signing out revokes a session's refresh tokens at the identity service, but its access token
(a JWT, checked without asking anyone) stays valid until `exp`. The app's database role has
no grants on Supabase's `auth` schema, so the logout route records the session here, in
`public.revoked_sessions`, and the routes that spend money or change data look it up (one
primary-key read). A row is useless once the token it names has expired; logouts purge those.
Sessions that Supabase Auth ends by itself (refresh-token reuse, a sign-out elsewhere, a
deleted user) are refused too: `public.session_is_active` reads `auth.sessions` for the app
(supabase/migrations/20261126000400_active_sessions.sql).
"""

from __future__ import annotations

from uuid import UUID

from videogen.auth.errors import InvalidToken
from videogen.auth.tokens import AuthenticatedUser
from videogen.db import Database

_PURGE_BATCH = 100


def session_of(user: AuthenticatedUser) -> UUID:
    """The token's `session_id` (Supabase's and the local store's tokens always carry one)."""
    try:
        return UUID(str(user.session_id))
    except ValueError as exc:
        raise InvalidToken("The access token names no session.") from exc


def record_revoked(db: Database, session_id: UUID, user_id: UUID, expires_at: int) -> None:
    """Idempotent: signing out twice keeps the first record."""
    with db.connection() as conn:
        conn.execute(
            """insert into public.revoked_sessions (session_id, user_id, expires_at)
               values (%s, %s, to_timestamp(%s))
               on conflict (session_id) do nothing""",
            (session_id, user_id, expires_at),
        )
        conn.execute(
            """delete from public.revoked_sessions where session_id in (
                 select session_id from public.revoked_sessions
                 where expires_at < now() order by expires_at limit %s)""",
            (_PURGE_BATCH,),
        )


def is_revoked(db: Database, session_id: UUID) -> bool:
    """Signed out here, or ended (or never held) by the identity service."""
    with db.connection() as conn:
        row = conn.execute(
            """select exists (select 1 from public.revoked_sessions where session_id = %s)
                      or not public.session_is_active(%s) as revoked""",
            (session_id, session_id),
        ).fetchone()
    return bool(row and row["revoked"])
