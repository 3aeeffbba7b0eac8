import pytest

from threehours.orgs.codes import credit_code_check_character, is_valid_credit_code


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",
        "91110000802100433B",
        "53100000500021676K",
        "52310104MJ49157306",
        "91110108551385082q",  # lower case is accepted (normalised)
    ],
)
def test_valid_unified_social_credit_codes(code):
    assert is_valid_credit_code(code)


@pytest.mark.parametrize(
    "code,why",
    [
        ("91350100M000100Y44", "wrong check character"),
        ("91350100M000100Y4", "17 characters"),
        ("91350100M000100Y433", "19 characters"),
        ("91350100M000100I43", "I is not in the GB 32100 alphabet"),
        ("913501A0M000100Y43", "division code must be digits"),
        ("", "empty"),
    ],
)
def test_invalid_unified_social_credit_codes(code, why):
    assert not is_valid_credit_code(code), why


def test_check_character_of_a_known_code():
    assert credit_code_check_character("91110000802100433") == "B"
