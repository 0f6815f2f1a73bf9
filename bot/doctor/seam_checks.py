"""The Seam checks: the API key (it lists the locks the doors check needs), and how Seam's
events will arrive."""

from __future__ import annotations

from bot.doctor.checks import Check, failed, first_line, passed, plural
from bot.doctor.probe import Probe
from bot.ports import BackendError, BackendErrorKind

SEAM_CONSOLE = "https://console.seam.co/"
FIX_SEAM_KEY = (
    f"create an API key in the Seam console ({SEAM_CONSOLE}) for the workspace where your "
    "locks are connected, and set SEAM_API_KEY to it"
)


async def seam_key(probe: Probe) -> Check:
    from bot.seam import SeamBackend, translate

    name = "seam key"
    key = probe.settings.seam_api_key.get_secret_value()
    if not key:
        return failed(name, "SEAM_API_KEY is not set", FIX_SEAM_KEY)
    try:
        probe.seam = SeamBackend(
            key, probe.settings.seam_endpoint, timeout_s=probe.settings.seam_timeout_s
        )
    except Exception as error:  # the SDK checks the key's shape when it is built
        return failed(name, f"SEAM_API_KEY is not usable: {error}", FIX_SEAM_KEY)
    try:
        locks = await probe.seam.client.locks.list()
    except Exception as error:
        try:
            problem: BackendError = translate(error)
        except Exception:
            return failed(name, f"listing locks failed: {first_line(error)}")
        if problem.kind is BackendErrorKind.UNAUTHORIZED:
            return failed(name, "Seam rejected SEAM_API_KEY", FIX_SEAM_KEY)
        return failed(
            name,
            f"listing locks failed: {problem.message} ({problem.code})",
            "check SEAM_ENDPOINT and the network, then run doctor again",
        )
    probe.locks = list(locks)
    return passed(name, f"works: Seam lists {plural(len(probe.locks), 'lock')} in the workspace")


async def seam_events(probe: Probe) -> Check:
    """How device news and early outcomes will arrive: webhook, polling, or not at all."""
    name, settings = "seam events", probe.settings
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
        if probe.http:
            return passed(name, "by webhook at POST /seam/webhook (HTTP mode)")
    if not settings.seam_api_key.get_secret_value():
        return failed(name, "not checked: SEAM_API_KEY is not set")
    if probe.locks is None:  # the seam key check ran first and could not list the locks
        return failed(name, "not checked: Seam does not answer to SEAM_API_KEY")
    if settings.events_poll_s <= 0:
        return passed(name, "off: LOCKBOT_EVENTS_POLL is 0 and there is no webhook")
    how = "Socket Mode ignores the webhook; " if secret else ""
    return passed(name, f"{how}polling Seam's event log every {settings.events_poll_s:g} s")
