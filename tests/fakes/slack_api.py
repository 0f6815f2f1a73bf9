"""The Slack stand-in lives in the package (`bot/standins/slack_api.py`), where `lockbot demo`
uses the same one; tests import it from here or from there."""

from bot.standins.slack_api import APP_ID, TEST_APP_TOKEN, TEST_TOKEN, Call, FakeSlack, Json

__all__ = ["APP_ID", "TEST_APP_TOKEN", "TEST_TOKEN", "Call", "FakeSlack", "Json"]
