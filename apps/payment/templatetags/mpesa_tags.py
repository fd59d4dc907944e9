"""Template tags for showing customers how to finish paying an order."""

from decimal import Decimal

from django import template
from django.apps import apps
from django.conf import settings

from apps.payment.mpesa import services
from apps.payment.mpesa.phone import InvalidPhoneNumber, normalise_phone
from apps.payment.mpesa.waiting import part_payment_text, waiting_page_url

register = template.Library()


@register.inclusion_tag("oscar/customer/order/partials/mpesa_pay_pending.html")
def mpesa_pay_pending(order) -> dict:
    """For an order still waiting for its money: what is left to pay (after a part
    payment, what was paid of what), the waiting page and the Paybill details."""
    if order is None or order.status != services.ORDER_PENDING:
        return {"show": False}
    money = services.order_money(order)
    return {
        "show": True,
        "order": order,
        "balance": money.balance,
        "part_payment": part_payment_text(money) if money.is_part_paid else "",
        "waiting_url": waiting_page_url(order.number),
        "show_paybill": settings.MPESA_C2B_ENABLED,
        "paybill_number": settings.MPESA_SHORTCODE,
    }


@register.filter
def mpesa_pay_url(order) -> str:
    """The payment page of an order waiting for its money ("Pay now"), else ""."""
    if order is None or order.status != services.ORDER_PENDING:
        return ""
    return waiting_page_url(order.number)


@register.filter
def local_phone(msisdn: str) -> str:
    """``254712345678`` as Kenyans write it: ``0712 345 678`` (anything else unchanged)."""
    digits = str(msisdn or "")
    if len(digits) == 12 and digits.startswith("254") and digits.isdigit():
        local = "0" + digits[3:]
        return f"{local[:4]} {local[4:7]} {local[7:]}"
    return digits


@register.filter
def kenyan_phone(number) -> str:
    """A Kenyan phone number (text or a ``PhoneNumber``) as Kenyans write it:
    ``0712 345 678``; anything that is not one, unchanged."""
    text = str(number or "")
    try:
        return local_phone(normalise_phone(text))
    except InvalidPhoneNumber:
        return text


@register.simple_tag
def mpesa_part_payment(order) -> str:
    """ "Paid KSh X of Y — balance KSh Z" for an order still waiting for the rest of its
    money, else nothing: what staff read on the order's page."""
    if order is None or order.status != services.ORDER_PENDING:
        return ""
    money = services.order_money(order)
    return part_payment_text(money) if money.is_part_paid else ""


@register.filter
def may_view_mpesa(user) -> bool:
    """Whether ``user`` may open the M-Pesa log's pages (the links to them show only then)."""
    return apps.get_app_config("mpesa_dashboard").user_may(user, "transaction-detail")


@register.filter
def may_refund_mpesa(user) -> bool:
    """Whether ``user`` may send M-Pesa refunds (the refund buttons show only then)."""
    return apps.get_app_config("mpesa_dashboard").user_may(user, "order-refund")


@register.simple_tag
def mpesa_order_refundable(order):
    """What a cancelled order's payments still hold that a refund could send back."""
    total = Decimal(0)
    for payment in order.mpesa_attempts.all():
        if services.refund_refusal(payment) is None:
            total += services.refundable_money(payment).refundable
    return total


@register.simple_tag
def mpesa_order_receipts(order) -> dict:
    """A customer's view of an order's M-Pesa money: the payments that reached it (receipt,
    amount, when) and the balance still due (nothing once the order is settled)."""
    payments = order.mpesa_attempts.filter(recorded_on_order=True).order_by("settled_at", "pk")
    money = services.order_money(order)
    pending = order.status == services.ORDER_PENDING
    return {
        "payments": list(payments),
        "received": money.received,
        "balance": money.balance if pending else Decimal(0),
        "pending": pending,
    }
