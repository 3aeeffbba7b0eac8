import datetime as dt

import pytest

from threehours.accounts.identity import (
    age_on,
    id_check_character,
    is_valid_id_number,
    is_valid_phone,
    mask_id_number,
    mask_phone,
    normalise_phone,
)

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the standard's own example (X check character)
        "110101199003074477",
        "310101200001011248",
    ],
)
def test_valid_id_numbers_pass_the_gb11643_checksum(number):
    assert is_valid_id_number(number, today=TODAY)


@pytest.mark.parametrize(
    "number,why",
    [
        ("110105194912310021", "wrong check character"),
        ("11010519491231002", "17 characters"),
        ("11010519491231002X1", "19 characters"),
        ("990101199003074477", "unknown province"),
        ("110101199002304470", "30 February"),
        ("1101011990030744A7", "letter inside"),
        ("110101203001014471", "born in the future"),
    ],
)
def test_invalid_id_numbers_are_refused(number, why):
    assert not is_valid_id_number(number, today=TODAY), why


def test_check_character_of_the_standard_example():
    assert id_check_character("11010519491231002") == "X"


def test_age_counts_whole_years_and_birthday_counts():
    born = dt.date(2004, 11, 25)
    assert age_on(born, dt.date(2026, 11, 24)) == 21
    assert age_on(born, dt.date(2026, 11, 25)) == 22


@pytest.mark.parametrize(
    "raw,ok",
    [
        ("13800000001", True),
        ("19912345678", True),
        ("+86 138-0000-0001", True),
        ("12800000001", False),
        ("1380000000", False),
        ("138000000011", False),
        ("abc", False),
    ],
)
def test_mainland_phone_numbers(raw, ok):
    assert is_valid_phone(normalise_phone(raw)) is ok


def test_masks_show_only_the_ends():
    assert mask_id_number("310101200001011232") == "3101**********1232"
    assert mask_phone("13800000001") == "138****0001"
