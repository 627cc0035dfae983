"""What list pages read from the query string, the one way: whole numbers in a range (an
unreadable or out-of-range value is as if not given), the page number, and hours as the
pages show them (one decimal)."""
from decimal import Decimal

from flask import request

MAX_PAGE = 100000


def int_arg(name: str, low: int = 1, high: int = 9999) -> int | None:
    """`?name=` as a whole number within [low, high], else None."""
    value = request.args.get(name) or ""
    try:
        number = int(value)
    except ValueError:
        return None
    return number if low <= number <= high else None


def page_number() -> int:
    """`?page=` kept within 1 … MAX_PAGE (anything unreadable: page 1)."""
    try:
        return max(1, min(int(request.args.get("page", 1)), MAX_PAGE))
    except ValueError:
        return 1


def hours_text(value) -> str:
    """Hours with one decimal (46.5); nothing for none."""
    return f"{Decimal(value):.1f}" if value is not None else ""
