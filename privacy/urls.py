from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("access-log/", views.access_log, name="access-log"),
    path("second-factor/", views.second_factor_users, name="second-factor-users"),
    path("second-factor/<int:user_id>/reset/", views.second_factor_reset, name="second-factor-reset"),
]

# Under /accounts/, beside the login page (named without a namespace, like "login").
account_urlpatterns = [
    path("second-factor/", views.second_factor_verify, name="second-factor-verify"),
    path("second-factor/setup/", views.second_factor_setup, name="second-factor-setup"),
    path("second-factor/recovery-codes/", views.recovery_codes_new, name="second-factor-recovery-codes"),
]
