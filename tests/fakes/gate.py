"""The gate a stand-in holds calls at lives in the package (`bot/standins/gate.py`)."""

from bot.standins.gate import Gate

__all__ = ["Gate"]
