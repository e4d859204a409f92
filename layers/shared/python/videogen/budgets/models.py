"""Money in bodies: exact decimals, sent as JSON strings without trailing zeros ("9.98",
"3", "0.2"): JSON numbers are binary floats to most clients, and a sum of floats is not
exact (docs/architecture.md, "Budgets")."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer


def money_text(amount: Decimal) -> str:
    """'9.9800' -> '9.98', '10' stays '10' (never '1E+1')."""
    return format(amount.normalize(), "f")


Money = Annotated[Decimal, PlainSerializer(money_text, return_type=str, when_used="json")]
