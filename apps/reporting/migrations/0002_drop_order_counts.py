"""The order counts the triggers kept go: the dashboard counts the orders per status
itself, kept for a few seconds (``apps.reporting.order_counts``), which meets the staff
pages' budgets at 100,000 orders without a write on every order statement.

The triggers and their functions are dropped first, then the tables they wrote. Going
back puts both again and counts the orders there are, as 0001 did.
"""

import importlib

from django.db import migrations

order_counts = importlib.import_module("apps.reporting.migrations.0001_order_counts")


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in (order_counts.ORDERS, order_counts.LINES):
        for event in ("insert", "update", "delete", "truncate"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS shop_counts_{event} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS shop_{table}_counts_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0001_order_counts"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, order_counts.install_triggers),
        migrations.DeleteModel(name="OrderCount"),
        migrations.DeleteModel(name="OrderLineCount"),
    ]
