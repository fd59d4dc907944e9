"""Oscar's sign-in and registration forms, with each field saying what it holds for the
browser's autofill and password managers (WCAG 2.1 "Identify Input Purpose"); the sign-in
goes on only to a redirect that is a URL."""

from typing import Any

from oscar.apps.customer.forms import EmailAuthenticationForm as CoreEmailAuthenticationForm
from oscar.apps.customer.forms import EmailUserCreationForm as CoreEmailUserCreationForm


class EmailAuthenticationForm(CoreEmailAuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.setdefault("autocomplete", "username")
        self.fields["password"].widget.attrs.setdefault("autocomplete", "current-password")

    def clean_redirect_url(self):
        """Oscar's, for a URL only: Oscar's view passes it to ``redirect()``, which reads a
        value with no "/" or "." ("0", found by fuzzing) as a view's name: a 500 after a
        successful sign-in. Anything else signs in to the default page."""
        url = super().clean_redirect_url()
        if url and not url.startswith(("/", "http://", "https://")):
            return None
        return url


class EmailUserCreationForm(CoreEmailUserCreationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.setdefault("autocomplete", "email")
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs.setdefault("autocomplete", "new-password")
