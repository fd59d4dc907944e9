"""The books check in the dashboard: the same audit as ``manage.py mpesa_audit``, each
problem linked to the M-Pesa transaction or order it names.

The audit reads every payment and order (a few aggregate queries, a second or so on a
hundred thousand orders), so it runs on this page only, never on the transaction log.
"""

from __future__ import annotations

from django.views.generic import TemplateView

from apps.payment.mpesa.audit import books_audit

from .access import may_open_orders

# Problems listed on the page; all are counted, and the command lists every one.
LISTED = 200


class BooksView(TemplateView):
    template_name = "oscar/dashboard/mpesa/books.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            report=books_audit(listed=LISTED),
            may_open_orders=may_open_orders(self.request.user),
        )
        return context
