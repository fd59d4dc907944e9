"""What the customer is told for each Daraja result code, and for a refused push.

Daraja's own ``ResultDesc`` wording differs between the callback and the query for the
same code, so the shop maps on the code only.
"""

from django.utils.translation import gettext_lazy as _

RESULT_MESSAGES = {
    "1": _("Your M-Pesa balance was not enough to pay. Top up and try again."),
    "2": _("The amount is below the M-Pesa minimum for this transaction."),
    "3": _("The amount is above your M-Pesa limit."),
    "4": _("The amount is above your M-Pesa daily limit."),
    "8": _("The amount is above your M-Pesa account limit."),
    "17": _(
        "M-Pesa refused a second prompt for the same amount so soon. "
        "Wait two minutes and try again."
    ),
    "26": _("M-Pesa is busy right now. Please try again in a moment."),
    "1001": _(
        "Another M-Pesa prompt is already open on your phone. Finish or cancel it, then try again."
    ),
    "1019": _("The prompt expired before it was answered. Send it again when you are ready."),
    "1025": _("M-Pesa could not send the prompt to your phone. Please try again."),
    "9999": _("M-Pesa could not send the prompt to your phone. Please try again."),
    "1032": _("You cancelled the M-Pesa prompt. Send it again when you are ready to pay."),
    "1036": _("M-Pesa could not reach your phone. Check it is on and has signal, then try again."),
    "1037": _(
        "Your phone did not answer the prompt (it may be off or out of reach). "
        "Check your phone and send the prompt again."
    ),
    "2001": _("The M-Pesa PIN was wrong. Send the prompt again and enter your PIN carefully."),
    "2028": _("The shop's M-Pesa account is not set up for this payment. Please pay by Paybill."),
    "SFC_IC0003": _(
        "The shop's M-Pesa account is not set up for this payment. Please pay by Paybill."
    ),
    "8006": _("Your M-Pesa account is locked. Contact Safaricom, then try again."),
}


def customer_message_for_result(result_code: str, result_desc: str = "") -> str:
    message = RESULT_MESSAGES.get(str(result_code))
    if message is not None:
        return str(message)
    return str(_("M-Pesa could not complete the payment (code %(code)s). Please try again.")) % {
        "code": result_code
    }
