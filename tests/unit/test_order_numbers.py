import pytest

from bot.order_numbers import MalformedNumber, NumberKind, kind_of, normalise


@pytest.mark.parametrize(
    "typed, canonical",
    [
        ("CJ2410180012345", "CJ2410180012345"),
        ("cj 2410 1800 12345", "CJ2410180012345"),
        ("#SH2410200045", "SH2410200045"),
        ("sh-2410-200045", "SH2410200045"),
        ("Cj2410180012345", "CJ2410180012345"),
        ("  zf2410230001 ", "ZF2410230001"),
        ("rt 2411 0700 01", "RT2411070001"),
        ("#tk2411080001", "TK2411080001"),
    ],
)
def test_numbers_in_any_format_sellers_type_normalise_to_one_form(typed: str, canonical: str) -> None:
    assert normalise(typed) == canonical


@pytest.mark.parametrize("typed", ["", "CJ12", "order 55", "XX2410180012345", "CJ24101800123451234567", "SH 24a0",
                                   "CJ\u0662\u0664\u0661\u0660\u0661\u0668\u0660\u0660"])
def test_text_that_is_no_order_number_is_refused(typed: str) -> None:
    with pytest.raises(MalformedNumber):
        normalise(typed)


def test_prefix_tells_order_from_dispute() -> None:
    assert kind_of("SH2410200045") is NumberKind.DISPUTE
    assert kind_of("CJ2410180012345") is NumberKind.STORE_ORDER
    assert kind_of("ZF2410230001") is NumberKind.WHOLESALE_ORDER
