"""Who may see the dashboard's M-Pesa section: one rule for the views and the navigation.

Plain functions of the user, with the signature Oscar's dashboard navigation expects of
an ``access_fn``; imported by the settings, so nothing here may import models.
"""


def staff_access(user, url_name=None, url_args=None, url_kwargs=None) -> bool:
    """Staff run the shop from the dashboard: they see the log and act on payments."""
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def superuser_access(user, url_name=None, url_args=None, url_kwargs=None) -> bool:
    """Only superusers may send a test prompt: it moves real money in production."""
    return staff_access(user) and bool(user.is_superuser)
