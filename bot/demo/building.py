"""The demo's building: its people, channels, locks, groups and grants (data only)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.standins.seam_server import AUGUST_1, AUGUST_2, SCHLAGE


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    role: str  # what the page says of them


@dataclass(frozen=True)
class DemoLock:
    device_id: str
    name: str  # the lock's name in Seam; `doors sync` names the door after it


ADA = Person("UADA", "Ada", "admin: may lock everything")
BEN = Person("UBEN", "Ben", "may lock Front Door and Floor 2")
CAM = Person("UCAM", "Cam", "may lock nothing")
PEOPLE = (ADA, BEN, CAM)

OFFICE = "COFFICE"  # where people type /lock
ALERTS = "CALERTS"  # LOCKBOT_ALERT_CHANNEL
CHANNELS = {OFFICE: "office", ALERTS: "lock-alerts"}

# The fake seeds three locks (renamed here); the demo adds three more like the first.
LOCKS = (
    DemoLock(AUGUST_1, "Front Door"),
    DemoLock(AUGUST_2, "Back Door"),
    DemoLock(SCHLAGE, "Garage"),
    DemoLock("demo_meeting_room", "Meeting Room"),
    DemoLock("demo_server_room", "Server Room"),
    DemoLock("demo_roof_hatch", "Roof Hatch"),
)
GROUPS = {
    "Floor 1": ("Front Door", "Back Door", "Garage"),
    "Floor 2": ("Meeting Room", "Server Room", "Roof Hatch"),
}
GRANTS = {BEN.user_id: ("Front Door", "Floor 2")}  # Ada is an admin; Cam has none
