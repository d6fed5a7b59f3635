from django.urls import path

from . import views

app_name = "enrollment"

urlpatterns = [
    path("", views.my_enrollments, name="my_enrollments"),
]
