import gc
import os

from django.core.wsgi import get_wsgi_application

from threehours.core.i18n import compile_messages_at_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
compile_messages_at_start()  # before Django loads the catalogues
django_application = get_wsgi_application()

from threehours.core.handlers import (  # noqa: E402  (Django is set up)
    API_PREFIX,
    PUBLIC_PAGE_PREFIX,
    ApiWSGIHandler,
    PublicPageWSGIHandler,
)

api_application = ApiWSGIHandler()
public_page_application = PublicPageWSGIHandler()

# The request variables of CGI/WSGI that a server sets from the request itself (PEP 3333).
_REQUEST_KEYS = frozenset(
    [
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "REMOTE_ADDR",
        "REMOTE_PORT",
        "REMOTE_HOST",
        "GATEWAY_INTERFACE",
        "SERVER_SOFTWARE",
    ]
)
# granian (`threehours serve`) starts every request's environ from a copy of the process
# environment, which holds THREEHOURS_SECRET_KEY, DATABASE_URL and the encryption keys; they
# must not reach request.META (error reports, logs). Known when the worker loads this module.
_PROCESS_KEYS = tuple(
    key for key in os.environ if key not in _REQUEST_KEYS and not key.startswith("HTTP_")
)


def without_process_environment(environ: dict) -> dict:
    for key in _PROCESS_KEYS:
        environ.pop(key, None)
    return environ


def application(environ, start_response):
    """Pages through MIDDLEWARE, the JSON API through its shorter API_MIDDLEWARE, the public
    verification pages through PUBLIC_PAGE_MIDDLEWARE (core/handlers.py)."""
    without_process_environment(environ)
    path = environ.get("PATH_INFO", "")
    if path.startswith(API_PREFIX):
        return api_application(environ, start_response)
    if path.startswith(PUBLIC_PAGE_PREFIX):
        return public_page_application(environ, start_response)
    return django_application(environ, start_response)


# What is loaded by now (Django, the URL patterns, the per-process caches) lives as long as the
# worker: move it out of the garbage collector's reach, so that a full collection does not walk
# it between two requests (bench/README.md: the bursts' slowest requests).
gc.freeze()
