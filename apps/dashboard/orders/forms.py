"""The orders dashboard's forms that differ from Oscar's."""

from datetime import date, timedelta

from django import forms
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from oscar.apps.dashboard.orders import forms as oscar_forms

#: No order, line, name or voucher the order list searches holds longer text.
SEARCH_TEXT_MAX_LENGTH = 255
#: The dates a search can name: Oscar adds a day to the "to" date to describe the search,
#: and both become Nairobi times, which overflowed at the ends of Python's calendar (500).
EARLIEST_DATE = date.min + timedelta(days=1)
LATEST_DATE = date.max - timedelta(days=1)


class OrderSearchForm(oscar_forms.OrderSearchForm):
    """Oscar's order search, its text fields no longer than what they search (a longer
    text finds nothing anyway, and 50,000 characters made SQLite refuse the query, LIKE
    pattern too complex: a 500) and its dates within the calendar's ends. A search out
    of bounds lists every order, as any invalid search does."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.max_length = SEARCH_TEXT_MAX_LENGTH
                field.validators.append(MaxLengthValidator(SEARCH_TEXT_MAX_LENGTH))
            if isinstance(field, forms.DateField):
                field.validators += [
                    MinValueValidator(EARLIEST_DATE),
                    MaxValueValidator(LATEST_DATE),
                ]
