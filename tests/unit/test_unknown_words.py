from bot.nlu.unknown_words import KNOWN_SHARE_NEEDED, words


def test_words_are_lower_case_letters_of_two_or_more():
    assert words("Wher is my refnd?? CJ2411050010031 x2") == ["wher", "is", "my", "refnd", "cj"]


def test_a_typo_ridden_message_keeps_enough_known_words():
    vocabulary = {"where", "is", "my", "refund"}
    found = words("wher is my refnd")
    assert sum(w in vocabulary for w in found) / len(found) >= KNOWN_SHARE_NEEDED


def test_one_letter_away_covers_a_missing_an_extra_and_a_wrong_letter():
    from bot.nlu.unknown_words import one_letter_away

    assert {"refund"} <= one_letter_away("refnd") and {"hello"} <= one_letter_away("helo")
    assert "refund" in one_letter_away("refunds") and "refund" in one_letter_away("refand")
