"""The official working-day calendar (工作日历) and the lead time it sets.

- ``calendar``: what a working day is, as a workalendar calendar (``is_working_day``,
  ``add_working_days``, ``get_working_days_delta``, ``holidays(year)``) on the State Council's
  schedules, and E(D), the earliest cutover for a filing on D;
- ``year_schedules``: one year's schedule, read from the shipped data files
  (``linkdesk/data/holidays/``) or an imported file, or estimated by the statutory rules (provisional);
- ``notice``: reading a State Council holiday notice (国务院办公厅关于部分节假日安排的通知) pasted as text;
  ``notice_page``: finding it in a pasted web page; ``amendment``: notices that change a published
  year (调整/延长), applied onto it;
- ``schedules``: which schedules are in force (imported ones win) and the app's cached calendar;
- ``operations``: what an import would change (days, open tickets) before the admin confirms it;
- ``views``: the 工作日历 page and the admin's import; ``cli``: the ``workdays`` command group.
"""
