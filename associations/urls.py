from django.urls import path

from associations import views

app_name = "associations"
urlpatterns = [
    path("", views.association_list, name="list"),
    path("<int:pk>/", views.association_detail, name="detail"),
    path("<int:pk>/meetings/new/", views.meeting_create, name="meeting-create"),
    path("memberships/<int:pk>/leave/", views.membership_leave, name="membership-leave"),
]
