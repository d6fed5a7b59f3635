from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from accounts.models import User
        from accounts.signals import profile_page_sections
        from catalog.models import Course, Term
        from catalog.signals import course_page_sections

        from .appointments import forget_appointments
        from .models import AppointmentGroup
        from .views import course_section, profile_holds_section

        course_page_sections.connect(course_section, sender=Course, dispatch_uid="enrollment.course_section")
        profile_page_sections.connect(profile_holds_section, sender=User, dispatch_uid="enrollment.profile_holds")
        # The cached appointment groups carry their terms' enrollment windows.
        for model in (AppointmentGroup, Term):
            post_save.connect(forget_appointments, sender=model, dispatch_uid=f"enrollment.appointments.{model.__name__}")
            post_delete.connect(
                forget_appointments, sender=model, dispatch_uid=f"enrollment.appointments.{model.__name__}.delete"
            )
