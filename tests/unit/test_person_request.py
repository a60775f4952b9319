import pytest

from bot.nlu.person_request import asks_for_a_person


@pytest.mark.parametrize("message", [
    "Could I please speak with someone from your team, a real person? It is about order CJ2411050010031",
    "third time today. no more bot answers. HUMAN.",
    "agent pls",
    "connect me with a live agent",
    "let me talk to your manager",
    "transfer me to support team",
])
def test_a_message_that_asks_for_a_person_in_so_many_words_is_a_request_for_one(message: str) -> None:
    assert asks_for_a_person(message)


@pytest.mark.parametrize("message", [
    "am i talking to a human?",
    "are you a real person",
    "the buyer wants to talk to me",
    "my customer is a real person",
    "the human body",
    "i talked to the buyer",
])
def test_asking_what_alex_is_or_mentioning_people_is_no_request_for_a_person(message: str) -> None:
    assert not asks_for_a_person(message)
