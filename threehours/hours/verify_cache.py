"""A per-process cache of the rendered verification pages `/verify/<serial>` (issue #15 §4).

A certificate's QR code is scanned several times in the minutes after it is shown (the holder,
then the recruiter's office, then a colleague), and the page says the same thing to all of them:
the response (status, headers, body) is kept in the worker's memory, keyed by the path (the
serial in its one stored form) and the language, for at most `CACHE_SECONDS` — the page's
`max-age`, so a revocation still shows everywhere within a minute: an entry is not served once
it is 60 s old, and a hit carries an `Age` header, so a shared cache downstream keeps it only
for what is left of the minute. At most `CACHE_ENTRIES` pages, the least recently used dropped
first (≈ 2.5 kB each: about 10 MB per worker).

Only requests that cannot ask for anything else are answered from it: GET without a query, a
Cookie header (the language cookie, a session: the normal way, which reads them), or a
conditional header (If-None-Match / If-Modified-Since go to the view, which answers 304). Only
200 answers of the page are kept: an unknown serial (404), a redirect or a refusal (429) never.

The rate limit (settings.VERIFY_RATE per IP, in the view) counts misses only: a hit is served
before the view, so it is not counted. The limit exists to stop the enumeration of serials,
and enumerating is all misses (a serial nobody has asked for in the last minute); a hit reveals
nothing a miss did not — the same bytes someone fetched less than a minute ago — and costs
≈ 0.1 ms, so counting it would protect nothing and only refuse people scanning a popular code.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language_from_request

CACHE_SECONDS = 60
CACHE_ENTRIES = 4096


class _Page(NamedTuple):
    stored_at: float  # time.time() before the page was rendered
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class PageCache:
    """A bounded LRU of rendered pages whose entries expire `seconds` after they were stored."""

    def __init__(self, entries: int = CACHE_ENTRIES, seconds: int = CACHE_SECONDS) -> None:
        self.entries = entries
        self.seconds = seconds
        self._pages: OrderedDict[tuple[str, str], _Page] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], now: float) -> _Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            # Expired, or stored "in the future" (the clock went back): gone.
            if not 0 <= now - page.stored_at < self.seconds:
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: tuple[str, str], page: _Page) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.entries:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._pages


pages = PageCache()


def _cacheable(request: HttpRequest) -> bool:
    meta = request.META
    return (
        request.method == "GET"
        and not meta.get("QUERY_STRING")
        and not meta.get("HTTP_COOKIE")
        and "HTTP_IF_NONE_MATCH" not in meta
        and "HTTP_IF_MODIFIED_SINCE" not in meta
    )


def _is_page(request: HttpRequest, response: HttpResponse) -> bool:
    match = request.resolver_match
    return (
        response.status_code == 200
        and match is not None
        and match.view_name == "hours:verify"
        and not response.cookies
        and not response.streaming
    )


class VerifyPageCacheMiddleware:
    """In PUBLIC_PAGE_MIDDLEWARE after SecurityMiddleware (an HTTP request is still redirected
    to HTTPS) and before LocaleMiddleware (a hit needs no translation): serves and keeps the
    pages as described above."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _cacheable(request):
            return self.get_response(request)
        # What LocaleMiddleware will choose: without a cookie, Accept-Language or the default.
        key = (request.path_info, get_language_from_request(request))
        now = time.time()
        page = pages.get(key, now)
        if page is not None:
            response = HttpResponse(page.body, status=page.status)
            for name, value in page.headers:
                response.headers[name] = value
            response.headers["Age"] = str(int(now - page.stored_at))
            return response
        response = self.get_response(request)
        if _is_page(request, response):
            pages.put(
                key, _Page(now, response.status_code, tuple(response.items()), response.content)
            )
        return response
