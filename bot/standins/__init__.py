"""Local stand-ins for Slack and Seam, shared by the test suite and `lockbot demo`."""
