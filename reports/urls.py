from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("jobs/", views.job_list, name="job-list"),
    path("jobs/new/", views.job_create, name="job-create"),
    path("jobs/<int:pk>/", views.job_detail, name="job-detail"),
    path("jobs/<int:pk>/download/", views.job_download, name="job-download"),
    path("jobs/<int:pk>/annex/", views.job_annex, name="job-annex"),
    path("jobs/<int:pk>/retry/", views.job_retry, name="job-retry"),
    path("indicators/<int:pk>/", views.indicator_detail, name="indicator-detail"),
    path("national/", views.national, name="national"),
]
