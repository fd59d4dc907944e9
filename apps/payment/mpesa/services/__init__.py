"""The only code that changes M-Pesa payment state, one module per road:

- ``push``: a customer's "Place order and pay" records an attempt and sends the STK push;
- ``limits``: how many prompts a phone, order, session or address may cause (``push``
  takes a slot only for a prompt that goes out);
- ``callbacks``: Daraja's STK callback is stored raw, then applied;
- ``reconcile``: an STK Push Query answers for a lost callback; what nobody paid expires;
  a customer cancels an order they have not paid;
- ``paybill``: Daraja asks before Paybill money moves, then confirms it;
- ``staff``: staff check a prompt, mark paid with a receipt, match or resolve money;
- ``refunds``: staff send money back (Daraja's Reversal or B2C), settled by Daraja's result
  or its Transaction Status API, and recorded on the order as Oscar's refund;
- ``settle``: where every one of those roads ends. It locks the attempt and the order and
  records the money on Oscar's own models (Source debit, "Paid" event) exactly once;
  an order becomes Paid only there.

Calls to Daraja happen outside database transactions: an attempt is committed before its
prompt is sent, so a callback that arrives before the push's answer still finds it.
"""

from . import refunds
from .callbacks import stk_callback_process, stk_callback_store
from .common import (
    EVENT_PAID,
    EVENT_PART_PAYMENT,
    EVENT_PROMPT_SENT,
    ORDER_CANCELLED,
    ORDER_PAID,
    ORDER_PENDING,
    SOURCE_TYPE_CODE,
    OrderMoney,
    callback_token_digest,
    mpesa_amount,
    new_unplaced_order_source,
    order_money,
    payment_types_ensure,
)
from .errors import (
    AttemptAlreadyOpen,
    MpesaPaymentError,
    OrderNotCancellable,
    OrderNotPayable,
    PushRefused,
    ResendTooSoon,
)
from .limits import PromptLimitReached, Requester
from .paybill import (
    C2B_ACCEPT,
    C2B_INVALID_ACCOUNT,
    C2B_INVALID_AMOUNT,
    C2B_INVALID_SHORTCODE,
    C2B_OTHER,
    c2b_confirm,
    c2b_validate,
)
from .push import attempt_attach_order, attempt_flag, stk_push_initiate, stk_push_resend
from .reconcile import (
    CUSTOMER_CANCELLED_NOTE,
    ReconcileReport,
    attempt_query_due,
    attempt_refresh_from_daraja,
    mpesa_reconcile,
    order_cancel_by_customer,
    order_cancel_unpaid,
)
from .refunds import (
    RefundRefused,
    order_refund_start,
    refund_plan,
    refund_refusal,
    refund_staff_settle,
    refund_start,
    refundable_money,
)
from .settle import SettleInput, SettleResult, attempt_settle
from .staff import (
    RECEIPT_PATTERN,
    mark_paid_refusal,
    staff_check_status,
    staff_mark_paid,
    staff_match_payment,
    staff_reconcile,
    staff_resolve,
    test_prompt_send,
)

__all__ = [
    "CUSTOMER_CANCELLED_NOTE",
    "AttemptAlreadyOpen",
    "C2B_ACCEPT",
    "C2B_INVALID_ACCOUNT",
    "C2B_INVALID_AMOUNT",
    "C2B_INVALID_SHORTCODE",
    "C2B_OTHER",
    "EVENT_PAID",
    "EVENT_PART_PAYMENT",
    "EVENT_PROMPT_SENT",
    "MpesaPaymentError",
    "ORDER_CANCELLED",
    "ORDER_PAID",
    "ORDER_PENDING",
    "OrderNotCancellable",
    "OrderNotPayable",
    "PromptLimitReached",
    "PushRefused",
    "Requester",
    "RECEIPT_PATTERN",
    "RefundRefused",
    "ReconcileReport",
    "ResendTooSoon",
    "SOURCE_TYPE_CODE",
    "SettleInput",
    "SettleResult",
    "OrderMoney",
    "order_money",
    "attempt_attach_order",
    "attempt_flag",
    "attempt_query_due",
    "attempt_refresh_from_daraja",
    "attempt_settle",
    "c2b_confirm",
    "c2b_validate",
    "callback_token_digest",
    "mark_paid_refusal",
    "mpesa_amount",
    "mpesa_reconcile",
    "new_unplaced_order_source",
    "order_cancel_by_customer",
    "order_cancel_unpaid",
    "order_refund_start",
    "refund_plan",
    "refund_refusal",
    "refund_staff_settle",
    "refund_start",
    "refundable_money",
    "refunds",
    "payment_types_ensure",
    "staff_check_status",
    "staff_mark_paid",
    "staff_match_payment",
    "staff_reconcile",
    "staff_resolve",
    "stk_callback_process",
    "stk_callback_store",
    "stk_push_initiate",
    "stk_push_resend",
    "test_prompt_send",
]
