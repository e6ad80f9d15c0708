"""Running linkdesk as a service: what an operator needs around the desk itself — structured logs
with a request id (``logs``), Prometheus metrics (``metrics``, ``desk_gauges``), and backup and
restore of the database with its attachments (``backup``, ``backup_cli``)."""
