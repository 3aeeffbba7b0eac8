"""Markdown written by operators (policy documents), rendered to HTML and then sanitised with an
allow-list: the renderer already refuses raw HTML ("commonmark" preset, html disabled); nh3 is
the second line (links keep only http(s), mailto and relative targets)."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_html(text: str) -> str:
    """Safe HTML of `text` (Markdown)."""
    html = _renderer.render(text or "")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
