from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from households import picker
from mha_portal import views
from mha_portal.forms import LoginForm
from offline import views as offline_views
from privacy.urls import account_urlpatterns as second_factor_urls

urlpatterns = [
    path("", views.home, name="home"),
    path("work/<str:kind>/<int:pk>/<str:verdict>/", views.work_decide, name="work-decide"),
    path("people/pick/", picker.pick, name="person-picker"),
    # The service worker and manifest of the offline outbox live at the root: a worker controls
    # only the pages under its own path.
    path("sw.js", offline_views.service_worker, name="service-worker"),
    path("manifest.webmanifest", offline_views.manifest, name="manifest"),
    path("offline/", include("offline.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("audit/", views.audit_log, name="audit-log"),
    path("history/<str:app_label>/<str:model_name>/<int:pk>/", views.history, name="history"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm,
                                                         redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("accounts/", include(second_factor_urls)),
    path("privacy/", include("privacy.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/", include("mha_portal.api_urls")),
    path("communities/", include("communities.urls")),
    path("households/", include("households.urls")),
    path("associations/", include("associations.urls")),
    path("ledger/", include("remittances.urls")),
    path("projects/", include("projects.urls")),
    path("training/", include("training.urls")),
    path("reports/", include("reports.urls")),
]

# MEDIA_ROOT is never served as such, not even with DEBUG on: report files, training materials and
# attachments go out only through views that check the user's scope (reports:download,
# training:material-download, ...).
