from django.urls import path

from training import views

app_name = "training"
urlpatterns = [
    path("", views.home, name="home"),
    path("modules/", views.module_list, name="module-list"),
    path("modules/new/", views.module_edit, name="module-create"),
    path("modules/<int:pk>/", views.module_detail, name="module-detail"),
    path("modules/<int:pk>/edit/", views.module_edit, name="module-edit"),
    path("materials/<int:pk>/", views.material_download, name="material-download"),
    path("modules/<int:module_pk>/certificate/<int:member_pk>/", views.certificate, name="certificate"),
    path("sessions/", views.session_list, name="session-list"),
    path("sessions/new/", views.session_edit, name="session-create"),
    path("sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session-edit"),
    path("sessions/<int:pk>/attendance-sheet.pdf", views.attendance_sheet, name="attendance-sheet"),
    path("consultations/", views.consultation_list, name="consultation-list"),
    path("consultations/new/", views.consultation_edit, name="consultation-create"),
    path("consultations/<int:pk>/edit/", views.consultation_edit, name="consultation-edit"),
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/new/", views.campaign_edit, name="campaign-create"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign-edit"),
    path("services/", views.facility_list, name="facility-list"),
    path("services/<int:pk>/status/", views.facility_status, name="facility-status"),
    path("surveys/", views.round_list, name="round-list"),
    path("surveys/new/", views.round_edit, name="round-create"),
    path("surveys/<int:pk>/", views.round_detail, name="round-detail"),
    path("surveys/<int:pk>/edit/", views.round_edit, name="round-edit"),
    path("surveys/<int:pk>/export.xlsx", views.round_export, name="round-export"),
    path("surveys/<int:round_pk>/interviews/new/", views.response_edit, name="response-create"),
    path("surveys/<int:round_pk>/interviews/<int:pk>/", views.response_edit, name="response-edit"),
]
