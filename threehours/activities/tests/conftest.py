import pytest


@pytest.fixture(autouse=True)
def _lists_loaded(request):
    """Activity tests need the region table and the attribute lists."""
    if request.node.get_closest_marker("django_db") or "db" in request.fixturenames:
        request.getfixturevalue("regions")
        request.getfixturevalue("attributes")
