from django.urls import path

from offline import views

app_name = "offline"
urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("contribution/", views.form_page, {"kind": "contribution"}, name="contribution"),
    path("attendance/", views.form_page, {"kind": "attendance"}, name="attendance"),
    path("household/", views.form_page, {"kind": "household"}, name="household"),
    path("household-edit/", views.form_page, {"kind": "household_edit"}, name="household-edit"),
    path("consultation/", views.form_page, {"kind": "consultation"}, name="consultation"),
    path("reference/", views.reference, name="reference"),
    path("pages/", views.pages, name="pages"),
    path("send/<str:kind>/", views.send, name="send"),
]
