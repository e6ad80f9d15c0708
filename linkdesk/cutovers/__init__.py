"""The cutover calendar (切换日历): what changes on which day.

- ``schedule``: the rules — cutovers in a user's scope, the daily limit and blackout windows
  (封网期), which tickets are due; it reads and never commits;
- ``operations``: applying due cutovers to the link registry, reminders before a cutover, the
  ministry's settings — one commit each;
- ``feeds``: secret per-user iCalendar feeds;
- ``views``: the month and list pages, CSV export, feed subscription and the ministry's settings.
"""
