"""Indexes for the dashboard's M-Pesa search, so that it does not read the whole log.

The identifiers are matched whatever their case, on UPPER(...) expression indexes (any
database). The phones are matched by "contains" (staff type the last digits), which a
B-tree cannot answer: on PostgreSQL, trigram (pg_trgm) GIN indexes on UPPER(phone) do,
the expression Django's ``icontains`` compares. pg_trgm is a trusted extension (any owner
of the database may create it); where it cannot be created, the migration says so and
goes on without these two indexes: the search still works, reading the log.
"""

import logging

import django.db.models.functions.text
from django.conf import settings
from django.db import DatabaseError, migrations, models, transaction

logger = logging.getLogger(__name__)

ATTEMPTS = "payment_mpesapaymentattempt"
PHONE_COLUMNS = ("phone", "paid_phone")


def add_phone_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        logger.warning(
            "pg_trgm could not be created (%s): the M-Pesa phone search reads the log", exc
        )
        return
    for column in PHONE_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS mpesa_{column}_trgm ON {ATTEMPTS} "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def remove_phone_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in PHONE_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS mpesa_{column}_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ('order', '0021_billingaddress_code_shippingaddress_code'),
        ('payment', '0009_order_email_outbox'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='mpesapaymentattempt',
            index=models.Index(django.db.models.functions.text.Upper('receipt_number'), name='mpesa_receipt_upper'),
        ),
        migrations.AddIndex(
            model_name='mpesapaymentattempt',
            index=models.Index(django.db.models.functions.text.Upper('checkout_request_id'), name='mpesa_checkout_id_upper'),
        ),
        migrations.AddIndex(
            model_name='mpesapaymentattempt',
            index=models.Index(django.db.models.functions.text.Upper('merchant_request_id'), name='mpesa_merchant_id_upper'),
        ),
        migrations.AddIndex(
            model_name='mpesapaymentattempt',
            index=models.Index(django.db.models.functions.text.Upper('bill_ref_number'), name='mpesa_bill_ref_upper'),
        ),
        migrations.RunPython(add_phone_trigram_indexes, remove_phone_trigram_indexes),
    ]
