from bot.slack.commands import MAX_TEXT, Help, Invalid, Lock, clean, parse


def test_help_variants() -> None:
    for text in ("", "   ", "help", "HELP", " ? ", "--help", None):
        assert parse(text) == Help()


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
