"""`lockbot demo`: the real bot against the stand-ins, with a Slack-like page to drive it."""
