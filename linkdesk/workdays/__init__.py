"""The official working-day calendar (工作日历) and the lead time it sets.

- ``calendar``: what a working day is (workalendar's years, the shipped State Council schedules,
  provisional years by the statutory rules) and E(D), the earliest cutover for a filing on D;
- ``notice``: reading a State Council holiday notice (国务院办公厅关于部分节假日安排的通知) pasted as text;
  ``notice_page``: finding it in a pasted web page; ``amendment``: notices that change a published
  year (调整/延长), applied onto it;
- ``schedules``: which schedules are in force (imported ones win) and the app's cached calendar;
- ``operations``: what an import would change (days, open tickets) before the admin confirms it;
- ``views``: the 工作日历 page and the admin's import; ``cli``: the ``workdays`` command group.
"""
