"""`lockbot doctor`: check every dependency and say in plain words what is wrong and how to fix it.

Each check stands on its own: one that fails, raises or hangs never stops the others, and a
check that needs another one's result (the doors need Seam's locks) says "not checked" when that
result is missing. Every HTTP call is bounded (the clients' own timeouts, and a deadline per
check), and no secret value ever reaches a detail or a fix.

`checks.py` says what a check is and shows them; `probe.py` holds what one run shares;
the checks by topic: `database_checks.py`, `slack_checks.py`, `seam_checks.py`,
`setup_checks.py`; `all_checks.py` runs them all, in order.
"""
