from bson import ObjectId
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import IntegrityError, models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_mongodb_backend.fields import ObjectIdField

from .managers import UserManager

STUDENT_NUMBER_ATTEMPTS = 20


class User(AbstractBaseUser, PermissionsMixin):
    """A student or staff member; the email address is the login.

    The primary key is an ObjectIdField rather than the project's default
    ObjectIdAutoField: allauth turns integer-field keys into base-36 URLs
    (password reset, login stash), which an ObjectId is not.
    """

    id = ObjectIdField(primary_key=True, default=ObjectId, editable=False, db_column="_id", verbose_name="ID")
    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=50, blank=True)
    last_name = models.CharField(_("last name"), max_length=50, blank=True)
    student_number = models.PositiveIntegerField(
        _("student number"),
        unique=True,
        blank=True,
        help_text=_("Assigned automatically when left blank."),
    )
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Can log into the admin site.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "email"]
        indexes = [models.Index(fields=["last_name", "first_name", "email"], name="user_name_order")]

    def __str__(self):
        return self.get_full_name() or self.email

    def get_absolute_url(self):
        return reverse("accounts:profile")

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        if self.student_number is not None:
            return super().save(*args, **kwargs)
        # No transactions on a standalone MongoDB: take the next number and
        # let the unique index arbitrate between concurrent sign-ups.
        for _attempt in range(STUDENT_NUMBER_ATTEMPTS):
            self.student_number = self.__class__.next_student_number()
            try:
                return super().save(*args, **kwargs)
            except IntegrityError:
                if not self.__class__.objects.filter(student_number=self.student_number).exists():
                    self.student_number = None
                    raise
        self.student_number = None
        raise IntegrityError("Could not assign a unique student number; try again.")

    @classmethod
    def next_student_number(cls) -> int:
        last = cls.objects.order_by("-student_number").values_list("student_number", flat=True).first()
        return (last or 0) + 1
