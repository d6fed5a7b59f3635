from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from enrollment.views import home

from . import views

urlpatterns = [
    path("", home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # allauth's sign-up, answering a lost race for an address (accounts.views.SignupView).
    path("accounts/signup/", accounts_views.signup, name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("accounts.urls")),
    path("courses/", include("catalog.urls")),
    path("", include("enrollment.urls")),
    path("api/", include("school.api.urls")),
]

handler403 = "school.views.permission_denied"
handler404 = "school.views.page_not_found"
handler500 = "school.views.server_error"
