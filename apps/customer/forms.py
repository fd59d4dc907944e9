"""Oscar's sign-in and registration forms, with each field saying what it holds for the
browser's autofill and password managers (WCAG 2.1 "Identify Input Purpose")."""

from typing import Any

from oscar.apps.customer.forms import EmailAuthenticationForm as CoreEmailAuthenticationForm
from oscar.apps.customer.forms import EmailUserCreationForm as CoreEmailUserCreationForm


class EmailAuthenticationForm(CoreEmailAuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.setdefault("autocomplete", "username")
        self.fields["password"].widget.attrs.setdefault("autocomplete", "current-password")


class EmailUserCreationForm(CoreEmailUserCreationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.setdefault("autocomplete", "email")
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs.setdefault("autocomplete", "new-password")
