"""`lockbot doctor`: check every dependency and say in plain words what is wrong and how to fix it.

Each check stands on its own: one that fails, raises or hangs never stops the others, and a
check that needs another one's result (the doors need Seam's locks) says "not checked" when that
result is missing. Every HTTP call is bounded (the clients' own timeouts, and a deadline per
check), and no secret value ever reaches a detail or a fix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from pydantic import ValidationError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from bot.config import Settings
from bot.db import Database, pending_migrations
from bot.ids import is_group_id, is_user_id
from bot.models import Door, Grant
from bot.names import list_doors
from bot.ports import BackendError, BackendErrorKind
from bot.slack.scopes import REQUIRED_BOT_SCOPES

CHECK_TIMEOUT_S = 20.0  # the most any one check may take, whatever its clients do
GRANTS_TIMEOUT_S = 60.0  # one Slack call per subject, so this one may take longer
SLACK_TIMEOUT_S = 10  # per Slack HTTP call
SLACK_CONCURRENCY = 4  # users.info / usergroups.users.list calls in flight at once
TEST_MESSAGE = "lockbot doctor: checking that I can post here. This message deletes itself."

SEAM_CONSOLE = "https://console.seam.co/"
FIX_DB_UPGRADE = "run `lockbot db upgrade` (`lockbot serve` also does it at start)"
FIX_DB_URL = "check DATABASE_URL, and that the database server is running and reachable"
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
FIX_SEAM_KEY = (
    f"create an API key in the Seam console ({SEAM_CONSOLE}) for the workspace where your "
    "locks are connected, and set SEAM_API_KEY to it"
)
FIX_STALE_DOORS = (
    "run `lockbot doors sync`, which marks them missing; or point each door at its new device "
    "with `lockbot doors remove NAME` + `lockbot doors add NAME DEVICE_ID`"
)
FIX_ALERT_UNSET = (
    "set LOCKBOT_ALERT_CHANNEL to a channel ID (C…) and invite the bot there: /invite @lockbot"
)
FIX_ALERT = {
    "not_in_channel": "invite the bot: /invite @lockbot in that channel",
    "channel_not_found": (
        "check the channel ID (channel details → About → Channel ID); "
        "for a private channel, invite the bot first: /invite @lockbot"
    ),
    "is_archived": "unarchive the channel, or set LOCKBOT_ALERT_CHANNEL to another one",
    "missing_scope": "add chat:write in the app's OAuth & Permissions and reinstall the app",
}
FIX_REVOKE = "take them back with `lockbot revoke SUBJECT DOOR`"
FIX_ORPHANS = (
    "delete grants of deleted doors: DELETE FROM access_grant "
    "WHERE door_id IS NOT NULL AND door_id NOT IN (SELECT id FROM door)"
)
BAD_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def passed(name: str, detail: str) -> Check:
    return Check(name, True, detail)


def failed(name: str, detail: str, fix: str = "") -> Check:
    return Check(name, False, detail, fix)


def render(check: Check) -> str:
    """`✓ name: detail`, or `✗ name: detail — fix`."""
    if check.ok:
        return f"✓ {check.name}: {check.detail}"
    return f"✗ {check.name}: {check.detail}" + (f" — {check.fix}" if check.fix else "")


def report(checks: Iterable[Check]) -> dict[str, Any]:
    """The `--json` document: the same checks, and whether all of them passed."""
    rows = [{"name": c.name, "ok": c.ok, "detail": c.detail, "fix": c.fix} for c in checks]
    return {"ok": all(bool(row["ok"]) for row in rows), "checks": rows}


def settings_check(error: ValidationError) -> Check:
    """A Settings that does not load, as a failed check (field and reason; never the value)."""
    problems = "; ".join(
        f"{'.'.join(str(part) for part in e['loc']) or 'settings'}: {e['msg']}"
        for e in error.errors()
    )
    return failed(
        "settings",
        f"the configuration does not load: {problems}",
        "fix those variables in the environment or in .env (see the README's table)",
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _slack_error(error: SlackApiError) -> str:
    return str(error.response.get("error") or f"HTTP {error.response.status_code}")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def describe_database(url: str) -> str:
    """Where the database is, without user or password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database}" if parsed.database else "in-memory SQLite"
    where = parsed.host or "localhost"
    if parsed.port:
        where += f":{parsed.port}"
    return f"PostgreSQL at {where}/{parsed.database or ''}"


class Doctor:
    """Runs the checks; the results some checks need from others are kept on the instance."""

    def __init__(self, settings: Settings, *, http: bool = False) -> None:
        self.settings = settings
        self.http = settings.serves_slack_http(http=http)  # as `lockbot serve [--http]` would
        self.db: Database | None = None
        self.db_ready = False
        self.auth: AsyncSlackResponse | None = None
        self.locks: list[Any] | None = None
        self._slack: AsyncWebClient | None = None
        self._seam: Any = None  # bot.seam.SeamBackend, imported when it is needed

    def secrets(self) -> list[str]:
        values = list(self.settings.secrets())
        try:
            password = make_url(self.settings.database_url).password
        except Exception:
            password = None
        if password:
            values.append(str(password))
        return sorted((v for v in values if v), key=len, reverse=True)

    def scrub(self, check: Check) -> Check:
        detail, fix = check.detail, check.fix
        for secret in self.secrets():
            detail, fix = detail.replace(secret, "[redacted]"), fix.replace(secret, "[redacted]")
        return Check(check.name, check.ok, detail, fix)

    @property
    def slack(self) -> AsyncWebClient:
        if self._slack is None:
            from bot.runtime import slack_client

            self._slack = slack_client(self.settings)
            self._slack.timeout = SLACK_TIMEOUT_S
        return self._slack

    async def close(self) -> None:
        closers: list[Awaitable[Any]] = []
        if self._slack is not None and self._slack.session is not None:
            closers.append(self._slack.session.close())
        if self._seam is not None:
            closers.append(self._seam.close())
        if self.db is not None:
            closers.append(self.db.close())
        # Closing is best effort: a client that fails to close must not hide the report.
        await asyncio.gather(*closers, return_exceptions=True)

    async def guarded(
        self, name: str, check: Callable[[], Awaitable[Check]], timeout_s: float = CHECK_TIMEOUT_S
    ) -> Check:
        """Run one check; a timeout or an unexpected error becomes its ✗, never a traceback."""
        try:
            result = await asyncio.wait_for(check(), timeout_s)
        except TimeoutError:
            result = failed(
                name,
                f"no answer within {timeout_s:g} s",
                "check the network and the service's URL setting, then run doctor again",
            )
        except Exception as error:
            result = failed(name, f"unexpected error: {_first_line(error)}")
        return self.scrub(result)

    # -- the database ------------------------------------------------------------------------

    async def database(self) -> Check:
        name, url = "database", self.settings.database_url
        try:
            parsed = make_url(url)
            where = describe_database(url)
        except Exception:
            return failed(
                name,
                "DATABASE_URL is not a database URL",
                "use sqlite:///path.db or postgresql+psycopg://user:pass@host/db",
            )
        file = parsed.database if parsed.get_backend_name() == "sqlite" else None
        # Connecting would create an empty SQLite file; say so instead of leaving one behind.
        if file not in (None, "", ":memory:") and not await asyncio.to_thread(
            Path(str(file)).exists
        ):
            fix = "run `lockbot db upgrade` to create it, or point DATABASE_URL at the right file"
            return failed(name, f"{where} does not exist yet", fix)
        try:
            self.db = Database(url)
        except ValueError as error:
            return failed(name, str(error), "use sqlite:///path.db or postgresql+psycopg://…")
        if not await self.db.ping():
            return failed(name, f"cannot connect to {where}", FIX_DB_URL)
        pending = await asyncio.to_thread(pending_migrations, url)
        if pending:
            return failed(
                name,
                f"{where} is reachable, but its schema is not current "
                f"({_plural(len(pending), 'migration')} to apply)",
                FIX_DB_UPGRADE,
            )
        self.db_ready = True
        return passed(name, f"{where} is reachable and its schema is current")

    # -- Slack -------------------------------------------------------------------------------

    async def slack_token(self) -> Check:
        name = "slack token"
        token = self.settings.slack_bot_token.get_secret_value()
        if not token:
            return failed(name, "SLACK_BOT_TOKEN is not set", FIX_SLACK_BOT)
        if not token.startswith("xoxb-"):
            return failed(name, "SLACK_BOT_TOKEN is not a bot token (those start with xoxb-)",
                          FIX_SLACK_BOT)  # fmt: skip
        try:
            response = await self.slack.auth_test()
        except SlackApiError as error:
            code = _slack_error(error)
            if code in BAD_TOKEN_ERRORS:
                return failed(name, f"Slack rejected SLACK_BOT_TOKEN ({code})", FIX_SLACK_BOT)
            return failed(name, f"auth.test failed: {code}", "check SLACK_API_URL and the token")
        except (aiohttp.ClientError, OSError) as error:
            return failed(
                name,
                f"cannot reach Slack at {self.settings.slack_api_url}: {_first_line(error)}",
                "check the network and SLACK_API_URL",
            )
        self.auth = response
        return passed(
            name,
            f"works: bot @{response.get('user')} ({response.get('user_id')}) "
            f"in {response.get('team')} ({response.get('team_id')})",
        )

    async def slack_scopes(self) -> Check:
        name = "slack scopes"
        if self.auth is None:
            return failed(name, "not checked: the bot token does not work")
        headers = {str(k).lower(): str(v) for k, v in (self.auth.headers or {}).items()}
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

    async def slack_app_token(self) -> Check:
        name = "slack app token"
        try:
            await self.slack.apps_connections_open(
                app_token=self.settings.slack_app_token.get_secret_value()
            )
        except SlackApiError as error:
            code = _slack_error(error)
            if code == "not_allowed_token_type":
                return failed(name, "SLACK_APP_TOKEN is not an app-level token", FIX_SLACK_APP)
            return failed(name, f"Slack refused SLACK_APP_TOKEN ({code})", FIX_SLACK_APP)
        except (aiohttp.ClientError, OSError) as error:
            return failed(name, f"cannot reach Slack: {_first_line(error)}",
                          "check the network and SLACK_API_URL")  # fmt: skip
        return passed(name, "works: Slack opens Socket Mode connections for it")

    async def slack_signing_secret(self) -> Check:
        """HTTP mode must check every request's signature; Socket Mode has no requests to sign."""
        name = "slack signing secret"
        if not self.http:
            return passed(name, "not needed in Socket Mode (`lockbot serve --http` would need it)")
        if not self.settings.has_signing_secret:
            return failed(
                name,
                "SLACK_SIGNING_SECRET is not set, so `lockbot serve` would refuse to start in "
                "HTTP mode",
                FIX_SIGNING,
            )
        return passed(name, "set: POST /slack/events takes only requests Slack signed with it")

    # -- events and schedules ----------------------------------------------------------------

    async def seam_events(self) -> Check:
        """How device news and early outcomes will arrive: webhook, polling, or not at all."""
        name, settings = "seam events", self.settings
        secret = settings.seam_webhook_secret.get_secret_value()
        if secret:
            from seam.seam_webhook import SeamWebhook

            try:
                SeamWebhook(secret)
            except Exception:
                return failed(
                    name,
                    "SEAM_WEBHOOK_SECRET is not a webhook signing secret",
                    "copy it from the webhook's page in the Seam console (it starts whsec_)",
                )
            if self.http:
                return passed(name, "by webhook at POST /seam/webhook (HTTP mode)")
        if not settings.seam_api_key.get_secret_value():
            return failed(name, "not checked: SEAM_API_KEY is not set")
        if self.locks is None:  # the seam key check ran first and could not list the locks
            return failed(name, "not checked: Seam does not answer to SEAM_API_KEY")
        if settings.events_poll_s <= 0:
            return passed(name, "off: LOCKBOT_EVENTS_POLL is 0 and there is no webhook")
        how = "Socket Mode ignores the webhook; " if secret else ""
        return passed(name, f"{how}polling Seam's event log every {settings.events_poll_s:g} s")

    async def schedules(self) -> Check:
        """Active schedules, and on PostgreSQL whether a running replica holds their lock."""
        name = "schedules"
        if not (self.db_ready and self.db is not None):
            return failed(name, "not checked: the database is not ready")
        from bot.leadership import LOCK_KEY
        from bot.models import Schedule

        async with self.db.session() as session:
            query = select(Schedule).where(col(Schedule.paused).is_(False))
            active = len((await session.exec(query)).all())
            if session.get_bind().dialect.name != "postgresql":
                return passed(
                    name, f"{_plural(active, 'active schedule')}; `lockbot serve` runs them"
                )
            held = (
                await (await session.connection()).execute(
                    sa.text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND database = (SELECT oid FROM pg_database "
                        "WHERE datname = current_database()) "
                        "AND ((classid::bigint << 32) | objid::bigint) = :key"
                    ),
                    {"key": LOCK_KEY},
                )
            ).scalar_one()
        if held:
            return passed(name, f"{_plural(active, 'active schedule')}; a running replica leads")
        if not active:
            return passed(name, "no active schedules, and no `lockbot serve` is leading")
        return failed(
            name,
            f"{_plural(active, 'active schedule')}, but no `lockbot serve` holds the scheduler "
            "lock, so none will run",
            "start `lockbot serve` (any one replica takes the lead within seconds)",
        )

    async def pending_locks(self) -> Check:
        """Lock requests that no running bot carries out: they wait, and expire if it is late."""
        name = "pending locks"
        if not (self.db_ready and self.db is not None):
            return failed(name, "not checked: the database is not ready")
        from bot.locking.lease import Lease
        from bot.locking.recovery import stranded

        waiting = await stranded(self.db, Lease(self.settings.lease_s))
        if not waiting:
            return passed(name, "none is waiting for a bot to carry it out")
        return failed(
            name,
            f"{_plural(waiting, 'lock request')} acked but not carried out: no `lockbot serve` "
            "has held it for a while",
            "start `lockbot serve`; a request past its deadline then ends as expired, unsent",
        )

    async def alert_channel(self) -> Check:
        name, channel = "alert channel", self.settings.alert_channel
        if not channel:
            return failed(
                name, "LOCKBOT_ALERT_CHANNEL is not set; failures will only show in threads",
                FIX_ALERT_UNSET,
            )  # fmt: skip
        if self.auth is None:
            return failed(name, f"not checked ({channel}): the bot token does not work")
        try:
            posted = await self.slack.chat_postMessage(
                channel=channel, text=TEST_MESSAGE, unfurl_links=False, unfurl_media=False
            )
        except SlackApiError as error:
            code = _slack_error(error)
            fix = FIX_ALERT.get(code, "")
            return failed(name, f"the bot cannot post to {channel} ({code})", fix)
        try:
            await self.slack.chat_delete(channel=str(posted["channel"]), ts=str(posted["ts"]))
        except SlackApiError as error:
            return passed(
                name,
                f"the bot can post to {channel}, but could not delete its test message "
                f"({_slack_error(error)}); delete it by hand",
            )
        return passed(name, f"the bot can post to {channel} (test message posted and deleted)")

    # -- Seam --------------------------------------------------------------------------------

    async def seam_key(self) -> Check:
        from bot.seam import SeamBackend, translate

        name = "seam key"
        key = self.settings.seam_api_key.get_secret_value()
        if not key:
            return failed(name, "SEAM_API_KEY is not set", FIX_SEAM_KEY)
        try:
            self._seam = SeamBackend(
                key, self.settings.seam_endpoint, timeout_s=self.settings.seam_timeout_s
            )
        except Exception as error:  # the SDK checks the key's shape when it is built
            return failed(name, f"SEAM_API_KEY is not usable: {error}", FIX_SEAM_KEY)
        try:
            locks = await self._seam.client.locks.list()
        except Exception as error:
            try:
                problem: BackendError = translate(error)
            except Exception:
                return failed(name, f"listing locks failed: {_first_line(error)}")
            if problem.kind is BackendErrorKind.UNAUTHORIZED:
                return failed(name, "Seam rejected SEAM_API_KEY", FIX_SEAM_KEY)
            return failed(
                name,
                f"listing locks failed: {problem.message} ({problem.code})",
                "check SEAM_ENDPOINT and the network, then run doctor again",
            )
        self.locks = list(locks)
        return passed(
            name, f"works: Seam lists {_plural(len(self.locks), 'lock')} in the workspace"
        )

    # -- what the database says about the world ----------------------------------------------

    async def doors(self) -> Check:
        name = "doors"
        missing = [
            reason
            for reason, ready in (
                ("Seam unreachable", self.locks is not None),
                ("the database is not ready", self.db_ready),
            )
            if not ready
        ]
        if missing or self.db is None or self.locks is None:
            return failed(name, f"not checked: {'; '.join(missing)}")
        async with self.db.session() as session:
            rows = await list_doors(session)
        if not rows:
            return passed(name, "no doors yet (add one with `lockbot doors add NAME DEVICE_ID`)")
        known = {str(getattr(lock, "device_id", "")) for lock in self.locks}
        stale = [door for door, _ in rows if door.device_id not in known]
        if stale:
            listed = ", ".join(f"{door.name} ({door.device_id})" for door in stale)
            return failed(
                name,
                f"Seam no longer knows the device of {_plural(len(stale), 'door')}: {listed}",
                FIX_STALE_DOORS,
            )
        return passed(name, f"Seam knows the lock of every door ({len(rows)})")

    async def grants(self) -> Check:
        name = "grants"
        if not self.db_ready or self.db is None:
            return failed(name, "not checked: the database is not ready")
        async with self.db.session() as session:
            rows = (
                await session.exec(
                    select(Grant.subject, Grant.door_id, Door.name)
                    .join(Door, col(Grant.door_id) == col(Door.id), isouter=True)
                    .order_by(col(Grant.subject), col(Grant.id))
                )
            ).all()
        if not rows:
            return passed(name, "no grants yet")
        problems: list[str] = []
        fixes: list[str] = []
        orphans = [subject for subject, door_id, door in rows if door_id and door is None]
        if orphans:
            problems.append(
                f"{_plural(len(orphans), 'grant')} "
                f"{'names' if len(orphans) == 1 else 'name'} a door that no longer exists "
                f"({', '.join(orphans)})"
            )
            fixes.append(FIX_ORPHANS)
        doors_of: dict[str, list[str]] = {}
        for subject, door_id, door in rows:
            if door_id is None or door is not None:
                doors_of.setdefault(subject, []).append(door or "*")
        unknown = await self._unknown_subjects(sorted(doors_of), problems)
        if unknown:
            problems.extend(f"{why}: {s} (door {', '.join(doors_of[s])})" for s, why in unknown)
            fixes.insert(0, FIX_REVOKE)
        if problems:
            return failed(name, "; ".join(problems), "; ".join(fixes))
        return passed(
            name,
            f"{_plural(len(rows), 'grant')}; every door, user and user group in them exists",
        )

    async def _unknown_subjects(
        self, subjects: list[str], problems: list[str]
    ) -> list[tuple[str, str]]:
        """(subject, why) for each subject Slack does not know; other trouble goes to problems."""
        odd = [s for s in subjects if not (is_user_id(s) or is_group_id(s))]
        unknown = [(s, "not a Slack user or user group ID") for s in odd]
        to_ask = [s for s in subjects if s not in odd]
        if not to_ask:
            return unknown
        if self.auth is None:
            problems.append(
                f"{_plural(len(to_ask), 'user or group')} not checked: the bot token does not work"
            )
            return unknown
        limit = asyncio.Semaphore(SLACK_CONCURRENCY)
        errors: dict[str, str] = {}

        async def ask(subject: str) -> str | None:
            async with limit:
                try:
                    if is_user_id(subject):
                        found = await self.slack.users_info(user=subject)
                        user = found.get("user") or {}
                        return "deleted Slack user" if user.get("deleted") else None
                    await self.slack.usergroups_users_list(usergroup=subject)
                    return None
                except SlackApiError as error:
                    code = _slack_error(error)
                    if code == "user_not_found":
                        return "unknown Slack user"
                    if code == "no_such_subteam":
                        return "unknown user group"
                    errors[subject] = code
                    return None

        answers = await asyncio.gather(*(ask(s) for s in to_ask))
        unknown += [(s, why) for s, why in zip(to_ask, answers, strict=True) if why]
        if errors:
            codes = sorted(set(errors.values()))
            asked = ", ".join(sorted(errors))
            problems.append(
                f"Slack would not say whether {asked} exist ({', '.join(codes)})"
                + ("; add users:read and reinstall the app" if "missing_scope" in codes else "")
            )
        return sorted(unknown)


async def run_checks(settings: Settings, *, http: bool = False) -> list[Check]:
    """Every check, in a fixed order, for `lockbot serve` run with or without --http; never
    raises."""
    doctor = Doctor(settings, http=http)
    try:
        first = [
            doctor.guarded("database", doctor.database),
            doctor.guarded("slack token", doctor.slack_token),
            doctor.guarded("seam key", doctor.seam_key),
        ]
        if settings.slack_app_token.get_secret_value():
            first.append(doctor.guarded("slack app token", doctor.slack_app_token))
        database, token, seam, *app_token = await asyncio.gather(*first)
        scopes, signing, doors, alert, grants, events, schedules, pending = await asyncio.gather(
            doctor.guarded("slack scopes", doctor.slack_scopes),
            doctor.guarded("slack signing secret", doctor.slack_signing_secret),
            doctor.guarded("doors", doctor.doors),
            doctor.guarded("alert channel", doctor.alert_channel),
            doctor.guarded("grants", doctor.grants, GRANTS_TIMEOUT_S),
            doctor.guarded("seam events", doctor.seam_events),
            doctor.guarded("schedules", doctor.schedules),
            doctor.guarded("pending locks", doctor.pending_locks),
        )
    finally:
        await doctor.close()
    return [
        database, token, scopes, *app_token, signing, seam, doors, alert, grants, events,
        schedules, pending,
    ]  # fmt: skip


def all_ok(checks: Iterable[Check]) -> bool:
    return all(c.ok for c in checks)
