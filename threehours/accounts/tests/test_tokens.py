"""Bearer tokens: who they open, and their last-use time (kept in Redis between flushes)."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from threehours.accounts.models import ApiToken
from threehours.accounts.services import tokens as services
from threehours.core.redisclient import HashBuffer, redis_client

pytestmark = pytest.mark.django_db
REDIS = "redis://127.0.0.1:6379/14"  # a real Redis runs beside the test suite


@pytest.fixture
def with_redis(settings):
    settings.REDIS_URL = REDIS
    redis_client.cache_clear()
    client = redis_client()
    client.delete(services.TOKEN_USED_KEY)
    yield client
    client.delete(services.TOKEN_USED_KEY)
    redis_client.cache_clear()


@pytest.fixture
def held(monkeypatch):
    """A buffer of last uses whose thread waits an hour: the test sends them itself."""
    buffer = HashBuffer(services.TOKEN_USED_KEY, delay=3600, fallback=services._tokens_used_write)
    monkeypatch.setattr(services, "_TOKENS_USED", buffer)
    return buffer


@pytest.fixture
def without_redis(settings):
    settings.REDIS_URL = ""
    redis_client.cache_clear()
    yield
    redis_client.cache_clear()


def _age(raw: str, minutes: int) -> ApiToken:
    token = ApiToken.objects.get(key_hash=services._token_hash(raw))
    token.last_used_at = timezone.now() - dt.timedelta(minutes=minutes)
    token.save(update_fields=["last_used_at"])
    return token


def test_a_token_opens_its_user_with_every_column_read(volunteer, without_redis):
    volunteer.real_name = "张三"
    volunteer.save(update_fields=["real_name"])
    raw = services.token_issue(user=volunteer, name="phone")
    user, token = services.token_authenticate(raw)
    assert user.pk == volunteer.pk
    assert (user.phone, user.real_name, user.is_active) == (volunteer.phone, "张三", True)
    assert user.date_joined == volunteer.date_joined  # a datetime, not the engine's text
    assert token.name == "phone" and token.user is user
    assert isinstance(token.expires_at, dt.datetime)


def test_revoked_expired_unknown_and_inactive_tokens_open_nothing(volunteer, without_redis):
    revoked = services.token_issue(user=volunteer)
    services.token_revoke(token=ApiToken.objects.get(key_hash=services._token_hash(revoked)))
    expired = services.token_issue(user=volunteer)
    ApiToken.objects.filter(key_hash=services._token_hash(expired)).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert services.token_authenticate(revoked) is None
    assert services.token_authenticate(expired) is None
    assert services.token_authenticate(services.TOKEN_PREFIX + "unknown") is None
    assert services.token_authenticate("not-a-token") is None
    active = services.token_issue(user=volunteer)
    volunteer.is_active = False
    volunteer.save(update_fields=["is_active"])
    assert services.token_authenticate(active) is None


def test_without_redis_the_last_use_is_written_at_once(volunteer, without_redis):
    raw = services.token_issue(user=volunteer)
    token = _age(raw, 60)
    services.token_authenticate(raw)
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < dt.timedelta(seconds=5)


def test_a_token_used_in_the_last_five_minutes_is_not_written_again(volunteer, without_redis):
    raw = services.token_issue(user=volunteer)
    token = _age(raw, 4)
    before = token.last_used_at
    services.token_authenticate(raw)
    token.refresh_from_db()
    assert token.last_used_at == before


def test_with_redis_the_last_use_waits_for_the_flush(volunteer, with_redis, held):
    raw = services.token_issue(user=volunteer)
    token = _age(raw, 60)
    before = token.last_used_at
    services.token_authenticate(raw)
    token.refresh_from_db()
    assert token.last_used_at == before  # the request wrote nothing
    held.flush()  # what the process's thread does a second later
    assert with_redis.hget(services.TOKEN_USED_KEY, str(token.pk))

    assert services.token_usage_flush() == 1
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < dt.timedelta(seconds=5)
    assert not with_redis.exists(services.TOKEN_USED_KEY)
    assert services.token_usage_flush() == 0


def test_the_flush_never_moves_a_last_use_back(volunteer, with_redis, held):
    raw = services.token_issue(user=volunteer)
    token = _age(raw, 60)
    services.token_authenticate(raw)
    held.flush()
    later = timezone.now() + dt.timedelta(minutes=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=later)
    assert services.token_usage_flush() == 0
    token.refresh_from_db()
    assert token.last_used_at == later


def test_the_last_use_reaches_redis_within_seconds_without_another_request(volunteer, with_redis):
    raw = services.token_issue(user=volunteer)
    token = _age(raw, 60)
    services.token_authenticate(raw)
    deadline = time.monotonic() + 5
    while not with_redis.hget(services.TOKEN_USED_KEY, str(token.pk)):
        assert time.monotonic() < deadline, "the buffer's thread never sent the last use"
        time.sleep(0.05)


def _hset_calls(client) -> int:
    return client.info("commandstats").get("cmdstat_hset", {}).get("calls", 0)


def test_a_rush_of_first_requests_sends_its_last_uses_in_one_hset(volunteer, with_redis, held):
    raws = [services.token_issue(user=volunteer) for _ in range(5)]
    tokens = [_age(raw, 60) for raw in raws]
    before = _hset_calls(with_redis)
    for raw in raws:
        services.token_authenticate(raw)
    assert _hset_calls(with_redis) == before  # the requests sent nothing
    assert held.flush() == 5
    assert _hset_calls(with_redis) - before == 1
    sent = with_redis.hgetall(services.TOKEN_USED_KEY)
    assert sorted(sent) == sorted(str(t.pk) for t in tokens)


def test_when_redis_refuses_the_last_use_is_written_into_the_token(volunteer, settings, held):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    redis_client.cache_clear()
    try:
        raw = services.token_issue(user=volunteer)
        token = _age(raw, 60)
        services.token_authenticate(raw)
        assert held.flush() == 1
    finally:
        redis_client.cache_clear()
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < dt.timedelta(seconds=5)
