import pytest

from threehours.core.geo import distance_m, wgs84_to_gcj02


def test_known_shanghai_pair_from_the_stack_notes():
    lat, lng = wgs84_to_gcj02(31.2304, 121.4737)
    assert lat == pytest.approx(31.22846, abs=2e-4)
    assert lng == pytest.approx(121.47822, abs=2e-4)
    assert 400 < distance_m(31.2304, 121.4737, lat, lng) < 600  # the famous ~500 m offset


def test_beijing_tiananmen_pair():
    # WGS-84 39.9087, 116.3975 (GPS) lies at about 39.9101, 116.4037 on Chinese maps.
    lat, lng = wgs84_to_gcj02(39.9087, 116.3975)
    assert lat == pytest.approx(39.9101, abs=3e-4)
    assert lng == pytest.approx(116.4037, abs=3e-4)


def test_outside_china_is_unchanged():
    assert wgs84_to_gcj02(48.8566, 2.3522) == (48.8566, 2.3522)


def test_distance_of_one_degree_of_latitude():
    assert distance_m(30.0, 120.0, 31.0, 120.0) == pytest.approx(111_195, rel=1e-3)
