"""Permissions for the staff actions of the dashboard's M-Pesa section, the "Payments staff"
group that holds the working set, and indexes for the search by payer name and email.

The group gets: reading the M-Pesa log (Django's view_mpesapaymentattempt), every staff
action but the test prompt (superusers only), and Oscar's order access
(order.view_order, what /dashboard/orders/<number>/ asks of a staff account), so its
members can open the orders the payments belong to. Its members must be staff accounts
(is_staff): a group cannot make one.

Permissions are made by Django after migrating (post_migrate); the group needs them now,
so this migration makes those of the payment and order apps itself (the same call).
"""

import logging

from django.contrib.auth.management import create_permissions
from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

GROUP = "Payments staff"
GROUP_PERMISSIONS = {
    "payment": (
        "view_mpesapaymentattempt",
        "mark_mpesa_paid",
        "match_mpesa_payment",
        "resolve_mpesa_payment",
        "reconcile_mpesa",
        "check_mpesa_status",
    ),
    "order": ("view_order",),
}

ATTEMPTS = "payment_mpesapaymentattempt"


def _make_permissions(apps, using: str) -> None:
    for label in GROUP_PERMISSIONS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
        app_config.models_module = None


def add_payments_staff_group(apps, schema_editor):
    _make_permissions(apps, schema_editor.connection.alias)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    for label, codenames in GROUP_PERMISSIONS.items():
        permissions = Permission.objects.filter(
            content_type__app_label=label, codename__in=codenames
        )
        assert permissions.count() == len(codenames), (label, codenames)
        group.permissions.add(*permissions)


def remove_payments_staff_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


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
        migrations.RunPython(add_payments_staff_group, remove_payments_staff_group),
        migrations.RunPython(add_search_indexes, remove_search_indexes),
    ]
