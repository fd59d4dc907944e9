"""The "Payments staff" group: the working set for the dashboard's M-Pesa section.

It holds reading the M-Pesa log (Django's ``view_mpesapaymentattempt``), every staff action
but the test prompt (superusers only), and Oscar's order access (``order.view_order``, what
/dashboard/orders/<number>/ asks of a staff account), so its members can open the orders
the payments belong to. Its members must be staff accounts (``is_staff``): a group cannot
make one.

Made after every ``migrate`` (and after a test database is flushed), where Django makes the
permissions themselves; made once: staff may change what the group holds afterwards.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS

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


def payments_staff_group_ensure(using: str = DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
    """The group exists with its permissions (a ``post_migrate`` receiver)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    if Group.objects.using(using).filter(name=GROUP).exists():
        return
    for label in GROUP_PERMISSIONS:
        # The order app's permissions may not be made yet when the payment app's are.
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using, apps=apps)
    group = Group.objects.using(using).create(name=GROUP)
    for label, codenames in GROUP_PERMISSIONS.items():
        permissions = Permission.objects.using(using).filter(
            content_type__app_label=label, codename__in=codenames
        )
        assert permissions.count() == len(codenames), (label, codenames)
        group.permissions.add(*permissions)
