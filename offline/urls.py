from django.urls import path

from offline import views

app_name = "offline"
urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("contribution/", views.contribution, name="contribution"),
    path("attendance/", views.attendance, name="attendance"),
    path("household/", views.household, name="household"),
    path("consultation/", views.consultation, name="consultation"),
    path("reference/", views.reference, name="reference"),
    path("pages/", views.pages, name="pages"),
    path("send/<str:kind>/", views.send, name="send"),
]
