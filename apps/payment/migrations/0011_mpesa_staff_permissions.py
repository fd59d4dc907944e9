"""Permissions for the staff actions of the dashboard's M-Pesa section, and indexes for the
search by payer name and email. The "Payments staff" group that holds the working set is
made after every migrate (``apps.payment.staff_group``), where Django makes permissions.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

ATTEMPTS = "payment_mpesapaymentattempt"


def add_search_indexes(apps, schema_editor):
    """The payer name is searched by "contains" (a trigram index, as the phones in 0010),
    the guest email whole, whatever its case (UPPER(...))."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS mpesa_guest_email_upper ON {ATTEMPTS} "
        "(UPPER(guest_email::text))"
    )
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        logger.warning("pg_trgm could not be created (%s): the payer search reads the log", exc)
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS mpesa_payer_name_trgm ON {ATTEMPTS} "
        "USING gin (UPPER(payer_name::text) gin_trgm_ops)"
    )


def remove_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS mpesa_payer_name_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS mpesa_guest_email_upper")


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("order", "0021_billingaddress_code_shippingaddress_code"),
        ("payment", "0010_mpesa_search_indexes"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="mpesapaymentattempt",
            options={
                "ordering": ["-created_at", "-pk"],
                "permissions": [
                    ("mark_mpesa_paid", "Can mark an order paid with an M-Pesa receipt"),
                    ("match_mpesa_payment", "Can match an M-Pesa payment to an order"),
                    ("resolve_mpesa_payment", "Can resolve an M-Pesa payment needing attention"),
                    ("reconcile_mpesa", "Can run the M-Pesa reconciliation"),
                    ("check_mpesa_status", "Can ask M-Pesa for the status of a prompt"),
                ],
                "verbose_name": "M-Pesa transaction",
                "verbose_name_plural": "M-Pesa transactions",
            },
        ),
        migrations.RunPython(add_search_indexes, remove_search_indexes),
    ]
