from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from accounts.models import User
        from accounts.signals import profile_page_sections
        from catalog.models import Course, Term
        from catalog.signals import course_page_sections
        from school.admin_site import admin_index_sections

        from .appointments import forget_appointments
        from .models import AppointmentGroup
        from .teaching import remember_teaching
        from .views import course_section, profile_holds_section, term_dashboard_section

        course_page_sections.connect(course_section, sender=Course, dispatch_uid="enrollment.course_section")
        admin_index_sections.connect(term_dashboard_section, dispatch_uid="enrollment.term_dashboard")
        user_logged_in.connect(remember_teaching, dispatch_uid="enrollment.remember_teaching")
        profile_page_sections.connect(profile_holds_section, sender=User, dispatch_uid="enrollment.profile_holds")
        # The cached appointment groups carry their terms' enrollment windows.
        for model in (AppointmentGroup, Term):
            post_save.connect(
                forget_appointments, sender=model, dispatch_uid=f"enrollment.appointments.{model.__name__}"
            )
            post_delete.connect(
                forget_appointments, sender=model, dispatch_uid=f"enrollment.appointments.{model.__name__}.delete"
            )
