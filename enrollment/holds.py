"""Holds: placed and lifted by staff (admin, API) and the bursar's nightly file (``import_holds``).

An active hold stops the student's new enrollments and waitlist places,
promotions from a waitlist included; dropping and withdrawing stay allowed.
Eligibility lists each active hold as a reason (``code: "hold"``) with the
office that lifts it.

Each change is one write, safe under concurrency without transactions:

* placing is one insert; the unique (student, kind, lifted_at) index keeps
  one active hold per kind, so two files or two registrars placing it at
  once leave one (the later call updates its reason);
* lifting is one conditional update (``lifted_at`` still null), so a hold
  is lifted once, by one person, who is recorded.

A hold is not written under the student's registration lock: the lock is
per term and a hold is about all of them, and the bursar's file should not
wait for a student's requests. What makes it hold against an enrollment
made at the same instant is the other side (enrollment.services): every
write that gives a seat or a waitlist place reads the student's holds again
once written, and takes itself back if one is active. So once
``hold_place`` has returned, a seat or place written after it never stands,
and the student is never told they got one.
"""

from django.db import IntegrityError
from django.utils import timezone

from .models import Hold, HoldKind, Via
from .services import EnrollmentError, TryAgain

# Placing fails over to an update when an active hold of the kind exists,
# and back when that one is lifted in between: rare, so a few tries suffice.
_ATTEMPTS = 5


class HoldAlreadyLifted(EnrollmentError):
    code = "hold_already_lifted"


def hold_place(
    *, student, kind: HoldKind, reason: str, actor=None, via: str = Via.ADMIN, now=None
) -> tuple[Hold, bool]:
    """Put a hold of kind on student: (the hold, True), or (their active one of that kind, False).

    An active hold of the kind gets the new reason: a file or a registrar
    placing it again is saying why it still stands.
    """
    for _ in range(_ATTEMPTS):
        try:
            hold = Hold.objects.create(
                student=student, kind=kind, reason=reason, placed_by=actor if getattr(actor, "pk", None) else None,
                placed_at=now or timezone.now(), placed_via=via,
            )
        except IntegrityError:
            pass
        else:
            return hold, True
        hold = Hold.objects.active().select_related("kind").filter(student=student, kind=kind).first()
        if hold is not None:
            if hold.reason != reason:
                Hold.objects.filter(pk=hold.pk).update(reason=reason)
                hold.reason = reason
            return hold, False
    raise TryAgain(f"{student}'s {kind} hold is changing too fast; try again.")


def hold_lift(*, hold: Hold, actor, now=None) -> Hold:
    """Lift an active hold, recording who and when."""
    now = now or timezone.now()
    lifted = Hold.objects.active().filter(pk=hold.pk).update(
        lifted_at=now, lifted_by=actor if getattr(actor, "pk", None) else None
    )
    if not lifted:
        raise HoldAlreadyLifted(f"The {hold.kind} hold on {hold.student} was already lifted.")
    hold.lifted_at, hold.lifted_by = now, actor
    return hold
