"""WSGI entry point (gunicorn, and runserver, which loads it too)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mybili.settings")

application = get_wsgi_application()

from mybili.startup import require_secret_key  # noqa: E402 - needs the settings configured above

require_secret_key()
