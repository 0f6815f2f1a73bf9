"""Settings: the one place where environment variable names live.

Values come from the environment, then from `.env` in the working directory. Secrets are
`SecretStr`, so that a settings object printed into a log or a traceback shows `**********`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.logs import LogFormat

DEFAULT_DATABASE_URL = "sqlite:///lockbot.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    slack_bot_token: SecretStr = Field(SecretStr(""), validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr = Field(SecretStr(""), validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr = Field(SecretStr(""), validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")

    seam_api_key: SecretStr = Field(SecretStr(""), validation_alias="SEAM_API_KEY")
    seam_endpoint: str = Field("https://connect.getseam.com", validation_alias="SEAM_ENDPOINT")

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")

    alert_channel: str = Field("", validation_alias="LOCKBOT_ALERT_CHANNEL")
    admins: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(), validation_alias="LOCKBOT_ADMINS"
    )

    # How long an action attempt may stay pending before we call it timed out.
    lock_timeout_s: float = Field(60.0, gt=0, validation_alias="LOCKBOT_LOCK_TIMEOUT")
    # Poll cadence: the first poll comes soon (most locks answer in about a second), then the gap
    # grows by `poll_backoff` up to `poll_max_s`, so a slow lock costs few Seam calls.
    poll_first_s: float = Field(0.25, gt=0, validation_alias="LOCKBOT_POLL_FIRST")
    poll_backoff: float = Field(1.5, ge=1, validation_alias="LOCKBOT_POLL_BACKOFF")
    poll_max_s: float = Field(0.8, gt=0, validation_alias="LOCKBOT_POLL_MAX")
    # Reads placed where each lock's recent locks answered (bot/locking/poll_plan.py); off: the
    # cadence above for every lock, as for one without a history.
    poll_learn: bool = Field(True, validation_alias="LOCKBOT_POLL_LEARN")
    rate_limit: int = Field(20, ge=0, validation_alias="LOCKBOT_RATE_LIMIT")  # per user a minute
    # How long a replica's claim on its pending requests lasts without renewal: a killed
    # replica's requests are taken over within this plus a third of it (bot/locking/lease.py).
    lease_s: float = Field(15.0, ge=0.3, le=600, validation_alias="LOCKBOT_LEASE")
    # Doors of one group locked at the same time (`/lock floor 2`).
    fanout_limit: int = Field(10, ge=1, le=100, validation_alias="LOCKBOT_FANOUT_LIMIT")
    # A scheduled run missed by less than this (the bot was down) runs late, once; older ones are
    # reported as missed.
    schedule_grace_s: float = Field(600.0, ge=0, validation_alias="LOCKBOT_SCHEDULE_GRACE")
    # So that schedules cannot flood a channel: how close two runs of one schedule may come, and
    # how many active schedules one person may have. Admins are exempt; 0 turns either off.
    schedule_min_minutes: float = Field(60.0, ge=0, validation_alias="LOCKBOT_SCHEDULE_MIN_MINUTES")
    schedules_per_person: int = Field(10, ge=0, validation_alias="LOCKBOT_SCHEDULES_PER_PERSON")
    # For schedules made where the user's Slack time zone is unknown (the terminal).
    timezone: str = Field("UTC", validation_alias="LOCKBOT_TIMEZONE")
    # Seam events (#5): a webhook when this secret is set (HTTP mode), else the poller.
    seam_webhook_secret: SecretStr = Field(SecretStr(""), validation_alias="SEAM_WEBHOOK_SECRET")
    events_poll_s: float = Field(5.0, ge=0, validation_alias="LOCKBOT_EVENTS_POLL")  # 0: off
    # A device that disconnects and reconnects within this many minutes flaps: one message.
    flap_minutes: float = Field(10.0, gt=0, validation_alias="LOCKBOT_FLAP_MINUTES")
    # An unlock within this many hours after a door's scheduled lock is flagged as unexpected,
    # for schedules without an end; a lock window (`until 07:00`) says exactly instead.
    locked_hours: float = Field(8.0, ge=0, validation_alias="LOCKBOT_LOCKED_HOURS")
    # Lock windows (`… until 07:00`): one Keep open tap postpones the relock by this much; a
    # state check reads the doors inside a window this often, for locks whose events do not
    # come (0: off); the leader looks for due relocks this often. The shortest `relock after`
    # is a minute (a test may lower it).
    keep_open_minutes: float = Field(30.0, gt=0, validation_alias="LOCKBOT_KEEP_OPEN_MINUTES")
    window_check_minutes: float = Field(5.0, ge=0, validation_alias="LOCKBOT_WINDOW_CHECK_MINUTES")
    relock_look_s: float = Field(5.0, gt=0, le=60, validation_alias="LOCKBOT_RELOCK_LOOK")
    relock_min_s: float = Field(60.0, ge=1, validation_alias="LOCKBOT_RELOCK_MIN_SECONDS")
    seam_timeout_s: float = Field(10.0, gt=0, validation_alias="LOCKBOT_SEAM_TIMEOUT")
    # The App Home is published at most once per person in this many seconds (bot.slack.home).
    home_refresh_s: float = Field(3.0, ge=0, validation_alias="LOCKBOT_HOME_REFRESH")

    # "auto": readable text on a terminal, one JSON object per line otherwise.
    log_format: LogFormat = Field("auto", validation_alias="LOCKBOT_LOG_FORMAT")
    host: str = Field("127.0.0.1", validation_alias="LOCKBOT_HOST")
    port: int = Field(3000, ge=0, le=65535, validation_alias="PORT")

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @cached_property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token.get_secret_value())

    def serves_slack_http(self, *, http: bool) -> bool:
        """Whether `lockbot serve` (with or without --http) takes Slack's requests at
        POST /slack/events, where every request must be checked against SLACK_SIGNING_SECRET."""
        return http or not self.socket_mode

    @property
    def has_signing_secret(self) -> bool:
        # A blank secret is no secret: HMAC with an empty key is a signature anyone can make.
        return bool(self.slack_signing_secret.get_secret_value().strip())

    def secrets(self) -> list[str]:
        """Every secret value that is set, so log filters can redact them."""
        values = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.seam_api_key,
            self.seam_webhook_secret,
        )
        return [s.get_secret_value() for s in values if s.get_secret_value()]
