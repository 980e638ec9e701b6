from django.urls import path, re_path

from households import views

app_name = "households"
urlpatterns = [
    path("", views.household_list_view, name="list"),
    path("new/", views.household_create, name="create"),
    path("<int:pk>/", views.household_detail, name="detail"),
    path("<int:pk>/edit/", views.household_edit, name="edit"),
    path("<int:pk>/consents/new/", views.consent_create, name="consent-create"),
    path("members/<int:member_pk>/trips/new/", views.trip_create, name="trip-create"),
    path("trips/<int:pk>/return/", views.trip_return, name="trip-return"),
    re_path(r"^export\.(?P<fmt>csv|xlsx)$", views.household_export, name="export"),
    path("import/", views.import_upload, name="import"),
    path("import/preview/", views.import_preview, name="import-preview"),
    path("import/cancel/", views.import_cancel, name="import-cancel"),
    re_path(r"^import/template\.(?P<fmt>csv|xlsx)$", views.import_template, name="import-template"),
]
