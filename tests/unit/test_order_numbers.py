import pytest

from bot.order_numbers import MalformedNumber, NumberKind, canonical, find_numbers, kind_of, normalise


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


@pytest.mark.parametrize(
    "message, numbers",
    [
        ("CJ2410050076612 - 3 lamps broken", ["CJ2410050076612"]),
        ("CJ2410050076612-3 lamps broken", ["CJ2410050076612"]),
        ("CJ2411050010031 x2", ["CJ2411050010031"]),
        ("cj 2410 1800 12345 pls", ["CJ2410180012345"]),
        ("CJ 2411 0500 10031 3pcs", ["CJ2411050010031"]),
        ("CJ-2411-0500-10031", ["CJ2411050010031"]),
        ("order#CJ2411050010031, thanks", ["CJ2411050010031"]),
        ("orderCJ2411050010031pls", ["CJ2411050010031"]),
        ("(CJ2411050010031).", ["CJ2411050010031"]),
        ("#SH2410200045,ZF2411050010101", ["SH2410200045", "ZF2411050010101"]),
        ("what about sh 2410 2000 45?", ["SH2410200045"]),
    ],
)
def test_numbers_are_read_exactly_wherever_they_sit_in_a_message(message: str, numbers: list[str]) -> None:
    assert [found.canonical for found in find_numbers(message)] == numbers


@pytest.mark.parametrize("message", ["CJ241105001003 - 3 broken", "CJ241105001003-3", "CJ24110500100311",
                                     "cj 2410 1800 1234 5pcs", "SH24110612345"])
def test_a_number_a_digit_short_or_long_is_flagged_never_completed(message: str) -> None:
    found = find_numbers(message)
    assert len(found) == 1 and found[0].canonical is None


@pytest.mark.parametrize("message", ["fish 2411050010031", "YT2411051234567", "call +86 13800138000", "$12.50"])
def test_text_without_one_of_our_prefixes_holds_no_number(message: str) -> None:
    assert find_numbers(message) == []


def test_the_bot_acts_only_on_numbers_with_their_kinds_digit_count() -> None:
    assert canonical("cj 2410 1800 12345") == "CJ2410180012345"
    with pytest.raises(MalformedNumber):
        canonical("CJ241018001234")
