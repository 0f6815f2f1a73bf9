"""Every sentence lockbot says in Slack, by topic. Pure functions of facts (rows, domain
results, refusals), so a wording change is a change here and a unit test
(tests/unit/test_slack_words.py), not a hunt through the listeners.

- `common`: the helpers all of them share, each with one meaning: `bold`, `mention` (a user
  ID), `grantee` (whoever a grant names), `who_asked` (a request's asker), `ask_admins`,
  `count`, `elapsed` (a request's time taken), `ago`, `pretty_date`, `short_date`, `fit`.
- `locks`: a lock request's root message, thread and alert; the answers when lockbot ends one
  itself (not allowed, unknown, missing, in flight, rate limited); the picker's words.
- `groups`: a group lock's root message, door lines and alert; none of it locked.
- `posts`: what the channel sees of a lock as Block Kit (`blockkit.Message`): the root with its
  context line, a failure's Try again, a group's doors as fields, the alert's link button; the
  sentences above stay as each message's notification text.
- `schedules`: `/lock schedule…` answers, and what a schedule's runs tell.
- `news`: device news, from the relay's facts (`bot.news`); a lock gone offline says what to
  check.
- `doors`: a door's state (`/lock list`, and anywhere a door's state is shown).
- `lists`: `/lock list`, `/lock history`, and an unknown or not-yours name there.
- `status`: `/lock status`, live from Seam.
- `usage`: `/lock help`, an unreadable command, lockbot's own failure.
- `admin`: what `/lock admin` answers share, its dispatcher's answers, what was typed wrong;
  `admin_doors` (doors, groups, sync, audit), `admin_access` (grants), `admin_news` (mutes,
  alerts, quiet hours).
- `refusals`: what the domain refuses (`bot.refusals`), with the commands typed in Slack.

Times and escaping every surface shares are in `bot.text`.
"""
