"""The Seam side of the demo: its locks in Seam's fake, and what the page's side panel does to
them (a lock goes offline, a door is unlocked by hand, the next lock fails, Seam slows down).

Everything goes through the fake's own harness routes and the fault proxy the tests use, so the
bot hears of it the way it would in production: Seam's event log, and Seam's answers.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from bot.demo.building import LOCKS, DemoLock
from bot.standins.seam_proxy import SeamProxy
from bot.standins.seam_server import AUGUST_1

SLOW_DELAY_S = 1.0  # added to every Seam call while Seam is slow
SLOW_CONFIRM_S = 4.0  # and a lock confirms this long after lock_door answered
OFFLINE = ("device_offline", "The device is offline")
SEAM_DOWN = json.dumps({"error": {"type": "service_unavailable", "message": "Seam is down"}})


class World:
    """What the demo's locks are, and the side panel's levers."""

    def __init__(self, fake_url: str, proxy: SeamProxy) -> None:
        self.http = httpx.AsyncClient(base_url=fake_url, timeout=10)
        self.proxy = proxy
        self.offline: set[str] = set()
        self.slow = False

    async def close(self) -> None:
        await self.http.aclose()

    async def _harness(self, route: str, **body: Any) -> None:
        response = await self.http.post(f"/_harness/{route}", json=body)
        response.raise_for_status()

    async def build(self) -> None:
        """Name the fake's seeded locks as the building does, and add the others."""
        seeded = {d["device_id"] for d in await self._devices()}
        for lock in LOCKS:
            if lock.device_id in seeded:
                await self._harness("update_device", device_id=lock.device_id,
                                    display_name=lock.name)  # fmt: skip
            else:
                await self._harness("add_device", device_id=lock.device_id, like=AUGUST_1,
                                    display_name=lock.name)  # fmt: skip

    async def _devices(self) -> list[dict[str, Any]]:
        response = await self.http.get("/_fake/database")
        response.raise_for_status()
        devices = response.json().get("devices", [])
        return devices if isinstance(devices, list) else []

    def lock(self, device_id: str) -> DemoLock:
        for lock in LOCKS:
            if lock.device_id == device_id:
                return lock
        raise KeyError(device_id)

    async def go_offline(self, device_id: str) -> None:
        """The lock loses its connection: Seam says so, and refuses to lock it."""
        self.lock(device_id)
        await self._harness("update_device", device_id=device_id, properties={"online": False})
        await self._harness("add_event", event_type="device.disconnected", device_id=device_id)
        self.proxy.failing_devices[device_id] = OFFLINE
        self.offline.add(device_id)

    async def come_online(self, device_id: str) -> None:
        self.lock(device_id)
        await self._harness("update_device", device_id=device_id, properties={"online": True})
        await self._harness("add_event", event_type="device.connected", device_id=device_id)
        self.proxy.failing_devices.pop(device_id, None)
        self.offline.discard(device_id)

    async def unlock_by_hand(self, device_id: str) -> None:
        """Someone turns the thumb-turn: Seam reports an unlock that lockbot did not ask for."""
        self.lock(device_id)
        await self._harness("update_device", device_id=device_id, properties={"locked": False})
        await self._harness("add_event", event_type="lock.unlocked", device_id=device_id,
                            method="manual")  # fmt: skip

    def fail_next_lock(self) -> None:
        """The next `lock_door` gets Seam's 503, as when Seam has an outage."""
        self.proxy.fail("/locks/lock_door", status=503, body=SEAM_DOWN)

    @property
    def next_lock_fails(self) -> bool:
        return any(f.path == "/locks/lock_door" and f.times > 0 for f in self.proxy.faults)

    def set_slow(self, slow: bool) -> None:
        """Seam answers every call a second late, and locks take seconds to confirm."""
        self.slow = slow
        self.proxy.delay_s = SLOW_DELAY_S if slow else 0.0
        self.proxy.hold_attempts = slow
        self.proxy.finish_after_s = SLOW_CONFIRM_S if slow else None

    def _lock_state(self, lock: DemoLock) -> dict[str, Any]:
        online = lock.device_id not in self.offline
        return {"device_id": lock.device_id, "name": lock.name, "online": online}

    def state(self) -> dict[str, Any]:
        """What the side panel shows."""
        return {
            "locks": [self._lock_state(lock) for lock in LOCKS],
            "slow": self.slow,
            "next_lock_fails": self.next_lock_fails,
        }
