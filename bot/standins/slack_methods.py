"""What the Slack stand-in answers for each Web API method: a small workspace and its rules.

`FakeSlack` (`slack_api.py`) serves these over HTTP and records every call; this module only
knows what Slack would say back, so the server and the answers stay apart.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.slack.scopes import REQUIRED_BOT_SCOPES

Json = dict[str, Any]
APP_ID = "A1"


def _view(args: Json) -> Any:
    view = args.get("view")
    return json.loads(view) if isinstance(view, str) else view  # form-encoded: JSON text


@dataclass
class Workspace:
    """The people, user groups and channels the stand-in knows, and the bot token's scopes."""

    groups: dict[str, list[str]] = field(default_factory=dict)  # usergroup id -> user ids
    # The bot token's scopes, sent like Slack as the `x-oauth-scopes` header of auth.test.
    scopes: set[str] = field(default_factory=lambda: set(REQUIRED_BOT_SCOPES))
    unknown_users: set[str] = field(default_factory=set)  # users.info: user_not_found
    timezones: dict[str, str] = field(default_factory=dict)  # users.info's tz (Europe/Berlin)
    deleted_users: set[str] = field(default_factory=set)  # users.info: `"deleted": true`
    names: dict[str, str] = field(default_factory=dict)  # user id -> real name (user_<id>)
    channels: dict[str, str] = field(default_factory=dict)  # channel id -> name (chan-<id>)
    socket_url: str = ""  # ws://… of the stand-in's /socket, for apps.connections.open
    tickets: set[str] = field(default_factory=set)  # each good for one Socket Mode connect
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def methods(self) -> dict[str, Callable[[Json], Json]]:
        return {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.getPermalink": self._permalink,
            "chat.postEphemeral": self._post_ephemeral,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroup_users,
            "conversations.info": self._conversations_info,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
        }

    def answer(self, method: str, args: Json) -> Json:
        handler = self.methods().get(method)
        return handler(args) if handler else {"ok": False, "error": "unknown_method"}

    def next_ts(self) -> str:
        micros = 1_700_000_000_000_000 + 100 * next(self._counter)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _auth_test(self, args: Json) -> Json:
        return {"ok": True, "url": "https://fake.slack.test/", "team": "Test", "team_id": "T1",
                "user": "lockbot", "user_id": "UBOT", "bot_id": "BBOT"}  # fmt: skip

    def _connections_open(self, args: Json) -> Json:
        ticket = str(uuid.uuid4())
        self.tickets.add(ticket)
        return {"ok": True, "url": f"{self.socket_url}?ticket={ticket}&app_id={APP_ID}"}

    def _post_message(self, args: Json) -> Json:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        ts = self.next_ts()
        message: Json = {"type": "message", "user": "UBOT", "bot_id": "BBOT", "ts": ts,
                         "text": args.get("text", "")}  # fmt: skip
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        if args.get("blocks"):
            message["blocks"] = args["blocks"]
        return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}

    def _update(self, args: Json) -> Json:
        if not args.get("channel") or not args.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": args["channel"], "ts": args["ts"],
                "text": args.get("text", "")}  # fmt: skip

    def _delete(self, args: Json) -> Json:
        if not args.get("channel") or not args.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def _permalink(self, args: Json) -> Json:
        channel, ts = args.get("channel", ""), str(args.get("message_ts", ""))
        if not channel or not ts:
            return {"ok": False, "error": "message_not_found"}
        url = f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": url}

    def _post_ephemeral(self, args: Json) -> Json:
        if not args.get("channel") or not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self.next_ts()}

    def _users_info(self, args: Json) -> Json:
        user_id = args.get("user")
        if not user_id or user_id in self.unknown_users:
            return {"ok": False, "error": "user_not_found"}
        name = f"user_{str(user_id).lower()}"
        deleted = user_id in self.deleted_users
        return {"ok": True, "user": {"id": user_id, "team_id": "T1", "name": name,
                "real_name": self.names.get(str(user_id), name),
                "tz": self.timezones.get(str(user_id), "Europe/Berlin"),
                "tz_label": "a time zone",
                "tz_offset": 3600, "is_bot": False, "deleted": deleted}}  # fmt: skip

    def _usergroup_users(self, args: Json) -> Json:
        users = self.groups.get(str(args.get("usergroup", "")))
        if users is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(users)}

    def _conversations_info(self, args: Json) -> Json:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        name = self.channels.get(str(channel), f"chan-{str(channel).lower()}")
        return {"ok": True, "channel": {"id": channel, "name": name,
                "is_channel": True, "is_member": True, "is_archived": False}}  # fmt: skip

    def _views_publish(self, args: Json) -> Json:
        view = _view(args)
        if not args.get("user_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": f"V{next(self._counter)}", **view}}

    def _views_open(self, args: Json) -> Json:
        view = _view(args)
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        if not isinstance(view, dict) or view.get("type") != "modal":
            return {"ok": False, "error": "invalid_arguments"}
        view_id = f"V{next(self._counter):08d}"
        return {
            "ok": True,
            "view": {**view, "id": view_id, "team_id": "T1", "state": {"values": {}}},
        }
