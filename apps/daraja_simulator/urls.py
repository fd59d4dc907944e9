"""Daraja's paths from the root of the host, so the base URL in simulator mode is just the host.

Every one of them answers this machine only (``views.this_machine_only``): the simulator
lists callback URLs with their tokens and the Paybill path secret, and takes made-up
payments, so a shop started on ``HOST=0.0.0.0`` must not offer it to the network.
"""

from django.urls import include, path

from . import views

app_name = "daraja_simulator"

simulator_pages = [
    path("phone/", views.phone, name="phone"),
    path("phone/<str:checkout_request_id>/", views.phone_answer, name="phone-answer"),
    path("stk/", views.stk_list, name="stk-list"),
    path("c2b/", views.c2b_list, name="c2b-list"),
    path("refunds/", views.refund_list, name="refund-list"),
    path("float/", views.float_set, name="float"),
    path("reversed/", views.reversed_by_hand, name="reversed"),
]

urlpatterns = [
    path("oauth/v1/generate", views.oauth_generate, name="oauth"),
    path("mpesa/stkpush/v1/processrequest", views.stk_push, name="stk-push"),
    path("mpesa/stkpushquery/v1/query", views.stk_query, name="stk-query"),
    path("mpesa/c2b/v2/registerurl", views.c2b_register, name="c2b-register"),
    path("mpesa/c2b/v2/simulate", views.c2b_simulate, name="c2b-simulate"),
    path("mpesa/reversal/v1/request", views.reversal, name="reversal"),
    path("mpesa/b2c/v3/paymentrequest", views.b2c_payment, name="b2c-payment"),
    path("mpesa/transactionstatus/v1/query", views.transaction_status, name="transaction-status"),
    path("daraja-sim/", include(simulator_pages)),
]

for pattern in [*urlpatterns[:-1], *simulator_pages]:
    pattern.callback = views.this_machine_only(pattern.callback)
