from django.urls import path, re_path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("tokens/", views.token_create, name="token_create"),
    path("calendar/", views.calendar_reset, name="calendar_reset"),
    path("calendar/stop/", views.calendar_stop, name="calendar_stop"),
    # Only an ObjectId reaches the view: anything else is a plain 404, not a lookup error.
    re_path(r"^tokens/(?P<token_id>[0-9a-f]{24})/revoke/$", views.token_revoke, name="token_revoke"),
]
