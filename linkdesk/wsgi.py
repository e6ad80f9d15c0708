"""The app as a WSGI server loads it (``gunicorn 'linkdesk.wsgi:app'``): built by the factory,
then warmed, so that the first request of each worker after a deploy does not build the
working-day calendar (the factory itself stays free of side effects)."""

from . import create_app
from .workdays.schedules import warm_calendar

app = create_app()
warm_calendar(app)
