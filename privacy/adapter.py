"""allauth's MFA adapter stores TOTP secrets as given; ours encrypts them with the field keys."""

from allauth.mfa.adapter import DefaultMFAAdapter

from privacy.crypto import decrypt_text, encrypt_text


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_text(encrypted_text)

    def get_totp_issuer(self) -> str:
        return "MHA Portal"
