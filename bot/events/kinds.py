"""The Seam event types lockbot knows by name."""

DISCONNECTED = "device.disconnected"
CONNECTED = "device.connected"
LOW_BATTERY = "device.low_battery"
BATTERY_CHANGED = "device.battery_status_changed"
TAMPERED = "device.tampered"
UNLOCKED = "lock.unlocked"
LOCKED = "lock.locked"
# The device news lockbot tells, and so the names an admin may mute.
EVENT_TYPES = (DISCONNECTED, CONNECTED, LOW_BATTERY, BATTERY_CHANGED, TAMPERED, UNLOCKED, LOCKED)
LOCK_SUCCEEDED = "action_attempt.lock_door.succeeded"
LOCK_FAILED = "action_attempt.lock_door.failed"
