"""Inclusive bounds of what a caller may ask for, checked and said the same way everywhere."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The times OneStock takes from callers and files: from 1970 up to the end of 2199. Every
# opening, ETA and transfer arrival worked out from them must still be a datetime, which ends
# with year 9999 (an order time near that end overflowed inside the routing core).
FIRST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
END_OF_TIMES = datetime(2200, 1, 1, tzinfo=UTC)
TIMES_SAID = "must be from 1970 to 2199"


def within_times(when: datetime) -> bool:
    return FIRST_TIME <= when < END_OF_TIMES


@dataclass(frozen=True)
class Range:
    """Inclusive bounds of a number or date, and how to say them ("1 to 64")."""

    low: Any
    high: Any

    def __contains__(self, value) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        if isinstance(self.low, int):
            return f"{self.low:,} to {self.high:,}"
        return f"{self.low} to {self.high}"


def whole_number(bounds: Range) -> Callable[[str], int]:
    """An argparse type: a whole number within ``bounds``, else a usage error naming them."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value not in bounds:
            raise argparse.ArgumentTypeError(f"must be {bounds}")
        return value
    return parse
