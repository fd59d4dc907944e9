"""Day totals of the M-Pesa log, kept by PostgreSQL triggers, and indexes for the
dashboard's filters.

Every statement that inserts, updates or deletes transactions adds, in the same database
transaction, one row per (day, status, channel, test, attention) it changed, with the
change in count and shillings: only inserts, so concurrent payments never wait for each
other here. Days are the shop's calendar days (``TIME_ZONE``, as the dashboard's date
filter reads them). The existing transactions are added up once, after the triggers are
in place and while they hold writers off, so none is missed or counted twice.
SQLite keeps no day totals (see ``MpesaDayTotal``).
"""

from django.conf import settings
from django.db import migrations, models

ATTEMPTS = "payment_mpesapaymentattempt"
TOTALS = "payment_mpesadaytotal"
KEY = "day, status, channel, is_test, needs_attention"


def _changes(rows: str, sign: str, time_zone: str) -> str:
    """What the rows of a transition table (or of the whole log) add to the totals."""
    return (
        f"SELECT (created_at AT TIME ZONE {time_zone})::date AS day, status, channel, "
        f"is_test, needs_attention, {sign}1 AS count, {sign}amount AS amount, "
        f"{sign}COALESCE(amount_paid, 0) AS amount_paid FROM {rows}"
    )


def _add_up(changes: str) -> str:
    return (
        f"INSERT INTO {TOTALS} ({KEY}, count, amount, amount_paid) "
        f"SELECT {KEY}, SUM(count), SUM(amount), SUM(amount_paid) FROM ({changes}) AS changes "
        f"GROUP BY {KEY} HAVING SUM(count) <> 0 OR SUM(amount) <> 0 OR SUM(amount_paid) <> 0"
    )


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    time_zone = schema_editor.quote_value(settings.TIME_ZONE)
    inserted = _changes("new_rows", "", time_zone)
    deleted = _changes("old_rows", "-", time_zone)
    schema_editor.execute(
        f"""
        CREATE FUNCTION mpesa_day_totals_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_add_up(inserted)};
            ELSIF TG_OP = 'UPDATE' THEN
                {_add_up(f"{inserted} UNION ALL {deleted}")};
            ELSIF TG_OP = 'DELETE' THEN
                {_add_up(deleted)};
            ELSE
                DELETE FROM {TOTALS};
            END IF;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER mpesa_day_totals_insert AFTER INSERT ON {ATTEMPTS}
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION mpesa_day_totals_change();
        CREATE TRIGGER mpesa_day_totals_update AFTER UPDATE ON {ATTEMPTS}
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION mpesa_day_totals_change();
        CREATE TRIGGER mpesa_day_totals_delete AFTER DELETE ON {ATTEMPTS}
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION mpesa_day_totals_change();
        CREATE TRIGGER mpesa_day_totals_truncate AFTER TRUNCATE ON {ATTEMPTS}
            FOR EACH STATEMENT EXECUTE FUNCTION mpesa_day_totals_change();
        """
    )
    schema_editor.execute(_add_up(_changes(ATTEMPTS, "", time_zone)))


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for event in ("insert", "update", "delete", "truncate"):
        schema_editor.execute(f"DROP TRIGGER mpesa_day_totals_{event} ON {ATTEMPTS}")
    schema_editor.execute("DROP FUNCTION mpesa_day_totals_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("payment", "0007_callback_unverified"),
    ]

    operations = [
        migrations.CreateModel(
            name="MpesaDayTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("created", "Recorded, prompt not yet sent"),
                            ("pending", "Prompt sent, waiting for the customer"),
                            ("unconfirmed", "Unconfirmed: Daraja did not answer in time"),
                            ("succeeded", "Paid"),
                            ("failed", "Failed"),
                            ("refused", "Refused by Daraja (no prompt sent)"),
                            ("expired", "Expired without an answer"),
                            ("review", "Money received, needs staff review"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[("stk", "STK push"), ("paybill", "Paybill (C2B)")], max_length=8
                    ),
                ),
                ("is_test", models.BooleanField()),
                ("needs_attention", models.BooleanField()),
                ("count", models.BigIntegerField()),
                ("amount", models.DecimalField(decimal_places=2, max_digits=18)),
                ("amount_paid", models.DecimalField(decimal_places=2, max_digits=18)),
            ],
            options={
                "verbose_name": "M-Pesa day total",
                "verbose_name_plural": "M-Pesa day totals",
            },
        ),
        migrations.AlterField(
            model_name="mpesapaymentattempt",
            name="channel",
            field=models.CharField(
                choices=[("stk", "STK push"), ("paybill", "Paybill (C2B)")],
                default="stk",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="mpesapaymentattempt",
            name="needs_attention",
            field=models.BooleanField(default=False, verbose_name="Needs staff attention"),
        ),
        migrations.AddIndex(
            model_name="mpesapaymentattempt",
            index=models.Index(fields=["status", "created_at"], name="mpesa_status_created"),
        ),
        migrations.AddIndex(
            model_name="mpesapaymentattempt",
            index=models.Index(fields=["channel", "created_at"], name="mpesa_channel_created"),
        ),
        migrations.AddIndex(
            model_name="mpesapaymentattempt",
            index=models.Index(
                condition=models.Q(("needs_attention", True)),
                fields=["created_at"],
                name="mpesa_attention_created",
            ),
        ),
        migrations.AddIndex(
            model_name="mpesapaymentattempt",
            index=models.Index(
                condition=models.Q(("is_test", True)),
                fields=["created_at"],
                name="mpesa_test_created",
            ),
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
