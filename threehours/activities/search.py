"""Keyword search over activities (docs/decisions/0006-keyword-search-with-grams.md).

A keyword matches when it is a substring of the activity's title or its organisation's name,
ignoring case. Both live, lower-cased, in `Activity.search_text`, so one column answers and
one index serves it. On PostgreSQL a GIN index on `activity_search_grams(search_text)` — the
distinct single characters and character pairs of the text — finds candidates; the substring
test then confirms them. Chinese keywords are mostly two characters ("环保", "助老"), which a
pg_trgm index cannot narrow down (a pattern shorter than three characters yields no trigram, so
the index returns every row); pairs and single characters can. SQLite scans, which is fine for
the embedded database's sizes.
"""

from __future__ import annotations

import time

from django.db import connection

from .models import Activity

# The SQL function of migration 0005; the index is on exactly this expression.
GRAMS_FUNCTION = "activity_search_grams"


def search_text_for(*, title: str, org_name: str) -> str:
    """What keyword search looks at: title and organisation name, lower-cased, spaces folded."""
    return " ".join(f"{title} {org_name}".split()).lower()


def keyword_grams(keyword: str) -> list[str]:
    """The grams every matching text contains: the character pairs of the keyword, or the
    character itself when it has one (the same rule as the SQL function)."""
    if len(keyword) < 2:
        return [keyword] if keyword else []
    return sorted({keyword[i : i + 2] for i in range(len(keyword) - 1)})


_frequencies: dict = {"at": None, "freq": {}}
FREQUENCY_REFRESH_SECONDS = 300.0


def _gram_frequencies() -> dict[str, float]:
    """The share of rows holding each common gram, from PostgreSQL's statistics on the index
    expression (ANALYZE keeps them); rarer grams are absent. Cached per process."""
    now = time.monotonic()
    if _frequencies["at"] is None or now - _frequencies["at"] > FREQUENCY_REFRESH_SECONDS:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
                " WHERE tablename = 'activity_search_grams_idx'"
            )
            row = cursor.fetchone()
        freq = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
        _frequencies.update(at=now, freq=freq)
    return _frequencies["freq"]


def keyword_condition(column: str, keyword: str, connection) -> tuple[str, list]:
    """SQL (and its parameters) true for the rows whose `column` (the quoted search_text of a
    hand-written statement) contains `keyword`, normalised as search_text is; ("", []) for an
    empty keyword."""
    keyword = " ".join(keyword.split()).lower()
    if not keyword:
        return "", []
    if connection.vendor != "postgresql":
        # What the ORM's `contains` writes on SQLite; search_text is lower-cased already.
        return f"{column} LIKE %s ESCAPE '\\'", [f"%{connection.ops.prep_for_like_query(keyword)}%"]
    # The index condition names one gram, the rarest by the statistics: PostgreSQL then
    # estimates the matches well (it multiplies the shares of several grams as if they were
    # independent, which makes "垃圾分类" look 300 times rarer than it is) and chooses between
    # walking the sort-order index (common keywords) and reading the GIN index (rare ones).
    # strpos() confirms the match; unlike LIKE, the planner does not count it a second time.
    freq = _gram_frequencies()
    gram = min(keyword_grams(keyword), key=lambda g: freq.get(g, 0.0))
    return (
        f"{GRAMS_FUNCTION}({column}) @> %s::text[] AND STRPOS({column}, %s) > 0",
        [[gram], keyword],
    )


def activity_search_text_refresh(*, org) -> int:
    """Rewrite the search text of every activity of `org` (after a rename); returns the count.
    Call inside the transaction that renames the organisation."""
    rows = list(Activity.objects.filter(organisation=org).only("pk", "title"))
    for row in rows:
        row.search_text = search_text_for(title=row.title, org_name=org.name)
    Activity.objects.bulk_update(rows, ["search_text"], batch_size=500)
    return len(rows)
