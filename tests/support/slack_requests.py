"""The signed requests Slack sends are built in the package (`bot/standins/slack_requests.py`),
where the demo's page builds its own the same way."""

from bot.standins.slack_requests import (
    DEFAULT_RESPONSE_URL,
    app_home_opened,
    app_home_opened_payload,
    block_action,
    block_actions_payload,
    home_action,
    home_action_payload,
    shortcut,
    shortcut_payload,
    signed_headers,
    slash_command,
    slash_payload,
    view_submission,
    view_submission_payload,
)

__all__ = [
    "DEFAULT_RESPONSE_URL",
    "app_home_opened",
    "app_home_opened_payload",
    "block_action",
    "block_actions_payload",
    "home_action",
    "home_action_payload",
    "shortcut",
    "shortcut_payload",
    "signed_headers",
    "slash_command",
    "slash_payload",
    "view_submission",
    "view_submission_payload",
]
