from apps.order.statuses import PAID_STATUSES, _paid_family


def test_the_paid_family_is_paid_and_everything_after_it_but_cancelled():
    assert PAID_STATUSES == ("Paid", "Being processed", "Shipped", "Complete")


def test_a_status_added_after_paid_joins_the_family():
    pipeline = {
        "Pending payment": ("Paid", "Cancelled"),
        "Paid": ("Packed", "Cancelled"),
        "Packed": ("Shipped", "Cancelled"),
        "Shipped": (),
        "Cancelled": (),
    }
    assert _paid_family(pipeline) == ("Paid", "Packed", "Shipped")
