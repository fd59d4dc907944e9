"""The M-Pesa log's day totals the triggers kept go, with the time zone 0008 wrote into
them: the dashboard adds up the transactions each filter selects, reading the filter's
days in the shop's time zone when it runs, kept for a few seconds
(``apps.payment.mpesa.selectors.attempt_totals``). The filters' indexes stay.

The triggers and their function are dropped first, then the table they wrote. Going back
puts both again and adds up the transactions there are, as 0008 did.
"""

import importlib

from django.db import migrations

day_totals = importlib.import_module("apps.payment.migrations.0008_mpesa_day_totals")


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for event in ("insert", "update", "delete", "truncate"):
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS mpesa_day_totals_{event} ON {day_totals.ATTEMPTS}"
        )
    schema_editor.execute("DROP FUNCTION IF EXISTS mpesa_day_totals_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("payment", "0013_mpesa_refunds"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, day_totals.install_triggers),
        migrations.DeleteModel(name="MpesaDayTotal"),
    ]
