"""What the accounts pages tell the apps built on them, which accounts never imports.

``profile_page_sections`` is sent while the profile page is rendered, with
``request``; each receiver returns HTML for a section of the page (the
enrollment app shows the student's holds).
"""

from django.dispatch import Signal

profile_page_sections = Signal()
