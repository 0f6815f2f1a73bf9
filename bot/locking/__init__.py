"""The lock path: requests (what is asked), intake (record before the ack), tracker (ask Seam,
poll, settle, tell), group runs, lease and recovery (who carries a request out), and the service
that fronts them."""

from bot.locking.receipts import RecordUnknown
from bot.locking.requests import GroupSubmission, Requester, Submission, Timing
from bot.locking.service import LockService

__all__ = [
    "GroupSubmission",
    "LockService",
    "RecordUnknown",
    "Requester",
    "Submission",
    "Timing",
]
