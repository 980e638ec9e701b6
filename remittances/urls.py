from django.urls import path

from remittances import views

app_name = "remittances"
urlpatterns = [
    path("", views.home, name="home"),
    path("mha/<int:pk>/", views.mha_home, name="mha"),
    path("mha/<int:pk>/entries/", views.entry_list, name="entries"),
    path("mha/<int:pk>/disbursements/new/", views.disbursement_create, name="disbursement-create"),
    path("mha/<int:pk>/transfers/new/", views.transfer_create, name="transfer-create"),
    path("mha/<int:pk>/exchanges/new/", views.conversion_create, name="conversion-create"),
    path("mha/<int:pk>/reconciliation/", views.reconciliation, name="reconciliation"),
    path("mha/<int:pk>/close/", views.period_close, name="period-close"),
    path("mha/<int:pk>/chain/", views.chain, name="chain"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("entries/<int:pk>/receipt.pdf", views.receipt_pdf, name="receipt"),
    path("rates/", views.rates, name="rates"),
    path("rates/<int:pk>/<str:verdict>/", views.rate_decide, name="rate-decide"),
    path("requests/<str:kind>/<int:pk>/<str:verdict>/", views.decide, name="decide"),
]
