"""Device news from Seam: what to tell, where, and when to stay quiet (issue #5).

`EventRelay.handle` is the one handler for both ways in (webhook and poller). Being written.
"""

from __future__ import annotations

from bot.ports import DeviceEvent


class EventRelay:
    async def handle(self, event: DeviceEvent, via: str) -> str:
        """Handle one event once (its id is the dedupe key); returns what was done with it:
        duplicate, relayed, muted, suppressed, settled, ignored."""
        raise NotImplementedError
