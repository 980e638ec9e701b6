from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from privacy.mfa import SESSION_KEY


@receiver(user_logged_in)
def forget_second_factor(sender, request, user, **kwargs):
    """A password sign-in never inherits a second factor given earlier in the same session."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(SESSION_KEY, None)
