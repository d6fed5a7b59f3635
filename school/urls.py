from django.contrib import admin
from django.urls import include, path

from enrollment.views import home

from . import views

urlpatterns = [
    path("", home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("accounts.urls")),
    path("courses/", include("catalog.urls")),
    path("", include("enrollment.urls")),
    path("api/", include("school.api.urls")),
]

handler403 = "school.views.permission_denied"
handler404 = "school.views.page_not_found"
handler500 = "school.views.server_error"
