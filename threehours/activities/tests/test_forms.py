import pytest

from threehours.activities.forms import ActivityForm

pytestmark = pytest.mark.django_db


def test_a_device_position_is_converted_to_gcj02_before_the_service_sees_it():
    form = ActivityForm(
        data={
            "lat": "31.2304",
            "lng": "121.4737",
            "coord": "wgs84",
            "q1_text": "T 恤尺码",
            "q1_choices": "S，M, L",
        }
    )
    assert form.is_valid(), form.errors
    data = form.service_data()
    # NOTES.md: WGS 31.2304,121.4737 → GCJ ≈ 31.22846,121.47822 (about 480 m away)
    assert (data["lat"], data["lng"]) == ("31.228458", "121.478223")
    assert data["questions"] == [
        {"text": "T 恤尺码", "kind": "choice", "choices": ["S", "M", "L"], "required": False}
    ]


def test_typed_map_coordinates_are_kept_as_they_are():
    form = ActivityForm(data={"lat": "31.2304", "lng": "121.4737", "coord": "gcj02"})
    assert form.is_valid()
    assert (form.service_data()["lat"], form.service_data()["lng"]) == ("31.2304", "121.4737")
