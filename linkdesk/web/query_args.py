"""Numbers read from query strings and forms: never an error page, never a number the database
cannot take. Only ASCII digits count: ``'²'.isdigit()`` is true and ``int('²')`` raises."""

import re

from werkzeug.datastructures import MultiDict

MAX_PAGE = 100_000  # far past the last page of any list here; a bigger one shows the empty last page
MAX_SEARCH_LENGTH = 100  # characters of a search box; longer is refused (SQLite: "LIKE pattern too complex")
_DIGITS = re.compile(r"[0-9]+")


def ascii_int(value: str | None, *, max_digits: int = 18) -> int | None:
    """The non-negative integer written in ASCII digits, or None (anything else, or too long)."""
    value = (value or "").strip()
    if not _DIGITS.fullmatch(value) or len(value) > max_digits:
        return None
    return int(value)


def int_arg(args: MultiDict, name: str, default: int, *, low: int, high: int) -> int:
    """The integer ``args[name]`` clamped to [low, high]; ``default`` when missing or not a number."""
    value = args.get(name, "").strip()
    digits = value.removeprefix("-")
    if not _DIGITS.fullmatch(digits):
        return default
    number = int(digits) if len(digits) <= 18 else 10**18  # past any bound; and no 4,300-digit parse
    return min(max(-number if value.startswith("-") else number, low), high)


def page_arg(args: MultiDict) -> int:
    return int_arg(args, "page", 1, low=1, high=MAX_PAGE)


def search_text(args: MultiDict, name: str = "q") -> str | None:
    """The search text, stripped; None when it is longer than a search box allows."""
    text = args.get(name, "").strip()
    return text if len(text) <= MAX_SEARCH_LENGTH else None
