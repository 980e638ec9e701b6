"""Project-wide records that belong to no app: the per-user register of request keys."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """One request key of one user, and what the request answered.

    Keys are one namespace per user: a key names exactly one request (endpoint and body). Kept
    `IDEMPOTENCY_KEY_TTL` (30 days by default), far longer than a phone stays offline, then purged.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    kind = models.CharField(max_length=255, help_text="The method and path the key was first used for.")
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True, default="")
    location = models.CharField(max_length=500, blank=True, default="")
    body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_one_request_per_user_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
