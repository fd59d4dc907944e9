"""Oscar's order admin, whose order and line forms refuse a status that would make an order
Paid without its money (the models refuse it too; the forms say why on the page)."""

from django import forms
from django.contrib import admin
from oscar.apps.order.admin import *  # noqa: F403
from oscar.apps.order.admin import LineAdmin as CoreLineAdmin
from oscar.apps.order.admin import LineInline as CoreLineInline
from oscar.apps.order.admin import OrderAdmin as CoreOrderAdmin
from oscar.core.loading import get_class, get_model

from apps.order import statuses as order_statuses

Order = get_model("order", "Order")
Line = get_model("order", "Line")
EventHandler = get_class("order.processing", "EventHandler")


class OrderAdminForm(forms.ModelForm):
    def clean_status(self):
        status = self.cleaned_data["status"]
        if self.instance.pk is not None:
            refusal = self.instance.status_change_refusal(self.instance.status, status)
            if refusal:
                raise forms.ValidationError(refusal)
        return status


class LineAdminForm(forms.ModelForm):
    def clean_status(self):
        status = self.cleaned_data["status"]
        if self.instance.pk is not None:
            refusal = self.instance.order.status_change_refusal(self.instance.status, status)
            if refusal:
                raise forms.ValidationError(refusal)
        return status


class LineInline(CoreLineInline):
    form = LineAdminForm


class OrderAdmin(CoreOrderAdmin):
    form = OrderAdminForm
    inlines = [LineInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        cancelled = obj.status == order_statuses.CANCELLED
        if change and cancelled and "status" in form.changed_data:
            # Cancelled here as on Oscar's order page: stock released, money flagged.
            EventHandler(user=request.user).handle_order_cancelled(obj)


class LineAdmin(CoreLineAdmin):
    form = LineAdminForm


for model, model_admin in ((Order, OrderAdmin), (Line, LineAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
