"""Operator console pages answer 404, never a server error, for ids that cannot exist."""

from django.test import Client


def test_an_organisation_id_beyond_64_bits_is_not_found(operator):
    client = Client()
    client.force_login(operator)
    assert client.get(f"/ops/orgs/{2**64}/files/1/").status_code == 404
