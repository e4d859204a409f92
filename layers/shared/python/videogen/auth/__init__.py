"""Registration, sign-in, token refresh and the signed-in user's profile."""
