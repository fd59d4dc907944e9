"""Public endpoints Safaricom calls. No word Safaricom rejects (M-Pesa, query, ...) in a path."""

from django.urls import path

from . import views

urlpatterns = [
    path("stk/callback/<str:token>/", views.stk_callback, name="mpesa-stk-callback"),
]
