"""Running linkdesk as a service: the worker, health, logs, metrics, and backup.

``flask --app linkdesk worker`` is one long-running process that delivers the outbox and runs the
scheduled jobs on Beijing time (apply the day's cutovers after midnight, the morning reminders,
the hourly link checks, the filing probes that never finished). Any number of workers may run,
on any number of servers: each job is run under a lease in the database, each message under the
outbox's own claim, so nothing is done twice and a worker that dies leaves nothing undone.

- ``jobs``: the job table (name, schedule, what it does) and the rule that says a job is due;
- ``leases``: taking, renewing and releasing a job's lease (one conditional UPDATE each);
- ``heartbeats``: each worker's heartbeat, for ``/readyz`` and the operator;
- ``worker``: the loop, its signals and its logging; ``cli``: the ``worker`` command;
- ``health``: what ``/healthz`` and ``/readyz`` check; ``views``: those two routes;
- ``outages``: which database errors are an outage (503, not a bug) and one log line per outage;
- ``logs``: structured logs with a request id; ``metrics``, ``desk_gauges``: ``/metrics``;
- ``backup``, ``backup_cli``: backup and restore of the database with its attachments.
"""
