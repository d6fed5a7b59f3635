import hashlib
import secrets
from datetime import timedelta

from bson import ObjectId
from django.conf import settings
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


class TooManyTokens(Exception):
    """The user already holds the most live tokens allowed."""

    def __init__(self):
        super().__init__(_("You already have %(count)d API tokens, the most allowed: revoke one you no longer use.")
                         % {"count": ApiToken.MAX_PER_USER})


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        return self.filter(expires_at__gt=timezone.now())


class ApiTokenManager(models.Manager.from_queryset(ApiTokenQuerySet)):
    """Issues and checks tokens.

    At most MAX_PER_USER tokens per user, even under a burst of parallel
    requests: each token takes one of the user's numbered slots, and a unique
    index on (user, slot) lets only one request have each slot. A token that
    expired frees its slot when the user is next issued one.
    """

    # Use-time is written at most this often, not on every request: each write
    # costs a round trip, and a minute is precise enough for "last used".
    TOUCH_EVERY = timedelta(minutes=1)

    def issue(self, *, user, name: str) -> tuple["ApiToken", str]:
        """A new token for user: the model, and the key, which only the caller ever sees.

        Raises TooManyTokens when every slot is taken.
        """
        now = timezone.now()
        self.filter(user=user, expires_at__lte=now).delete()
        taken = set(self.filter(user=user).values_list("slot", flat=True))
        key = f"{ApiToken.KEY_PREFIX}{secrets.token_urlsafe(32)}"
        expires_at = now + timedelta(days=settings.API_TOKEN_TTL_DAYS)
        for slot in sorted(set(range(ApiToken.MAX_PER_USER)) - taken):
            try:
                token = self.create(user=user, name=name, slot=slot, key_hash=ApiToken.hash(key),
                                    hint=key[: ApiToken.HINT_LENGTH], expires_at=expires_at)
            except IntegrityError:
                continue  # a parallel request took this slot first
            return token, key
        raise TooManyTokens()

    def user_for_key(self, key: str):
        """The active user a live key belongs to, or None."""
        token = self.select_related("user").filter(key_hash=ApiToken.hash(key)).first()
        now = timezone.now()
        if token is None or not token.user.is_active or token.expires_at <= now:
            return None
        if token.last_used_at is None or now - token.last_used_at > self.TOUCH_EVERY:
            self.filter(pk=token.pk).update(last_used_at=now)
        return token.user


class ApiToken(models.Model):
    """A key a student or staff member made for scripts calling the API as themselves.

    Only a SHA-256 hash of the key is stored: the key is 256 random bits, so a
    fast hash is enough, and a leaked database does not leak usable keys.
    """

    KEY_PREFIX = "rgs_"
    HINT_LENGTH = 8
    MAX_PER_USER = 10

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=60, help_text=_("What the token is for, e.g. “grades script”."))
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    # The key's first characters, to tell tokens apart on the profile page.
    hint = models.CharField(_("hint"), max_length=HINT_LENGTH, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    # Which of the user's MAX_PER_USER places the token holds (see ApiTokenManager).
    slot = models.PositiveSmallIntegerField(_("slot"), editable=False)

    objects = ApiTokenManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]
        constraints = [models.UniqueConstraint(fields=["user", "slot"], name="apitoken_user_slot")]

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    def get_absolute_url(self):
        return reverse("accounts:profile")

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class CalendarKeyManager(models.Manager):
    def reset(self, *, user) -> str:
        """A new secret for user's calendar feed, replacing the one before: only the caller ever sees it."""
        key = secrets.token_urlsafe(32)
        fields = {"key_hash": CalendarKey.hash(key), "created_at": timezone.now()}
        if not self.filter(user=user).update(**fields):
            try:
                self.create(user=user, **fields)
            except IntegrityError:
                # A reset of the same user's in parallel created it first: this one replaces it.
                self.filter(user=user).update(**fields)
        return key

    def user_for_key(self, key: str):
        """The active user whose feed key is key, or None: one query, by the hash's unique index."""
        calendar_key = self.select_related("user").filter(key_hash=CalendarKey.hash(key)).first()
        if calendar_key is None or not calendar_key.user.is_active:
            return None
        return calendar_key.user


class CalendarKey(models.Model):
    """The secret in the address of a student's calendar feed (``/calendar/<key>.ics``).

    Calendar apps cannot log in, so the address is the credential: 256 random
    bits, of which only the hash is stored, as for API tokens. Resetting it on
    the profile page makes every copy of the old address stop working.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="calendar_key", verbose_name=_("user"))
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = CalendarKeyManager()

    class Meta:
        verbose_name = _("calendar key")
        verbose_name_plural = _("calendar keys")

    def __str__(self):
        return f"{self.user} ({self.created_at:%Y-%m-%d})"

    def get_absolute_url(self):
        return reverse("accounts:profile")

    @staticmethod
    def hash(key: str) -> str:
        # As for API tokens: a fast hash is enough for 256 random bits.
        return ApiToken.hash(key)
