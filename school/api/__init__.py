"""The JSON API under /api/ (django-ninja): one error shape, token or session auth, rate limits.

Each app's endpoints live in its own ``api.py`` (``catalog.api``, ``enrollment.api``,
``accounts.api``) and call the same services and selectors as the pages; this
package holds what they share, and ``urls.py`` assembles them.
"""
