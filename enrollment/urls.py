from django.urls import path, re_path

from . import teaching_views, views

app_name = "enrollment"

# Mounted at the site's root: My enrollments has its own address, enrolling
# and dropping sit under the course they act on, an instructor's pages under /teaching/.
urlpatterns = [
    path("enrollments/", views.my_enrollments, name="my_enrollments"),
    path("courses/<str:code>/enroll/", views.course_enroll, name="course_enroll"),
    path("courses/<str:code>/drop/", views.course_drop, name="course_drop"),
    path("teaching/", teaching_views.teaching, name="teaching"),
    path("teaching/<str:code>/", teaching_views.roster, name="teaching_roster"),
    path("teaching/<str:code>/roster.csv", teaching_views.roster_csv, name="teaching_roster_csv"),
    path("teaching/<str:code>/grades/", teaching_views.grade_sheet, name="teaching_grades"),
    path("teaching/<str:code>/permits/", teaching_views.permits, name="teaching_permits"),
    path("courses/<str:code>/withdraw/", views.course_withdraw, name="course_withdraw"),
    path("courses/<str:code>/swap/", views.course_swap, name="course_swap"),
    # A calendar app's subscription: the key is the credential (accounts.models.CalendarKey), and
    # anything not shaped like one is a plain 404 without a lookup.
    re_path(r"^calendar/(?P<key>[A-Za-z0-9_-]{43})\.ics$", views.calendar_feed, name="calendar_feed"),
]
