"""Seam's fake server's launcher lives in the package (`bot/standins/seam_server.py`), where
`lockbot demo` uses the same one; the node package stays here, in tests/fakes/seam."""

from bot.standins.seam_server import API_KEY, AUGUST_1, AUGUST_2, SCHLAGE, FakeSeamServer

__all__ = ["API_KEY", "AUGUST_1", "AUGUST_2", "SCHLAGE", "FakeSeamServer"]
