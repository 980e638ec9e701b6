from mha_portal.navigation import menu_for
from mha_portal.scoping import scope_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": [], "scope": None}
    scope = scope_for(user)
    return {"menu": menu_for(scope, request.path), "scope": scope}
