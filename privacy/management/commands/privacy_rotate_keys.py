"""Re-encrypt every encrypted field (and the TOTP secrets) under the current key, the first of
FIELD_ENCRYPTION_KEYS. Run after putting a new key first; drop the old key once it has run.
Also encrypts any value still in clear text."""

from allauth.mfa.models import Authenticator
from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from privacy.crypto import rotate_text
from privacy.fields import EncryptedTextField

BATCH = 1000


def encrypted_fields():
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names


def rotate_model(model, names: list[str]) -> int:
    """Each row read (decrypted with whichever key fits) and written back (encrypted with the first)."""
    manager = model._base_manager
    pk = model._meta.pk.name
    count = 0
    batch = []
    for row in manager.only(pk, *names).order_by(pk).iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            manager.bulk_update(batch, names)
            count += len(batch)
            batch = []
    manager.bulk_update(batch, names)
    return count + len(batch)


@transaction.atomic
def rotate_authenticators() -> int:
    authenticators = list(Authenticator.objects.select_for_update().filter(type=Authenticator.Type.TOTP))
    for authenticator in authenticators:
        authenticator.data["secret"] = rotate_text(authenticator.data["secret"])
    Authenticator.objects.bulk_update(authenticators, ["data"])
    return len(authenticators)


class Command(BaseCommand):
    help = "Re-encrypt personal data and TOTP secrets under the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        for model, names in encrypted_fields():
            with transaction.atomic():
                count = rotate_model(model, names)
            self.stdout.write(f"{model._meta.label}: {count} rows ({', '.join(names)})")
        self.stdout.write(f"TOTP secrets: {rotate_authenticators()}")
