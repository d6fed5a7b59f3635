"""Who is calling: an API token (scripts) or the browser's session (with CSRF on writes)."""

import logging

from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import HttpBearer, SessionAuth

from accounts.models import ApiToken

logger = logging.getLogger(__name__)

# Schemes named in the log when refused; any other value may be a credential
# sent without a scheme, and is not repeated.
KNOWN_SCHEMES = frozenset({"basic", "digest", "negotiate", "ntlm", "token", "apikey", "hoba", "mutual"})


class BearerToken(HttpBearer):
    def __call__(self, request):
        scheme = request.headers.get(self.header, "").partition(" ")[0]
        if scheme and scheme.lower() != self.openapi_scheme:
            # Ninja would log the whole header at ERROR: a Basic one carries a password.
            named = scheme if scheme.lower() in KNOWN_SCHEMES else "an unknown scheme"
            logger.info("API refused an Authorization header with %s", named)
            return None
        return super().__call__(request)

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
