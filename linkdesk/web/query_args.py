"""The desk's one number reader, for paths, query strings, forms and JSON: never an error page,
never a number the database cannot take. Only ASCII digits count: ``'²'.isdigit()`` is true and
``int('²')`` raises, while ``int('１')`` (full width) and ``int('١')`` (Arabic-Indic) are 1 — a
number written so is not a number here, wherever it comes.

- ``ascii_int``: the reader; everything below goes through it (or its pattern).
- ``int_arg``/``page_arg``: a query argument, clamped (lists never refuse a page).
- ``WholeNumberField``: a form's number field.
- ``AsciiIntegerConverter`` (registered in ``input_guard``): ``<int:…>`` in every route.
- JSON bodies take JSON integers only (``StrictInt`` in ``api/bodies.py``); text there goes through ``ascii_int``.
"""

import re

from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, ValidationError
from wtforms import IntegerField

MAX_PAGE = 100_000  # far past the last page of any list here; a bigger one shows the empty last page
MAX_SEARCH_LENGTH = 100  # characters of a search box; longer is refused (SQLite: "LIKE pattern too complex")
_DIGITS = re.compile(r"[0-9]+")


def ascii_int(value: str | None, *, max_digits: int = 18) -> int | None:
    """The non-negative integer written in ASCII digits, or None (anything else, or too long)."""
    value = (value or "").strip()
    if not _DIGITS.fullmatch(value) or len(value) > max_digits:
        return None
    return int(value)


class WholeNumberField(IntegerField):
    """``IntegerField`` reading its text with ``ascii_int``: wtforms' own reads it with ``int()``,
    which takes full-width digits, signs, blanks and underscores (``'1_000'``)."""

    def __init__(self, label=None, validators=None, invalid_value_message="请用半角数字 0–9 填写整数。", **kwargs):
        super().__init__(label, validators, invalid_value_message=invalid_value_message, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = ascii_int(valuelist[0] if isinstance(valuelist[0], str) else None)
        if self.data is None and (valuelist[0] or "").strip():
            raise ValueError(self.invalid_value_message)


class AsciiIntegerConverter(IntegerConverter):
    """``<int:…>`` that matches ASCII digits only (werkzeug's ``\\d+`` takes ``'１'``), up to ``max``."""

    regex = _DIGITS.pattern

    def to_python(self, value: str) -> int:
        if ascii_int(value.removeprefix("-")) is None:
            raise ValidationError()
        return super().to_python(value)


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
