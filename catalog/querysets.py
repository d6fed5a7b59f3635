from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class TermQuerySet(models.QuerySet):
    def current_or_next(self, now=None):
        """Terms that have not ended, soonest first."""
        today = timezone.localdate(now or timezone.now())
        return self.filter(ends_on__gte=today).order_by("starts_on")


class CourseQuerySet(models.QuerySet):
    def with_term(self):
        return self.select_related("term")

    def with_open_seats(self):
        return self.filter(enrolled_count__lt=F("capacity"))

    def search(self, text: str):
        """Courses whose code, title or instructor contain text (any case).

        The text is a plain value in a regex built by Django, never a query
        document, so MongoDB operators in it mean nothing.
        """
        text = text.strip()
        if not text:
            return self
        compact = text.replace(" ", "")
        return self.filter(
            Q(code__icontains=compact) | Q(title__icontains=text) | Q(instructor__icontains=text)
        )
