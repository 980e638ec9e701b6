"""Idempotency keys: a retried submission returns the first result and creates nothing.

Rural connections drop, and a treasurer who taps "save" again after a timeout must not record the
money twice. Every create carries a key (a hidden `idempotency_key` form field on pages, the
`Idempotency-Key` header in the API). The key is stored on the created row itself, in a column
with a UNIQUE constraint, with a fingerprint of the submitted content:

- same key, same content  -> the first row is returned, nothing is written;
- same key, other content -> `IdempotencyConflict` (the API answers 422, the page says so);
- a concurrent duplicate loses on the unique constraint and gets the first row.

A model opts in with two fields (see `IdempotentFields`) and a service wraps its create in
`run_idempotent()`. Nothing here knows about any app.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

HEADER = "Idempotency-Key"
FIELD = "idempotency_key"
MAX_LENGTH = 64

T = TypeVar("T", bound=models.Model)


class IdempotencyConflict(ValidationError):
    """The key was already used for a submission with different content."""

    def __init__(self):
        super().__init__(_("This request key was already used for a different submission. "
                           "Reload the form and submit again."), code="idempotency_conflict")


def key_field() -> models.CharField:
    return models.CharField(max_length=MAX_LENGTH, unique=True, null=True, blank=True, editable=False)


def fingerprint_field() -> models.CharField:
    return models.CharField(max_length=64, blank=True, default="", editable=False)


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (Decimal, date, datetime, uuid.UUID)):
        return str(value)
    if hasattr(value, "amount") and hasattr(value, "currency"):  # djmoney Money
        return f"{value.amount} {value.currency}"
    return value


def fingerprint(content: dict) -> str:
    """A stable hash of what was submitted (models by pk, decimals and dates as text)."""
    canonical = json.dumps({k: _plain(v) for k, v in content.items()}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def clean_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key:
        raise ValidationError(_("A request key (Idempotency-Key) is required for this submission."),
                              code="idempotency_missing")
    if len(key) > MAX_LENGTH or not key.isprintable():
        raise ValidationError(_("The request key must be at most %(n)d printable characters.") % {"n": MAX_LENGTH},
                              code="idempotency_invalid")
    return key


def find_previous(model: type[T], key: str, content_hash: str) -> T | None:
    """The row created with this key, or None; IdempotencyConflict if its content differs."""
    previous = model._base_manager.filter(idempotency_key=key).first()
    if previous is None:
        return None
    if previous.idempotency_fingerprint != content_hash:
        raise IdempotencyConflict()
    previous.idempotent_replay = True
    return previous


def run_idempotent(model: type[T], *, key: str | None, content: dict, create: Callable[[str, str], T]) -> T:
    """Return the row made earlier with `key`, or call `create(key, fingerprint)` once.

    `create` must store the key and fingerprint on the row it makes (fields `idempotency_key` and
    `idempotency_fingerprint`) and may call `find_previous` again under its own lock. A concurrent
    duplicate that slips past both checks fails on the unique constraint and gets the first row.
    """
    key = clean_key(key)
    content_hash = fingerprint(content)
    previous = find_previous(model, key, content_hash)
    if previous is not None:
        return previous
    try:
        with transaction.atomic():
            return create(key, content_hash)
    except IntegrityError:
        previous = find_previous(model, key, content_hash)
        if previous is None:
            raise
        return previous


def key_from_request(request) -> str | None:
    """The key of an API request (header) or a page form (hidden field)."""
    return request.headers.get(HEADER) or request.POST.get(FIELD)


def new_key() -> str:
    return uuid.uuid4().hex


class IdempotentFormMixin(forms.Form):
    """Adds the hidden key field; a fresh key each time the empty form is rendered."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=MAX_LENGTH, required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault(FIELD, new_key())
