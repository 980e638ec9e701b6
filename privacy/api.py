"""POST /api/v1/auth/token/: a token for username and password, plus a current code from the
authenticator app for those who must use a second factor (officers, administrators)."""

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from privacy import mfa


class TokenRequestSerializer(AuthTokenSerializer):
    otp = serializers.CharField(label=_("Code"), required=False, allow_blank=True, write_only=True,
                                help_text="The current code of the authenticator app (officers and "
                                          "administrators), or one of their recovery codes.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs["user"]
        if mfa.needs_code(user):
            if not mfa.has_totp(user):
                raise serializers.ValidationError(
                    {"otp": [_("Set up a second factor on the portal before asking for a token.")]})
            code = attrs.get("otp", "")
            if not code:
                raise serializers.ValidationError({"otp": [_("A code from your authenticator app is required.")]})
            if not mfa.second_factor_check(user=user, code=code):
                raise serializers.ValidationError({"otp": [_("This code is not valid (or was already used).")]})
        return attrs


class ObtainTokenView(ObtainAuthToken):
    serializer_class = TokenRequestSerializer


obtain_token = ObtainTokenView.as_view()
