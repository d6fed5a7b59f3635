from django.urls import path

from . import views

app_name = "enrollment"

# Mounted at the site's root: My enrollments has its own address, enrolling
# and dropping sit under the course they act on.
urlpatterns = [
    path("enrollments/", views.my_enrollments, name="my_enrollments"),
    path("courses/<str:code>/enroll/", views.course_enroll, name="course_enroll"),
    path("courses/<str:code>/drop/", views.course_drop, name="course_drop"),
    path("courses/<str:code>/swap/", views.course_swap, name="course_swap"),
]
