"""Reads shared within one page: a dashboard asks each indicator and the money panel for two
windows (to date, in the period) of the same records; inside `shared_reads()` they read them once.
Outside it (a report job, the API) every call reads afresh."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_shared: ContextVar[dict | None] = ContextVar("reports_shared_reads", default=None)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Nested inside another, it shares the outer one's reads."""
    if _shared.get() is not None:
        yield
        return
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def shared() -> dict | None:
    """The current page's shared reads, or None outside `shared_reads()`."""
    return _shared.get()
