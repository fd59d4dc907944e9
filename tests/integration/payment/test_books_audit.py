"""The books audit (``manage.py mpesa_audit`` and the dashboard's "Books balance"): every
shilling received is applied, waiting or resolved, and Oscar's records agree.

Each fault is seeded by raw SQL, as a bug or a hand edit of the database would leave it:
the payment services never make one, which is what the audit is there to prove.
"""

import os
import subprocess
import sys
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from oscar.core.loading import get_model

from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa import services
from apps.payment.mpesa.audit import BreachKind, books_audit
from tests.functional.checkout.conftest import place_order_and_pay, to_payment_details
from tests.functional.storefront.conftest import catalogue  # noqa: F401  (shared fixture)
from tests.helpers import database_url

from .conftest import initiate, place_pending_order, success
from .conftest import paybill_confirmed as paybill
from .test_stk_callback_view import post, success_body

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
Source = get_model("payment", "Source")
Transaction = get_model("payment", "Transaction")
Status = MpesaPaymentAttempt.Status


# --- Seeding ------------------------------------------------------------------------------


def paid_by_stk(number: str, receipt: str):
    """An order paid in full by an STK push, through the services."""
    order = place_pending_order(number)
    attempt = initiate(order)
    services.attempt_settle(attempt_id=attempt.pk, outcome=success(attempt, receipt=receipt))
    order.refresh_from_db()
    assert order.status == "Paid"
    return order, MpesaPaymentAttempt.objects.get(pk=attempt.pk)


def sql(statement: str, *params) -> None:
    """A hand edit of the database: no model, no service, no signal."""
    tables = {
        "{order}": Order._meta.db_table,
        "{source}": Source._meta.db_table,
        "{txn}": Transaction._meta.db_table,
        "{attempt}": MpesaPaymentAttempt._meta.db_table,
    }
    for name, table in tables.items():
        statement = statement.replace(name, connection.ops.quote_name(table))
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def plain(text: str) -> str:
    """Amounts are written with a no-break space ("KSh\u00a01,250"): read them plainly."""
    return text.replace("\xa0", " ")


def breaches_of(kind: str, report=None):
    report = report or books_audit(listed=None)
    return [breach for breach in report.breaches if breach.kind == kind]


def run_audit() -> str:
    out = StringIO()
    call_command("mpesa_audit", stdout=out)
    return plain(out.getvalue())


# --- What the audit finds -----------------------------------------------------------------


def test_an_order_set_to_paid_without_money_is_found(daraja):
    order = place_pending_order("100901")
    sql("UPDATE {order} SET status = 'Paid' WHERE number = %s", order.number)

    [breach] = books_audit().breaches

    assert breach.kind == BreachKind.PAID_WITHOUT_MONEY
    assert breach.order_number == "100901" and breach.amount == Decimal("1250")
    assert "Order 100901 is Paid" in plain(breach.message) and "KSh 1,250" in plain(breach.message)


def test_a_shipped_order_whose_debit_was_refunded_is_found(daraja):
    order, _attempt = paid_by_stk("100902", "NLJ7RT6102")
    sql("UPDATE {order} SET status = 'Shipped' WHERE id = %s", order.pk)
    assert books_audit().ok  # Shipped with its money is fine
    sql(
        "UPDATE {source} SET amount_refunded = 1250 WHERE order_id = %s", order.pk
    )  # refunded by hand, no Refund transaction, still Shipped

    report = books_audit()

    [unpaid] = breaches_of(BreachKind.PAID_WITHOUT_MONEY, report)
    assert unpaid.order_number == "100902" and "Shipped" in plain(unpaid.message)
    [source] = breaches_of(BreachKind.SOURCE_MISMATCH, report)
    assert "refunded" in plain(source.message) and source.amount == Decimal("1250")


def test_one_receipt_on_two_orders_is_found(daraja):
    first, paid = paid_by_stk("100903", "NLJ7RT6103")
    second, _other = paid_by_stk("100904", "NLJ7RT6104")
    sql(
        "UPDATE {txn} SET reference = %s WHERE txn_type = 'Debit' AND source_id IN "
        "(SELECT id FROM {source} WHERE order_id = %s)",
        "NLJ7RT6103",
        second.pk,
    )

    report = books_audit(listed=None)

    [twice] = breaches_of(BreachKind.RECEIPT_TWICE, report)
    assert twice.receipt == "NLJ7RT6103" and twice.attempt_id == paid.pk
    assert "100903" in plain(twice.message) and "100904" in plain(twice.message)
    assert twice.amount == Decimal("2500")
    # The second payment's own money is now on no order, the first is counted twice.
    [lost] = breaches_of(BreachKind.RECORDED_WITHOUT_DEBIT, report)
    assert lost.receipt == "NLJ7RT6104" and lost.order_number == "100904"
    [over] = breaches_of(BreachKind.OVER_APPLIED, report)
    assert over.receipt == "NLJ7RT6103" and over.amount == Decimal("1250")


def test_one_receipt_debited_twice_on_one_order_is_found(daraja):
    order, paid = paid_by_stk("100905", "NLJ7RT6105")
    sql(
        "INSERT INTO {txn} (source_id, txn_type, amount, reference, status, date_created) "
        "SELECT source_id, txn_type, amount, reference, status, date_created FROM {txn} "
        "WHERE txn_type = 'Debit' AND reference = %s",
        "NLJ7RT6105",
    )
    sql("UPDATE {source} SET amount_debited = 2500 WHERE order_id = %s", order.pk)

    [twice] = breaches_of(BreachKind.RECEIPT_TWICE)

    assert (
        plain(twice.message) == "Receipt NLJ7RT6105 is debited 2 times on order 100905: KSh 2,500"
    )
    assert twice.attempt_id == paid.pk


def test_a_debit_without_its_transaction_is_found(daraja):
    order, _attempt = paid_by_stk("100906", "NLJ7RT6106")
    sql("UPDATE {source} SET amount_debited = amount_debited + 500 WHERE order_id = %s", order.pk)

    [breach] = books_audit().breaches

    assert breach.kind == BreachKind.SOURCE_MISMATCH
    assert breach.order_number == "100906" and breach.amount == Decimal("500")
    assert "KSh 1,750 debited" in plain(breach.message) and "add up to KSh 1,250" in plain(
        breach.message
    )


def test_a_payment_marked_recorded_without_its_debit_is_found(daraja):
    waiting = paybill("LOST-ACCOUNT", trans_id="RKL51ZDR07")
    assert waiting.needs_attention
    sql("UPDATE {attempt} SET recorded_on_order = TRUE WHERE id = %s", waiting.pk)

    [breach] = books_audit().breaches

    assert breach.kind == BreachKind.RECORDED_WITHOUT_DEBIT
    assert breach.attempt_id == waiting.pk and breach.receipt == "RKL51ZDR07"
    assert breach.amount == Decimal("1250")


def test_money_neither_applied_nor_flagged_is_found(daraja):
    waiting = paybill("LOST-ACCOUNT", amount="700.00", trans_id="RKL51ZDR08")
    sql("UPDATE {attempt} SET needs_attention = FALSE WHERE id = %s", waiting.pk)

    report = books_audit()

    [breach] = report.breaches
    assert breach.kind == BreachKind.UNACCOUNTED
    assert breach.attempt_id == waiting.pk and breach.receipt == "RKL51ZDR08"
    assert breach.amount == Decimal("700")
    assert "KSh 700 of payment RKL51ZDR08" in plain(breach.message)
    assert report.received == Decimal("700") and report.unaccounted == Decimal("700")


def test_a_debit_for_no_payment_is_found(daraja):
    order, _attempt = paid_by_stk("100909", "NLJ7RT6109")
    sql("UPDATE {txn} SET reference = 'MADEUP0001' WHERE reference = 'NLJ7RT6109'")

    report = books_audit(listed=None)

    [stray] = breaches_of(BreachKind.DEBIT_WITHOUT_PAYMENT, report)
    assert stray.receipt == "MADEUP0001" and stray.order_number == "100909"
    assert stray.amount == Decimal("1250")
    assert report.debited_without_payment == Decimal("1250")


def test_every_breach_is_counted_however_few_are_listed(daraja):
    for n in range(5):
        order = place_pending_order(f"10092{n}")
        sql("UPDATE {order} SET status = 'Paid' WHERE id = %s", order.pk)
    seen = []

    report = books_audit(listed=2, each=seen.append)

    assert report.breach_count == 5 and len(report.breaches) == 2 and report.unlisted == 3
    assert [b.order_number for b in seen] == [f"10092{n}" for n in range(5)]


def test_the_audit_costs_the_same_queries_whatever_the_number_of_records(daraja):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            books_audit()
        return len(captured)

    paid_by_stk("100931", "NLJ7RT6131")
    few = queries()
    for n in range(4):
        paid_by_stk(f"10094{n}", f"NLJ7RT614{n}")
        sql("UPDATE {order} SET status = 'Paid' WHERE number = %s", f"10094{n}")
    paybill("LOST-ACCOUNT", trans_id="RKL51ZDR09")

    assert queries() == few


# --- Clean after the real roads money takes -----------------------------------------------


def test_the_books_balance_after_every_road_money_takes(
    daraja,
    catalogue,  # noqa: F811
    django_app,
    client,
):
    staff = get_user_model().objects.create_user("cashier", is_staff=True)
    # Checkout, then Daraja's success callback.
    page = to_payment_details(django_app, catalogue.kettle)
    place_order_and_pay(django_app, page)
    checkout_attempt = MpesaPaymentAttempt.objects.get()
    token = daraja.pushes[-1]["callback_url"].rstrip("/").rsplit("/", 1)[1]
    body = success_body(checkout_attempt, amount=float(checkout_attempt.amount))
    assert post(client, token, body).status_code == 200
    assert Order.objects.get(number=checkout_attempt.order_number).status == "Paid"
    # A Paybill payment of exactly the amount due.
    place_pending_order("100951")
    paybill("100951", trans_id="RKL51ZDR51")
    # A Paybill payment for no order: it waits for staff; another one staff refunded.
    paybill("NO-SUCH-ORDER", amount="300.00", trans_id="RKL51ZDR52")
    refunded = paybill("TYPO", amount="450.00", trans_id="RKL51ZDR53")
    services.staff_resolve(payment=refunded, actor=staff, note="Refunded from the portal")
    # An STK payment of more than prompted: kept for staff.
    overpaid_order = place_pending_order("100952")
    overpaid = initiate(overpaid_order)
    services.attempt_settle(
        attempt_id=overpaid.pk,
        outcome=success(overpaid, receipt="NLJ7RT6152", amount=Decimal("1300")),
    )
    # A part payment by Paybill, then the balance by a new prompt.
    part_paid = place_pending_order("100954")
    paybill("100954", amount="1000.00", trans_id="RKL51ZDR54")
    balance = services.stk_push_resend(order=part_paid, phone="254712345678")
    assert balance.amount == Decimal("250")
    services.attempt_settle(attempt_id=balance.pk, outcome=success(balance, receipt="NLJ7RT6154"))
    # A Paybill payment beyond the amount due: applied up to it, the rest kept for staff.
    place_pending_order("100955")
    paybill("100955", amount="1300.00", trans_id="RKL51ZDR55")
    # An order nobody paid, cancelled.
    unpaid = place_pending_order("100953")
    initiate(unpaid)
    MpesaPaymentAttempt.objects.filter(order=unpaid).update(status=Status.EXPIRED)
    services.order_cancel_unpaid(order_id=unpaid.pk)

    report = books_audit()

    assert report.ok, [breach.message for breach in report.breaches]
    paid = Order.objects.filter(number__in=["100951", "100954", "100955"], status="Paid")
    assert paid.count() == 3
    received = checkout_attempt.amount + Decimal(1250 + 300 + 450 + 1300 + 1000 + 250 + 1300)
    assert report.received == received and report.payments == 8
    assert report.resolved == Decimal("450")
    # The unmatched payment, the Paybill excess, and the STK overpayment (all or its excess).
    assert report.waiting >= Decimal(300 + 50 + 50)
    assert report.applied + report.waiting + report.resolved == report.received
    assert report.applied == sum(
        Transaction.objects.filter(txn_type="Debit").values_list("amount", flat=True)
    )
    assert "Books balance: OK" in run_audit()


# --- The command and the page -------------------------------------------------------------


def test_the_command_prints_the_totals_and_each_breach_and_fails(daraja):
    paid_by_stk("100961", "NLJ7RT6161")
    assert "Received KSh 1,250 in 1 payment(s) = applied KSh 1,250 + waiting KSh 0" in (run_audit())
    order = place_pending_order("100962")
    sql("UPDATE {order} SET status = 'Paid' WHERE id = %s", order.pk)
    out = StringIO()

    with pytest.raises(CommandError, match="1 breach"):
        call_command("mpesa_audit", stdout=out)

    assert "BREACH paid_without_money: Order 100962 is Paid" in plain(out.getvalue())


@pytest.mark.django_db(transaction=True)
def test_manage_py_mpesa_audit_exits_1_on_a_breach_and_0_when_clean(daraja, settings):
    def audit() -> subprocess.CompletedProcess:
        environment = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="oscar_shop.settings.local",
            DATABASE_URL=database_url(),
        )
        return subprocess.run(
            [sys.executable, "manage.py", "mpesa_audit"],
            cwd=settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    order = place_pending_order("100971")
    clean = audit()
    sql("UPDATE {order} SET status = 'Complete' WHERE id = %s", order.pk)
    broken = audit()

    assert clean.returncode == 0, clean.stderr
    assert "Books balance: OK" in clean.stdout
    assert broken.returncode == 1
    assert "Order 100971 is Complete" in plain(broken.stdout)
    assert "The books do not balance: 1 breach" in broken.stderr


@pytest.fixture
def boss_client(client):
    boss = get_user_model().objects.create_user("boss", is_staff=True, is_superuser=True)
    client.force_login(boss)
    return client


def test_the_dashboard_page_says_the_books_balance(daraja, boss_client):
    paid_by_stk("100981", "NLJ7RT6181")

    page = boss_client.get(reverse("mpesa-dashboard:books"))

    assert page.status_code == 200
    assert "Books balance: OK" in page.content.decode()
    assert page.context["report"].received == Decimal("1250")


def test_the_dashboard_page_lists_each_problem_linked_to_its_records(daraja, boss_client):
    order, attempt = paid_by_stk("100982", "NLJ7RT6182")
    sql("UPDATE {attempt} SET recorded_on_order = FALSE WHERE id = %s", attempt.pk)
    unpaid = place_pending_order("100983")
    sql("UPDATE {order} SET status = 'Paid' WHERE id = %s", unpaid.pk)

    page = plain(boss_client.get(reverse("mpesa-dashboard:books")).content.decode())

    assert "Books balance: 2 problems" in page
    assert "Books balance: OK" not in page
    detail = reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": attempt.pk})
    assert f'href="{detail}"' in page
    assert f'href="{reverse("dashboard:order-detail", kwargs={"number": "100983"})}"' in page


def test_the_transaction_log_links_to_the_books_page(daraja, boss_client):
    page = boss_client.get(reverse("mpesa-dashboard:transaction-list")).content.decode()

    assert f'href="{reverse("mpesa-dashboard:books")}"' in page
