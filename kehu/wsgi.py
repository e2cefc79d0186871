"""WSGI entry point (gunicorn kehu.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")

application = get_wsgi_application()

from core.startup import refuse_unsafe_production  # noqa: E402  (needs the app registry)

refuse_unsafe_production()
