"""The Slack checks: the bot token and its scopes, the app token, the signing secret."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.doctor.checks import Check, failed, first_line, passed
from bot.doctor.probe import Probe
from bot.slack.scopes import REQUIRED_BOT_SCOPES

FIX_SLACK_BOT = (
    "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from the app's "
    "OAuth & Permissions page; reinstall the app if the token was revoked"
)
FIX_SCOPES = (
    "add them in the app's OAuth & Permissions (or recreate from manifest.yml) "
    "and reinstall the app"
)
FIX_SLACK_APP = (
    "set SLACK_APP_TOKEN to an app-level token (xapp-…) with connections:write "
    "(Basic Information → App-Level Tokens), or unset it to use HTTP mode"
)
FIX_SIGNING = (
    "copy the Signing Secret from the Slack app's Basic Information page (App Credentials) into "
    "SLACK_SIGNING_SECRET; or, for Socket Mode, set SLACK_APP_TOKEN and serve without --http"
)
BAD_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)


def slack_error(error: SlackApiError) -> str:
    """Slack's error code, or the HTTP status when it gave none."""
    return str(error.response.get("error") or f"HTTP {error.response.status_code}")


async def slack_token(probe: Probe) -> Check:
    name = "slack token"
    token = probe.settings.slack_bot_token.get_secret_value()
    if not token:
        return failed(name, "SLACK_BOT_TOKEN is not set", FIX_SLACK_BOT)
    if not token.startswith("xoxb-"):
        return failed(name, "SLACK_BOT_TOKEN is not a bot token (those start with xoxb-)",
                      FIX_SLACK_BOT)  # fmt: skip
    try:
        response = await probe.slack.auth_test()
    except SlackApiError as error:
        code = slack_error(error)
        if code in BAD_TOKEN_ERRORS:
            return failed(name, f"Slack rejected SLACK_BOT_TOKEN ({code})", FIX_SLACK_BOT)
        return failed(name, f"auth.test failed: {code}", "check SLACK_API_URL and the token")
    except (aiohttp.ClientError, OSError) as error:
        return failed(
            name,
            f"cannot reach Slack at {probe.settings.slack_api_url}: {first_line(error)}",
            "check the network and SLACK_API_URL",
        )
    probe.auth = response
    return passed(
        name,
        f"works: bot @{response.get('user')} ({response.get('user_id')}) "
        f"in {response.get('team')} ({response.get('team_id')})",
    )


async def slack_scopes(probe: Probe) -> Check:
    name = "slack scopes"
    if probe.auth is None:
        return failed(name, "not checked: the bot token does not work")
    headers = {str(k).lower(): str(v) for k, v in (probe.auth.headers or {}).items()}
    if "x-oauth-scopes" not in headers:
        return failed(
            name,
            "Slack did not say which scopes the token has (no x-oauth-scopes header)",
            "check that SLACK_API_URL points at Slack's Web API",
        )
    granted = {s.strip() for s in headers["x-oauth-scopes"].split(",") if s.strip()}
    missing = sorted(REQUIRED_BOT_SCOPES - granted)
    if missing:
        return failed(name, f"the bot token lacks {', '.join(missing)}", FIX_SCOPES)
    needed = ", ".join(sorted(REQUIRED_BOT_SCOPES))
    return passed(name, f"the bot token has every scope lockbot needs ({needed})")


async def slack_app_token(probe: Probe) -> Check:
    name = "slack app token"
    try:
        await probe.slack.apps_connections_open(
            app_token=probe.settings.slack_app_token.get_secret_value()
        )
    except SlackApiError as error:
        code = slack_error(error)
        if code == "not_allowed_token_type":
            return failed(name, "SLACK_APP_TOKEN is not an app-level token", FIX_SLACK_APP)
        return failed(name, f"Slack refused SLACK_APP_TOKEN ({code})", FIX_SLACK_APP)
    except (aiohttp.ClientError, OSError) as error:
        return failed(name, f"cannot reach Slack: {first_line(error)}",
                      "check the network and SLACK_API_URL")  # fmt: skip
    return passed(name, "works: Slack opens Socket Mode connections for it")


async def slack_signing_secret(probe: Probe) -> Check:
    """HTTP mode must check every request's signature; Socket Mode has no requests to sign."""
    name = "slack signing secret"
    if not probe.http:
        return passed(name, "not needed in Socket Mode (`lockbot serve --http` would need it)")
    if not probe.settings.has_signing_secret:
        return failed(
            name,
            "SLACK_SIGNING_SECRET is not set, so `lockbot serve` would refuse to start in "
            "HTTP mode",
            FIX_SIGNING,
        )
    return passed(name, "set: POST /slack/events takes only requests Slack signed with it")
