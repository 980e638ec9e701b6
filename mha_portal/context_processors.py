from django.urls import reverse

from mha_portal.navigation import menu_for
from mha_portal.scoping import scope_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": [], "scope": None}
    scope = scope_for(user)
    menu = menu_for(scope, request.path)
    if not scope.is_empty:
        from mha_portal.work import home_count

        # The number of things waiting for this user, beside "Home" where they are listed.
        home_url = reverse("home")
        count = None
        for item in menu:
            if item["url"] == home_url:
                count = home_count(user) if count is None else count
                item["count"] = count
    return {"menu": menu, "scope": scope}
