import datetime
import functools
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .querysets import CourseQuerySet, TermQuerySet

MIN_CREDITS = 1
MAX_CREDITS = 10
WEEKDAYS = "MTWRFSU"
# Grades are due this long after a term's last day unless its page says otherwise.
GRADES_DUE_AFTER = datetime.timedelta(days=14)
WEEKDAY_NAMES = dict(zip(WEEKDAYS, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], strict=True))

course_code_validator = RegexValidator(
    r"^[A-Z]{2,6}[0-9]{3,4}[A-Z]?(-[A-Z0-9]{1,4})?$",
    _("Use letters then digits, e.g. CS101 or MATH2010, and optionally a section such as CS101-SP."),
)


def normalize_course_code(code: str) -> str:
    """A course code as it is stored and looked up: "cs 101" is CS101."""
    return code.replace(" ", "").upper()


def course_url(code: str, url_name: str = "catalog:course_detail") -> str:
    """The address of a course's page, or of another URL that takes only a course code.

    ``reverse()`` once per URL name and script prefix, not once per course of a list.
    """
    pattern = _course_url_pattern(url_name, get_script_prefix())
    return pattern.replace(_CODE_PLACEHOLDER, quote(code, safe=_URL_SAFE))


# reverse() quotes an argument keeping these (and letters, digits and "_.-~").
_URL_SAFE = "!$&'()*+,;=/~:@"
_CODE_PLACEHOLDER = "__code__"


@functools.lru_cache(maxsize=32)
def _course_url_pattern(url_name: str, script_prefix: str) -> str:
    return reverse(url_name, args=[_CODE_PLACEHOLDER])


class Term(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    enrollment_opens_at = models.DateTimeField(_("enrollment opens at"))
    enrollment_closes_at = models.DateTimeField(_("enrollment closes at"))
    drop_deadline = models.DateTimeField(_("drop deadline"))
    # Never empty once saved: save() fills it in from the term's last day.
    grades_due_at = models.DateTimeField(
        _("grades due at"), blank=True,
        help_text=_("Instructors submit grades from the term's last day until then. "
                    "Left blank: two weeks after the last day."),
    )
    # After the drop deadline and until this one, a student withdraws instead
    # of dropping: the course stays on their transcript with a W.
    withdraw_deadline = models.DateTimeField(
        _("withdrawal deadline"),
        help_text=_("From the drop deadline until this one, students withdraw (grade W) instead of dropping."),
    )

    objects = TermQuerySet.as_manager()

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["starts_on"], name="term_starts_on")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.grades_due_at is None:
            self.grades_due_at = self.default_grades_due_at()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{reverse('catalog:course_list')}?term={self.slug}"

    def clean(self):
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            errors["ends_on"] = _("A term must end after it starts.")
        opens, closes = self.enrollment_opens_at, self.enrollment_closes_at
        if opens and closes and closes <= opens:
            errors["enrollment_closes_at"] = _("Enrollment must close after it opens.")
        if opens and self.drop_deadline and self.drop_deadline < opens:
            errors["drop_deadline"] = _("The drop deadline cannot come before enrollment opens.")
        if self.ends_on and self.grades_due_at is None:
            self.grades_due_at = self.default_grades_due_at()
        if self.ends_on and self.grades_due_at and self.grades_due_at <= self.grading_opens_at:
            errors["grades_due_at"] = _("Grades cannot be due before the term's last day.")
        if self.drop_deadline and self.withdraw_deadline and self.withdraw_deadline < self.drop_deadline:
            errors["withdraw_deadline"] = _("The withdrawal deadline cannot come before the drop deadline.")
        if errors:
            raise ValidationError(errors)

    def default_grades_due_at(self) -> datetime.datetime:
        return self.grading_opens_at + GRADES_DUE_AFTER

    @property
    def grading_opens_at(self) -> datetime.datetime:
        """The start of the term's last day: instructors may submit grades from then."""
        return timezone.make_aware(datetime.datetime.combine(self.ends_on, datetime.time.min))

    def is_grading_open(self, now=None) -> bool:
        return self.grading_opens_at <= (now or timezone.now()) < self.grades_due_at

    def is_enrollment_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.enrollment_opens_at <= now < self.enrollment_closes_at

    def is_drop_open(self, now=None) -> bool:
        return (now or timezone.now()) < self.drop_deadline

    def is_withdraw_open(self, now=None) -> bool:
        """Past the drop deadline, before the withdrawal deadline."""
        return self.drop_deadline <= (now or timezone.now()) < self.withdraw_deadline


class Course(models.Model):
    code = models.CharField(
        _("code"), max_length=16, unique=True, validators=[course_code_validator],
        help_text=_("Unique, used in addresses, e.g. CS101; CS101-SP for a second offering of CS101."),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    instructor = models.CharField(_("instructor"), max_length=100, blank=True)
    credits = models.PositiveSmallIntegerField(
        _("credits"), validators=[MinValueValidator(MIN_CREDITS), MaxValueValidator(MAX_CREDITS)]
    )
    # Indexed by the (term, code) index below, which leads with it.
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="courses", verbose_name=_("term"), db_index=False
    )
    capacity = models.PositiveIntegerField(_("capacity"), help_text=_("Seats; 0 means waitlist only."))
    meeting_days = models.CharField(
        _("meeting days"), max_length=7, blank=True,
        help_text=_("Letters from MTWRFSU (R is Thursday, U is Sunday), e.g. MWF."),
    )
    starts_at = models.TimeField(_("starts at"), null=True, blank=True)
    ends_at = models.TimeField(_("ends at"), null=True, blank=True)
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="required_for", verbose_name=_("prerequisites")
    )
    # Seat counters, changed only by enrollment.services with atomic $inc
    # updates: the database, not Python, decides who gets the last seat.
    enrolled_count = models.PositiveIntegerField(_("enrolled"), default=0, editable=False)
    waitlist_count = models.PositiveIntegerField(_("waitlisted"), default=0, editable=False)
    # Kept by enrollment.permits: no permit for this course is valid after
    # this day (raised before a permit is written, never lowered), so a page
    # or an enrollment looks for a student's permit only where one may apply.
    permits_until = models.DateField(_("permits valid until"), null=True, blank=True, editable=False)

    objects = CourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["term", "code"], name="course_term_code"),
            models.Index(fields=["credits", "code"], name="course_credits_code"),
            models.Index(fields=["instructor"], name="course_instructor"),
            models.Index(fields=["title"], name="course_title"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return course_url(self.code)

    @property
    def subject_code(self) -> str:
        """The code without its section: every offering of CS101 (CS101, CS101-SP) shares it."""
        return self.code.split("-")[0]

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled_count, 0)

    @property
    def is_full(self) -> bool:
        return self.enrolled_count >= self.capacity

    @property
    def has_schedule(self) -> bool:
        return bool(self.meeting_days and self.starts_at and self.ends_at)

    @property
    def schedule_display(self) -> str:
        if not self.has_schedule:
            return ""
        days = "/".join(WEEKDAY_NAMES[day] for day in self.meeting_days)
        return f"{days} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    def clean(self):
        super().clean()
        if self.code:
            self.code = normalize_course_code(self.code)
        errors = {}
        days = (self.meeting_days or "").upper()
        if any(day not in WEEKDAYS for day in days) or len(set(days)) != len(days):
            errors["meeting_days"] = _("Use each of the letters MTWRFSU at most once.")
        else:
            self.meeting_days = "".join(day for day in WEEKDAYS if day in days)
        if (self.starts_at is None) != (self.ends_at is None):
            errors["ends_at"] = _("Give both a start and an end time, or neither.")
        elif self.starts_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("A class must end after it starts.")
        if self.starts_at and not days:
            errors["meeting_days"] = _("Say on which days the class meets.")
        if errors:
            raise ValidationError(errors)

    def clashes_with(self, other: "Course") -> bool:
        """Whether both meet on a common day at overlapping times in one term."""
        if self.term_id != other.term_id or not (self.has_schedule and other.has_schedule):
            return False
        if not set(self.meeting_days) & set(other.meeting_days):
            return False
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


class CourseInstructor(models.Model):
    """A user who teaches a course: what opens its roster, grade sheet and permits to them (enrollment.teaching).

    A document per assignment, read directly rather than through a
    many-to-many manager (the backend has no ``prefetch_related``): the
    courses someone teaches are one indexed query on ``instructor`` joined to
    their courses and terms, and whether someone teaches one course is one
    query on (course, instructor). A user or course that goes takes its
    assignments with it, where a list of user ids on the course would keep
    dangling ones. ``Course.instructor`` stays the name the catalog shows.
    """

    # Indexed by the unique (course, instructor) constraint, which leads with it.
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="instructor_links", verbose_name=_("course"), db_index=False
    )
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="courses_taught",
        verbose_name=_("instructor"),
    )
    created_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("course instructor")
        verbose_name_plural = _("course instructors")
        constraints = [
            models.UniqueConstraint(fields=["course", "instructor"], name="one_assignment_per_course_instructor"),
        ]

    def __str__(self):
        return f"{self.instructor} – {self.course}"
