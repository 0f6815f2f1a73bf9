"""Every check, in the order `lockbot doctor` shows them; the ones that need no other's result
run at once, then the rest."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from bot.doctor import database_checks, seam_checks, setup_checks, slack_checks
from bot.doctor.checks import Check
from bot.doctor.probe import Probe

GRANTS_TIMEOUT_S = 60.0  # one Slack call per subject, so this one may take longer


class Doctor(Probe):
    """A probe with each check as a method: each is a function of the probe, so
    `doctor.database()` runs one and keeps what it found for the checks after it."""

    database = database_checks.database
    slack_token = slack_checks.slack_token
    slack_scopes = slack_checks.slack_scopes
    slack_app_token = slack_checks.slack_app_token
    slack_signing_secret = slack_checks.slack_signing_secret
    seam_key = seam_checks.seam_key
    seam_events = seam_checks.seam_events
    doors = setup_checks.doors
    alert_channel = setup_checks.alert_channel
    grants = setup_checks.grants
    schedules = setup_checks.schedules
    pending_locks = setup_checks.pending_locks


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
