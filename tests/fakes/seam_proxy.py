"""The fault-injecting Seam proxy lives in the package (`bot/standins/seam_proxy.py`), where
`lockbot demo` uses the same one."""

from bot.standins.seam_proxy import Fault, ProxiedCall, SeamProxy

__all__ = ["Fault", "ProxiedCall", "SeamProxy"]
