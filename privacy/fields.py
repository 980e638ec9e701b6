"""A text field stored encrypted (Fernet, keys from the environment; see privacy/crypto.py).

The database holds only ciphertext, so it cannot be searched or filtered on: equality lookups on
an empty value still work (empty is stored empty), anything else needs a digest column.
"""

from django import forms
from django.core import validators
from django.db import models

from privacy.crypto import decrypt_text, encrypt_text


class EncryptedTextField(models.TextField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            # TextField leaves length to forms; the clear text is what must stay short.
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))

    def formfield(self, **kwargs):
        if not self.choices:
            kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(**kwargs)
