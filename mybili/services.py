"""Project-level writes that belong to no app."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

DEMO_ADMIN = "admin"


class NotInDebug(Exception):
    """The demo admin exists only for local development."""


@transaction.atomic
def demo_admin_ensure(*, username: str = DEMO_ADMIN) -> tuple[str, bool]:
    """Create the demo superuser with a fresh random password, or reset its password.

    Returns (password, created). Refuses (NotInDebug) unless settings.DEBUG is on.
    """
    if not settings.DEBUG:
        raise NotInDebug("refusing to create or reset the demo admin: DEBUG is off")
    User = get_user_model()
    password = secrets.token_urlsafe(12)
    user = User.objects.select_for_update().filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username, email="")
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()
    return password, created
