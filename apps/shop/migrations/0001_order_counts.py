"""The number of orders per status (``OrderCount``), kept by PostgreSQL triggers on the
order table.

Every statement that inserts, updates or deletes orders adds, in the same database
transaction, one row per status it changed with the change in count: only inserts, so
orders placed at the same moment never wait for each other here. The existing orders are
counted once, after the triggers are in place and while they hold writers off, so none
is missed or counted twice. SQLite keeps no counts (see ``OrderCount``).
"""

from django.db import migrations, models

ORDERS = "order_order"
COUNTS = "shop_ordercount"


def _add_up(changes: str) -> str:
    return (
        f"INSERT INTO {COUNTS} (status, count) SELECT status, SUM(change) "
        f"FROM ({changes}) AS changes GROUP BY status HAVING SUM(change) <> 0"
    )


INSERTED = "SELECT status, 1 AS change FROM new_rows"
DELETED = "SELECT status, -1 AS change FROM old_rows"


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE FUNCTION shop_order_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_add_up(INSERTED)};
            ELSIF TG_OP = 'UPDATE' THEN
                {_add_up(f"{INSERTED} UNION ALL {DELETED}")};
            ELSIF TG_OP = 'DELETE' THEN
                {_add_up(DELETED)};
            ELSE
                DELETE FROM {COUNTS};
            END IF;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER shop_order_counts_insert AFTER INSERT ON {ORDERS}
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION shop_order_counts_change();
        CREATE TRIGGER shop_order_counts_update AFTER UPDATE ON {ORDERS}
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION shop_order_counts_change();
        CREATE TRIGGER shop_order_counts_delete AFTER DELETE ON {ORDERS}
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION shop_order_counts_change();
        CREATE TRIGGER shop_order_counts_truncate AFTER TRUNCATE ON {ORDERS}
            FOR EACH STATEMENT EXECUTE FUNCTION shop_order_counts_change();
        """
    )
    # Creating the triggers locked the order table against writers until this migration
    # commits, so this count and the triggers' rows never overlap.
    schema_editor.execute(_add_up(f"SELECT status, 1 AS change FROM {ORDERS}"))


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for event in ("insert", "update", "delete", "truncate"):
        schema_editor.execute(f"DROP TRIGGER shop_order_counts_{event} ON {ORDERS}")
    schema_editor.execute("DROP FUNCTION shop_order_counts_change()")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("order", "0021_billingaddress_code_shippingaddress_code"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrderCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("status", models.CharField(max_length=100)),
                ("count", models.IntegerField()),
            ],
            options={
                "verbose_name": "order count",
                "verbose_name_plural": "order counts (kept by the database)",
            },
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
