"""After the load: the shop's records are consistent with what the simulator did.

Run in the shop's environment (``python load/check_records.py``); prints the figures and
exits non-zero when an invariant is broken:

* every order is Paid (one debit of its total, one Paid event), or still waiting for
  payment with no successful M-Pesa attempt, or Cancelled without a debit;
* every push the simulator ended as paid is matched to exactly one attempt, succeeded,
  on exactly one order, and that order is Paid.
"""

import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oscar_shop.settings.local")

import django  # noqa: E402

django.setup()

from django.db.models import Count, Sum  # noqa: E402
from oscar.core.loading import get_model  # noqa: E402

from apps.daraja_simulator.models import StkPush  # noqa: E402
from apps.payment.models import MpesaPaymentAttempt  # noqa: E402

Order = get_model("order", "Order")
Transaction = get_model("payment", "Transaction")

Status = MpesaPaymentAttempt.Status


def check() -> tuple[dict, list[str]]:
    problems: list[str] = []
    debits = {
        row["source__order_id"]: row
        for row in Transaction.objects.filter(txn_type="Debit")
        .values("source__order_id")
        .annotate(n=Count("id"), total=Sum("amount"))
    }
    succeeded = Counter(
        MpesaPaymentAttempt.objects.filter(status=Status.SUCCEEDED).values_list(
            "order_id", flat=True
        )
    )
    statuses = Counter()
    for order in Order.objects.all():
        statuses[order.status] += 1
        debit = debits.get(order.pk, {"n": 0, "total": None})
        if order.status == "Paid":
            if debit["n"] != 1 or debit["total"] != order.total_incl_tax:
                problems.append(f"order {order.number} Paid with {debit['n']} debits")
            if succeeded[order.pk] != 1:
                problems.append(f"order {order.number} Paid by {succeeded[order.pk]} attempts")
        elif order.status == "Pending payment":
            if debit["n"] or succeeded[order.pk]:
                problems.append(f"order {order.number} pending but paid")
        elif order.status == "Cancelled":
            if debit["n"]:
                problems.append(f"order {order.number} cancelled with a debit")
        else:
            problems.append(f"order {order.number} in status {order.status}")

    paid_pushes = StkPush.objects.filter(result_code=0)
    for push in paid_pushes:
        attempts = list(
            MpesaPaymentAttempt.objects.filter(checkout_request_id=push.checkout_request_id)
        )
        if len(attempts) != 1 or attempts[0].status != Status.SUCCEEDED:
            problems.append(f"push {push.checkout_request_id}: {len(attempts)} attempts")
        elif attempts[0].order is None or attempts[0].order.status != "Paid":
            problems.append(f"push {push.checkout_request_id}: its order is not Paid")
    figures = {
        "orders": dict(statuses),
        "simulator pushes": StkPush.objects.count(),
        "simulator pushes paid": paid_pushes.count(),
        "simulator pushes failed": StkPush.objects.exclude(result_code=0)
        .exclude(result_code=None)
        .count(),
        "simulator pushes still open": StkPush.objects.filter(result_code=None).count(),
        "attempts": dict(Counter(MpesaPaymentAttempt.objects.values_list("status", flat=True))),
        "problems": len(problems),
    }
    return figures, problems


if __name__ == "__main__":
    figures, problems = check()
    print(json.dumps(figures, indent=2))
    for problem in problems[:30]:
        print(f"  PROBLEM {problem}")
    sys.exit(1 if problems else 0)
