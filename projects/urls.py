from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("board/", views.project_board, name="board"),
    path("queue/", views.approval_queue, name="queue"),
    path("new/", views.project_create, name="create"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/milestones/", views.milestone_save, name="milestone-add"),
    path("<int:pk>/milestones/<int:milestone_pk>/", views.milestone_save, name="milestone-update"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment-add"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path("<int:pk>/releases/", views.release_request, name="release-request"),
    path("<int:pk>/releases/<int:request_pk>/<str:decision>/", views.release_decide, name="release-decide"),
    path("<int:pk>/clawbacks/", views.clawback_request, name="clawback-request"),
    path("<int:pk>/<str:action>/", views.project_transition, name="transition"),
    path("windows/", views.window_list, name="window-list"),
    path("windows/new/", views.window_create, name="window-create"),
    path("windows/<int:pk>/", views.window_edit, name="window-edit"),
    path("businesses/", views.enterprise_list, name="enterprise-list"),
    path("businesses/new/", views.enterprise_create, name="enterprise-create"),
    path("businesses/<int:pk>/", views.enterprise_detail, name="enterprise-detail"),
    path("businesses/<int:pk>/edit/", views.enterprise_edit, name="enterprise-edit"),
    path("businesses/<int:pk>/members/", views.enterprise_member_add, name="member-add"),
    path("businesses/<int:pk>/grants/", views.grant_add, name="grant-add"),
    path("businesses/<int:pk>/grants/<int:grant_pk>/status/", views.grant_status, name="grant-status"),
    path("businesses/<int:pk>/grants/<int:grant_pk>/repayments/", views.grant_repayment, name="grant-repayment"),
    path("businesses/<int:pk>/grants/<int:grant_pk>/repayments/<int:request_pk>/approve/",
         views.grant_repayment_approve, name="grant-repayment-approve"),
    path("businesses/<int:pk>/reports/", views.report_add, name="report-add"),
]
