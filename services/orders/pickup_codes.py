"""Pickup codes: issued when a group is ready, typed in at the counter, and guessed at most a
few times (no I/O).

A code has six digits, so one that could be tried without end would fall to anyone able to
call ConfirmPickup a million times. After ``attempts`` wrong codes in a row the group's code
is locked for ``lockout_s``: even the right one is refused until then, and the count starts
again. Five tries per 15 minutes leave a guesser about one chance in 2,000 a day, while a
customer who mistypes twice is not held up.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Guard:
    """How many wrong codes in a row lock a group's code, and for how long."""

    attempts: int = 5
    lockout_s: int = 900


class Outcome(enum.Enum):
    MATCH = "MATCH"
    WRONG = "WRONG"  # counted; may have locked the code
    LOCKED = "LOCKED"  # refused unread: the code is locked


@dataclass(frozen=True)
class Verdict:
    """What a typed code met, and the group's count and lock after it."""

    outcome: Outcome
    failures: int
    locked_until: datetime | None

    def attempts_left(self, guard: Guard) -> int:
        return 0 if self.locked_until else guard.attempts - self.failures


_FORMAT = re.compile(r"[0-9]{6}")


def issue() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def well_formed(typed: str) -> bool:
    """Six ASCII digits, as issue() makes them: anything else is refused unread and uncounted."""
    return _FORMAT.fullmatch(typed) is not None


def matches(code: str, typed: str) -> bool:
    """In constant time, so that how long a refusal takes says nothing of the code; as bytes,
    which compare_digest takes whatever the text holds."""
    return secrets.compare_digest(typed.encode(), code.encode())


def check(guard: Guard, code: str, typed: str, failures: int, locked_until: datetime | None,
          now: datetime) -> Verdict:
    """Judge one typed code against the group's code, its count of wrong codes in a row and
    its lock. A lock that has run out is lifted with its count."""
    if locked_until is not None and now < locked_until:
        return Verdict(Outcome.LOCKED, failures, locked_until)
    if locked_until is not None:
        failures, locked_until = 0, None
    if matches(code, typed):
        return Verdict(Outcome.MATCH, 0, None)
    failures += 1
    if failures >= guard.attempts:
        return Verdict(Outcome.WRONG, 0, now + timedelta(seconds=guard.lockout_s))
    return Verdict(Outcome.WRONG, failures, None)
