import pytest
from django.core.exceptions import ValidationError

from inventory.barcodes import gtin_check_digit, is_valid_gtin, make_ean13, validate_gtin


@pytest.mark.parametrize("code", ["4006381333931", "5901234123457", "96385074", "036000291452", "10012345678902"])
def test_real_world_gtins_are_valid(code):
    assert is_valid_gtin(code)
    validate_gtin(code)


def test_wrong_check_digit_names_the_expected_digit():
    with pytest.raises(ValidationError) as excinfo:
        validate_gtin("4006381333932")
    assert "should be 1" in str(excinfo.value)


@pytest.mark.parametrize("code", ["", "12345", "40063813339３", "400638133393a", "40063813339311"])
def test_malformed_barcodes_are_rejected(code):
    assert not is_valid_gtin(code)
    with pytest.raises(ValidationError):
        validate_gtin(code)


def test_make_ean13_appends_the_check_digit():
    assert make_ean13("400638133393") == "4006381333931"
    assert gtin_check_digit("590123412345") == 7
