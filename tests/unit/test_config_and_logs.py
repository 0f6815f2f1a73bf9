import logging
import sys

from bot.config import Settings
from bot.logs import RedactingFormatter


def settings(**env: str) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


def test_defaults_and_env_names() -> None:
    s = settings()
    assert s.database_url == "sqlite:///lockbot.db"
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.seam_endpoint == "https://connect.getseam.com"
    assert s.lock_timeout_s == 60
    assert not s.socket_mode


def test_admins_are_a_comma_separated_list() -> None:
    s = settings(LOCKBOT_ADMINS=" U1, U2 ,,U3 ")
    assert s.admins == frozenset({"U1", "U2", "U3"})


def test_socket_mode_follows_the_app_token() -> None:
    assert settings(SLACK_APP_TOKEN="xapp-1").socket_mode


def test_secrets_never_show_in_reprs() -> None:
    s = settings(SLACK_BOT_TOKEN="xoxb-very-secret", SEAM_API_KEY="seam_very_secret")
    assert "xoxb-very-secret" not in repr(s)
    assert "seam_very_secret" not in repr(s)
    assert sorted(s.secrets()) == ["seam_very_secret", "xoxb-very-secret"]


def test_log_lines_and_tracebacks_are_scrubbed() -> None:
    formatter = RedactingFormatter("%(message)s", ["xoxb-very-secret", "seam_key_123"])
    try:
        raise RuntimeError("auth failed for seam_key_123")
    except RuntimeError:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "token %s", ("xoxb-very-secret",), None
        )
        record.exc_info = sys.exc_info()
    text = formatter.format(record)
    assert "xoxb-very-secret" not in text and "seam_key_123" not in text
    assert "RuntimeError: auth failed for [redacted]" in text
    assert text.startswith("token [redacted]\n")
