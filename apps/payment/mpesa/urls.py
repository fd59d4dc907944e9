"""Public endpoints Safaricom calls. No word Safaricom rejects (M-Pesa, query, ...) in a path."""

from django.urls import path

from . import views

urlpatterns = [
    path("stk/callback/<str:token>/", views.stk_callback, name="mpesa-stk-callback"),
    path("c2b/<str:secret>/validation/", views.c2b_validation, name="mpesa-c2b-validation"),
    path("c2b/<str:secret>/confirmation/", views.c2b_confirmation, name="mpesa-c2b-confirmation"),
    path("refunds/<str:token>/result/", views.refund_result, name="mpesa-refund-result"),
    path("refunds/<str:token>/timeout/", views.refund_timeout, name="mpesa-refund-timeout"),
    path("refunds/<str:token>/status/", views.refund_status, name="mpesa-refund-status"),
]
