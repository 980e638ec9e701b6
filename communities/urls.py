from django.urls import path

from communities import views

app_name = "communities"
urlpatterns = [
    path("", views.jamoat_list_view, name="jamoat-list"),
    path("<int:pk>/", views.jamoat_detail, name="jamoat-detail"),
    path("programmes/", views.programme_list_view, name="programme-list"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme-detail"),
]
