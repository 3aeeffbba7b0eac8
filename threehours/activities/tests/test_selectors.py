"""Discovery (issue #4): filters, the three sorts and keyset pages for each, keyword search on
title and organisation name (Chinese included), and its upkeep when an organisation is renamed."""

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.utils import timezone

from threehours.activities import selectors, services
from threehours.activities.models import Activity
from threehours.activities.search import keyword_grams, search_text_for
from threehours.core.errors import InvalidInput
from threehours.core.timeutil import local_today
from threehours.orgs import services as org_services
from threehours.orgs.tests.factories import approved_org, draft_org

from .factories import activity_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(operator):
    return approved_org(operator=operator)


def _day(n: int) -> str:
    return (local_today() + dt.timedelta(days=n)).isoformat()


def _published(org, **overrides) -> Activity:
    activity = services.activity_create(
        org=org, user=org.applicant, data=activity_data(**overrides)
    )
    return services.activity_publish(activity=activity, user=org.applicant)


def _search(**kwargs):
    return selectors.activity_search(today=local_today(), **kwargs)


def _all_pages(**kwargs) -> list[int]:
    """Every id, following cursors two at a time."""
    ids, cursor = [], None
    while True:
        page = _search(limit=2, cursor=cursor, **kwargs)
        ids += [a.pk for a in page.items]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


def test_search_text_is_lowercased_title_and_organisation_name():
    assert search_text_for(title="  社区 Cleanup ", org_name="阳光 NGO") == "社区 cleanup 阳光 ngo"


def test_keyword_grams_are_character_pairs_or_the_single_character():
    assert keyword_grams("环保") == ["环保"]
    assert keyword_grams("图书馆") == ["书馆", "图书"]
    assert keyword_grams("老") == ["老"]
    assert keyword_grams("") == []


def test_keyword_matches_title_or_organisation_name_in_any_case(org):
    elderly = _published(org, title="社区助老探访")
    books = _published(org, title="图书馆 Book Sorting")
    assert [a.pk for a in _search(q="助老").items] == [elderly.pk]  # two characters
    assert [a.pk for a in _search(q="老").items] == [elderly.pk]  # one
    assert [a.pk for a in _search(q="图书馆").items] == [books.pk]  # three
    assert [a.pk for a in _search(q="book sort").items] == [books.pk]
    assert {a.pk for a in _search(q="阳光志愿").items} == {elderly.pk, books.pk}  # org name
    assert _search(q="助老图书").items == []  # every gram is there, the substring is not
    assert _search(q="植树").items == []


def test_renaming_an_organisation_updates_what_keywords_find(operator):
    org = draft_org()
    activity = services.activity_create(org=org, user=org.applicant, data=activity_data())
    org_services.org_application_update(org=org, user=org.applicant, data={"name": "蓝天救援队"})
    activity.refresh_from_db()
    assert activity.search_text == "社区助老探访 蓝天救援队"


def test_has_places_leaves_out_full_activities(org):
    open_one = _published(org, title="还有名额", places=2)
    full = _published(org, title="已满", places=2)
    # Registrations (signups app) move places_taken; set it the way they leave it.
    Activity.objects.filter(pk=full.pk).update(places_taken=2)
    assert {a.pk for a in _search().items} == {open_one.pk, full.pk}
    assert [a.pk for a in _search(has_places=True).items] == [open_one.pk]


def test_soonest_orders_by_first_day_then_last_day_and_pages_with_cursors(org):
    later = _published(org, start_date=_day(5), end_date=_day(5))
    long_one = _published(org, start_date=_day(3), end_date=_day(6))
    short_one = _published(org, start_date=_day(3), end_date=_day(3))
    running = _published(org, start_date=_day(1), end_date=_day(2))
    expected = [running.pk, short_one.pk, long_one.pk, later.pk]
    assert [a.pk for a in _search().items] == expected
    assert _all_pages() == expected
    # On day 3 the activity that ran on days 1–2 has ended; the one of days 3–6 is running.
    day3 = local_today() + dt.timedelta(days=3)
    assert [a.pk for a in _search(date_from=day3).items] == expected[1:]


def test_newest_orders_by_publication_and_pages_with_cursors(org):
    rows = [_published(org, title=f"活动{i}") for i in range(5)]
    now = timezone.now()
    for i, row in enumerate(rows):  # 活动0 published first, 活动4 last; two share a moment
        moment = now - dt.timedelta(hours=5 - min(i, 3))
        Activity.objects.filter(pk=row.pk).update(published_at=moment)
    expected = [rows[4].pk, rows[3].pk, rows[2].pk, rows[1].pk, rows[0].pk]
    assert [a.pk for a in _search(sort="newest").items] == expected
    assert _all_pages(sort="newest") == expected


def test_nearest_orders_by_distance_within_the_radius_and_pages_with_cursors(org):
    here = {"lat": Decimal("31.188000"), "lng": Decimal("121.437000")}
    spots = {
        "300 m": (31.1907, 121.4370),
        "1 km east": (31.1880, 121.4475),
        "2 km north": (31.2060, 121.4370),
        "twin of 1 km east": (31.1880, 121.4475),
        "30 km away": (31.4580, 121.4370),
    }
    made = {
        name: _published(org, title=name, lat=lat, lng=lng) for name, (lat, lng) in spots.items()
    }
    expected = [made[n].pk for n in ("300 m", "1 km east", "twin of 1 km east", "2 km north")]
    page = _search(sort="nearest", radius_km=10, **here)
    assert [a.pk for a in page.items] == expected
    assert _all_pages(sort="nearest", radius_km=10, **here) == expected
    # Without a radius, nearest looks 50 km around.
    assert len(_search(sort="nearest", **here).items) == 5


def test_nearest_needs_a_position_and_sorts_are_checked(org):
    with pytest.raises(InvalidInput) as caught:
        _search(sort="nearest")
    assert "sort" in caught.value.fields
    with pytest.raises(InvalidInput):
        _search(sort="cheapest")


def test_a_forged_cursor_is_refused(org):
    _published(org)
    with pytest.raises(InvalidInput):
        _search(sort="nearest", lat=Decimal("31.2"), lng=Decimal("121.4"), cursor="WyJ4IiwgMV0")


def test_type_form_city_and_online_filters(org):
    team = _published(org, title="团队活动", type="team")
    online = _published(
        org,
        title="线上活动",
        type="other",
        form="online_other",
        address="",
        district="",
        lat=None,
        lng=None,
        checkin_radius_m=None,
    )
    assert [a.pk for a in _search(type="team").items] == [team.pk]
    assert [a.pk for a in _search(form="online_other").items] == [online.pk]
    assert [a.pk for a in _search(online=True).items] == [online.pk]
    assert [a.pk for a in _search(city="3101").items] == [team.pk]
    assert [a.pk for a in _search(city="上海市").items] == []  # a placeholder city has no name
    assert _search(type="no-such-type").items == []


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _north_east(origin: tuple[float, float], km: float) -> tuple[float, float]:
    """The point `km` away to the north-east (45°), on a local flat map."""
    step = km / math.sqrt(2)
    return (
        round(origin[0] + step / 111.195, 6),
        round(origin[1] + step / (111.195 * math.cos(math.radians(origin[0]))), 6),
    )


@pytest.mark.parametrize("sort", ["soonest", "nearest", "newest"])
def test_near_me_keeps_the_circle_not_the_corners_of_its_box(org, sort):
    here = (31.188, 121.437)
    inside = _north_east(here, 9.8)
    corner = _north_east(here, 12.5)  # north and east by 8.8 km each: inside the 10 km box
    assert 9.7 < _haversine_km(here, inside) < 9.9
    assert 12.4 < _haversine_km(here, corner) < 12.6
    assert corner[0] - here[0] < 10 / 111 and corner[1] - here[1] < 10 / (
        111 * math.cos(math.radians(here[0]))
    )
    in_circle = _published(org, title="9.8 km", lat=inside[0], lng=inside[1])
    _published(org, title="box corner", lat=corner[0], lng=corner[1])
    found = _search(
        lat=Decimal(str(here[0])), lng=Decimal(str(here[1])), radius_km=10, sort=sort
    ).items
    assert [a.pk for a in found] == [in_circle.pk]


# --- the hand-written statement against brute force -------------------------------------------
HERE = (31.188, 121.437)


def _flat_distance_sq(lat: float, lng: float) -> float:
    k_lng = 111_195.0 * math.cos(math.radians(HERE[0]))
    return ((lat - HERE[0]) * 111_195.0) ** 2 + ((lng - HERE[1]) * k_lng) ** 2


@pytest.fixture
def spread(org, operator):
    """Thirty activities of two organisations (the second suspended) around HERE: on-site within
    about 15 km (none within 100 m of a 5 or 10 km circle) or online, on days from past to
    future, some full, of two types, with a few titles."""
    import random

    from threehours.orgs.tests.factories import applicant

    rng = random.Random(4)
    other = approved_org(operator=operator, user=applicant("b@ngo.example.cn"), name="星火服务队")
    made = []
    for i in range(30):
        online = i % 7 == 3
        while True:
            lat = round(HERE[0] + rng.uniform(-0.13, 0.13), 6)
            lng = round(HERE[1] + rng.uniform(-0.15, 0.15), 6)
            km = math.sqrt(_flat_distance_sq(lat, lng)) / 1000
            if min(abs(km - 5), abs(km - 10)) > 0.1:
                break
        place = (
            {"form": "online_other", "address": "", "district": "", "lat": None, "lng": None}
            if online
            else {"lat": lat, "lng": lng}
        )
        activity = _published(
            other if i % 5 == 4 else org,
            title=rng.choice(["社区环保行动", "助老探访", "图书馆导览", "环保宣传"]),
            type=rng.choice(["team", "other"]),
            checkin_radius_m=None if online else 500,
            **place,
        )
        start = local_today() + dt.timedelta(days=rng.randint(-6, 12))
        Activity.objects.filter(pk=activity.pk).update(
            start_date=start,
            end_date=start + dt.timedelta(days=rng.randint(0, 3)),
            registration_deadline=start,
            places_taken=rng.choice([0, 5, 20]),
        )
        made.append(activity.pk)
    # Twins: the same place and days, told apart by id.
    twin = Activity.objects.get(pk=made[0])
    twin.pk = None
    twin.save()
    org_services.org_suspend(org=other, operator=operator, reason="核查中")
    return made + [twin.pk]


def _brute_force(*, sort="soonest", q="", date_from=None, date_to=None, type="", online=None,
                 has_places=False, lat=None, lng=None, radius_km=None, city=""):  # fmt: skip
    day = date_from or local_today()
    rows = []
    for a in Activity.objects.select_related("organisation", "type"):
        if a.state != Activity.State.PUBLISHED or a.organisation.suspended_at is not None:
            continue
        if a.end_date < day or (date_to and a.start_date > date_to):
            continue
        if q and q.lower() not in a.search_text:
            continue
        if (type and a.type.code != type) or (city and a.city_id != city):
            continue
        if (online is not None and a.online != online) or (has_places and a.places_left == 0):
            continue
        near = lat is not None and (radius_km or sort == "nearest")
        if near:
            if a.online or a.lat is None:
                continue
            d2 = _flat_distance_sq(float(a.lat), float(a.lng))
            if d2 > ((radius_km or 50) * 1000) ** 2:
                continue
            rows.append(((d2, a.pk) if sort == "nearest" else None, a))
        else:
            rows.append((None, a))
    if sort == "nearest":
        rows.sort(key=lambda r: r[0])
    elif sort == "newest":
        rows.sort(key=lambda r: (r[1].published_at, r[1].pk), reverse=True)
    else:
        rows.sort(key=lambda r: (r[1].start_date, r[1].end_date, r[1].pk))
    return [a.pk for _key, a in rows]


NEAR = {"lat": Decimal(str(HERE[0])), "lng": Decimal(str(HERE[1]))}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "newest"},
        {"q": "环保"},
        {"q": " 星火 "},  # the suspended organisation's name: nothing
        {"q": "图书馆", "sort": "newest"},
        {"type": "team", "has_places": True},
        {"online": True},
        {"online": False, "city": "3101"},
        {"date_from": 4, "date_to": 9},
        {**NEAR, "radius_km": 5},
        {**NEAR, "radius_km": 10},
        {**NEAR, "radius_km": 10, "sort": "nearest"},
        {**NEAR, "radius_km": 10, "sort": "newest", "q": "环保"},
        {**NEAR, "sort": "nearest", "has_places": True},
        {**NEAR, "radius_km": 10, "date_from": 2, "type": "other"},
    ],
    ids=repr,
)
def test_search_equals_brute_force_page_by_page(spread, params):
    params = dict(params)
    for key in ("date_from", "date_to"):
        if key in params:
            params[key] = local_today() + dt.timedelta(days=params[key])
    expected = _brute_force(**params)
    assert _all_pages(**params) == expected
    assert [a.pk for a in _search(limit=100, **params).items] == expected


@pytest.mark.postgres
def test_near_me_on_postgresql_reads_the_gist_index(spread):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # A few rows do not make the planner prefer any index; with the others gone (in this test's
    # transaction) and sequential scans off, it takes activity_near_idx only if the statement's
    # box and filter match the index's expression and predicate.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " WHERE x.indrelid = 'activities_activity'::regclass AND NOT x.indisunique"
            " AND i.relname <> 'activity_near_idx'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
    for sort in ("soonest", "nearest"):
        with CaptureQueriesContext(connection) as captured:
            _search(radius_km=10, sort=sort, **NEAR)
        (sql,) = [q["sql"] for q in captured.captured_queries if "activities_activity" in q["sql"]]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "activity_near_idx" in plan, plan
    # A wide box, or a keyword, leaves the planner its choice between indexes (BETWEENs).
    for params in ({"radius_km": 200}, {"radius_km": 10, "q": "环保"}):
        with CaptureQueriesContext(connection) as captured:
            _search(**params, **NEAR)
        (sql,) = [q["sql"] for q in captured.captured_queries if "activities_activity" in q["sql"]]
        assert "point(" not in sql and " BETWEEN " in sql


def test_list_items_hold_the_list_fields_and_load_the_rest_on_use(org):
    made = _published(org, title="列表项")
    (item,) = _search().items
    reference = Activity.objects.only(*selectors.LIST_FIELDS).get(pk=made.pk)
    assert item.get_deferred_fields() == reference.get_deferred_fields()
    for name in selectors.LIST_FIELDS:
        field = Activity._meta.get_field(name)
        assert getattr(item, field.attname) == getattr(reference, field.attname), name
    assert item.published_at.tzinfo is not None and item.start_date == made.start_date
    assert not item._state.adding and item._state.db == "default"
    assert item.description_html == made.description_html  # deferred: loaded on use
