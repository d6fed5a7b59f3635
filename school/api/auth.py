"""Who is calling: an API token (scripts) or the browser's session (with CSRF on writes)."""

from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import HttpBearer, SessionAuth

from accounts.models import ApiToken


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = ApiToken.objects.user_for_key(token)
        if user is None:
            # Say so rather than fall back to the session: a script with a
            # revoked token should learn it at once.
            raise AuthenticationError(message="That API token is not valid: it may have expired or been revoked.")
        return user


# Tried in order; ninja's SessionAuth enforces CSRF for unsafe methods, and the
# authenticated user becomes request.auth either way.
TOKEN_OR_SESSION = [BearerToken(), SessionAuth()]


def require_permission(request, permission: str) -> None:
    """Refuse (403) a caller without permission: staff status alone is not one."""
    if not request.auth.has_perm(permission):
        raise AuthorizationError(message="You do not have permission to do that.")
