"""Site-wide middleware of our own."""

from __future__ import annotations

from csp.middleware import CSPMiddleware


class PageCSPMiddleware(CSPMiddleware):
    """The Content-Security-Policy on pages, not on JSON answers.

    A browser never renders a JSON body (SecurityMiddleware sends `nosniff`), so a policy on it
    protects nothing, while building it cost 5 % of every API request's CPU (bench/README.md).
    """

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        return super().process_response(request, response)
