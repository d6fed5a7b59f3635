from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from catalog.models import Course
        from catalog.signals import course_page_sections
        from school.admin_site import admin_index_sections

        from .teaching import remember_teaching
        from .views import course_section, term_dashboard_section

        course_page_sections.connect(course_section, sender=Course, dispatch_uid="enrollment.course_section")
        admin_index_sections.connect(term_dashboard_section, dispatch_uid="enrollment.term_dashboard")
        user_logged_in.connect(remember_teaching, dispatch_uid="enrollment.remember_teaching")
