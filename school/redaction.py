"""What may be written where: URIs with their credentials masked, and text made safe for a log line.

Visitors never see a URI, host or port at all (``school.views``); operators
(commands, the log, Django's debug page) see them through ``mask_uri``.
"""

import re

from django.views.debug import SafeExceptionReporterFilter

MASK = "****"
# Anything that looks like "scheme://": the rest is masked as a URI even when
# pymongo or urllib could not parse it (an unknown option, a raw "@" or "/"
# in the password).
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Options that carry a secret themselves (tlsCertificateKeyFilePassword,
# authMechanismProperties=AWS_SESSION_TOKEN:…).
SECRET_OPTION = re.compile(r"(?i)([?&][^=&]*(?:password|secret|token|properties)[^=&]*=)[^&]*")


def mask_uri(uri: str) -> str:
    """uri with its password (and secret options) replaced by ****, the user and hosts kept.

    The credentials end at the last "@": a host never contains one, while a
    password written unescaped may hold any number of them.
    """
    scheme = SCHEME.match(uri)
    prefix, rest = (uri[: scheme.end()], uri[scheme.end():]) if scheme else ("", uri)
    userinfo, at, location = rest.rpartition("@")
    if at:
        rest = f"{userinfo.partition(':')[0]}:{MASK}@{location}"
    return prefix + SECRET_OPTION.sub(rf"\g<1>{MASK}", rest)


def loggable(text: str) -> str:
    """text on one log line: control characters (a forged newline, an escape sequence) shown escaped."""
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text)


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, and every URI on the debug page (settings, frame variables) with credentials masked.

    MONGODB_URI and the databases' HOST match none of Django's hidden names;
    masking rather than hiding them keeps the host, which a developer needs.
    """

    URI_SETTINGS = frozenset({"MONGODB_URI", "HOST", "LOCATION", "REDIS_URL", "EMAIL_URL"})

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str) and (key in self.URI_SETTINGS or SCHEME.match(cleansed)):
            return mask_uri(cleansed)
        return cleansed

    def cleanse_special_types(self, request, value):
        value = super().cleanse_special_types(request, value)
        # A local variable holding a URI or a settings dictionary (pymongo's
        # and the backend's frames both have them) is cleansed like a setting.
        if isinstance(value, str | dict | list | tuple):
            return self.cleanse_setting("", value)
        return value
