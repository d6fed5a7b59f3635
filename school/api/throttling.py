"""Rate limits for the write endpoints, counted in the shared cache (settings.CACHES)."""

import time

from django.core.cache import cache
from ninja.throttling import BaseThrottle


class RateLimit(BaseThrottle):
    """At most ``count`` requests per ``seconds`` for each user, or each IP address when anonymous.

    A fixed window counted with ``cache.add`` then ``cache.incr``: both are
    atomic on every cache the project configures (Redis, ``school.cache``'s
    files, locmem in tests), so concurrent workers never lose a count and
    exactly ``count`` requests pass; the counter expires with its window.
    ``get_ident`` is REMOTE_ADDR, the client's address as
    ``school.middleware.ClientAddressMiddleware`` found it.
    """

    def __init__(self, scope: str, count: int, seconds: int):
        self.scope, self.count, self.seconds = scope, count, seconds

    def allow_request(self, request) -> bool:
        user = getattr(request, "auth", None)
        who = f"user:{user.pk}" if user is not None else f"ip:{self.get_ident(request)}"
        key = f"api-rate:{self.scope}:{who}:{int(time.time() // self.seconds)}"
        cache.add(key, 0, timeout=self.seconds)
        try:
            used = cache.incr(key)
        except ValueError:
            # The window ended between add and incr: this request opens the next.
            cache.set(key, 1, timeout=self.seconds)
            used = 1
        return used <= self.count

    def wait(self) -> float:
        return self.seconds - time.time() % self.seconds


# Enrolling and dropping: a student clicking as fast as a person can stays well under.
WRITES = RateLimit("writes", count=30, seconds=60)
# The public sign-up: a school's people sign up once each.
SIGNUPS = RateLimit("signups", count=10, seconds=60 * 60)
