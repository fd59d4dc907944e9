"""Django's database sessions, reading only session keys Django could have made.

A session cookie is the visitor's to write. Django accepts any key of eight characters or
more and looks it up; a key with a NUL in it made PostgreSQL refuse the query (psycopg2:
"A string literal cannot contain NUL"), a 500 on every page for that visitor. Django's
keys are 32 lower-case letters and digits: anything else is no session, and the visitor
gets a new one, as with a key that has expired.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

#: The session table's key column holds at most 40 characters.
MAX_KEY_LENGTH = 40


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key) -> bool:
        return (
            super()._validate_session_key(key)
            and len(key) <= MAX_KEY_LENGTH
            and set(key) <= set(VALID_KEY_CHARS)
        )
