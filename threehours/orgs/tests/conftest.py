import pytest


@pytest.fixture(autouse=True)
def _regions_loaded(request):
    """Organisation tests need the region table (see the root `regions` fixture)."""
    if request.node.get_closest_marker("django_db") or "db" in request.fixturenames:
        request.getfixturevalue("regions")
