"""What can be a database row's id, for values read from outside the database (a cookie,
a session written by another release): anything else must never reach a query, where it
fails as a 500 instead of finding nothing."""

#: Ids are PostgreSQL bigints (and SQLite integers).
LARGEST_ID = 2**63 - 1


def is_row_id(value: object) -> bool:
    """A whole number an id can be: not a bool, a float or text."""
    return type(value) is int and 0 < value <= LARGEST_ID


def row_id_from_text(text: str) -> int | None:
    """``text`` as an id if it is one written in ASCII digits, else None."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(LARGEST_ID)):
        return None
    value = int(text)
    return value if is_row_id(value) else None
