import os

from django.core.asgi import get_asgi_application

from threehours.core.i18n import compile_messages_at_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
compile_messages_at_start()  # before Django loads the catalogues
application = get_asgi_application()
