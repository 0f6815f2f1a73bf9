import pytest

from bot.slack.commands import (
    HISTORY_DEFAULT,
    HISTORY_MAX,
    MAX_TEXT,
    Admin,
    Command,
    Help,
    History,
    Invalid,
    ListTargets,
    Lock,
    Pick,
    Status,
    clean,
    parse,
)


def test_help_variants() -> None:
    for text in ("help", "HELP", " ? ", "--help"):
        assert parse(text) == Help()


def test_no_text_shows_the_picker() -> None:
    for text in ("", "   ", None, "\u200b"):
        assert parse(text) == Pick()


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("list", ListTargets()),
        ("LIST", ListTargets()),
        ("list room", Lock("list room")),
        ("status front door", Status("front door")),
        ("history", History(None, HISTORY_DEFAULT)),
        ("history 5", History(None, 5)),
        ("history front door", History("front door", HISTORY_DEFAULT)),
        ("history front door 20", History("front door", 20)),
        ("admin grant U1 *", Admin("grant U1 *")),
        ("admin", Admin("")),
    ],
)
def test_keywords(text: str, command: Command) -> None:
    assert parse(text) == command


@pytest.mark.parametrize("text", ["status", "history 0", f"history {HISTORY_MAX + 1}"])
def test_bad_keyword_use_says_why(text: str) -> None:
    result = parse(text)
    assert isinstance(result, Invalid) and result.reason


def test_lock_keeps_the_door_text() -> None:
    assert parse("front door") == Lock("front door")
    assert parse("  Front-Door  ") == Lock("Front-Door")


def test_control_characters_are_stripped_and_whitespace_collapsed() -> None:
    assert clean("front\x00\x07 \t\n door\u200b") == "front door"
    assert parse("\x1b[31mfront door") == Lock("[31mfront door")


def test_too_long_text_is_invalid_with_a_reason() -> None:
    command = parse("x" * (MAX_TEXT + 1))
    assert isinstance(command, Invalid)
    assert str(MAX_TEXT) in command.reason


def test_exactly_the_limit_is_accepted() -> None:
    assert parse("x" * MAX_TEXT) == Lock("x" * MAX_TEXT)
