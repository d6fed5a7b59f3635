"""What the catalog tells the apps built on it, which it never imports.

``course_page_sections`` is sent while a course's page is rendered, with
``request``, ``course`` and ``prerequisites`` (already read, so a receiver
costs no query for them); each receiver returns HTML for a section below the
course's facts. The enrollment app connects "Your enrollment" in its
``AppConfig.ready``.
"""

from django.dispatch import Signal

course_page_sections = Signal()
