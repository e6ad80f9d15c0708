"""gunicorn settings for linkdesk's web server (deploy/linkdesk-web.service runs
``gunicorn -c deploy/gunicorn.conf.py linkdesk.wsgi:app``). Each can be overridden by the
environment variable named beside it, so that the unit or the env file tunes a server without
editing this file."""
import multiprocessing
import os
from pathlib import Path

# nginx on the same host proxies to this address (deploy/nginx/linkdesk.conf); a unix socket
# (unix:/run/linkdesk/web.sock) works as well.
bind = os.environ.get("LINKDESK_BIND", "127.0.0.1:8000")

# The usual rule for a synchronous server: two per core, plus one. A request mostly waits on
# the database, and each worker holds one connection from its pool.
workers = int(os.environ.get("LINKDESK_WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Big uploads (a ticket's documents, up to 51 MB) and the audit export take a while; nginx
# buffers both, so a slow client never holds a worker this long.
timeout = int(os.environ.get("LINKDESK_WEB_TIMEOUT", 60))
# On SIGTERM (systemctl stop/restart) a worker finishes the request in hand within this.
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter): a slow leak never grows.
max_requests = 2000
max_requests_jitter = 200

# Only nginx on this host may set X-Forwarded-For/-Proto (the app trusts LINKDESK_PROXY_HOPS of them).
forwarded_allow_ips = os.environ.get("LINKDESK_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The app logs each request itself (with its request id); gunicorn's access log would say it twice.
accesslog = None
errorlog = "-"
loglevel = "info"

# gunicorn 25.1+: its control socket (gunicornc) in the unit's runtime directory, not in a home
# folder the service cannot write (older versions ignore the setting).
if Path("/run/linkdesk").is_dir():
    control_socket = "/run/linkdesk/gunicorn.ctl"

# Build the app once in the master, then fork: the workers share its memory and the working-day
# calendar linkdesk.wsgi warms.
preload_app = True

# Prometheus' multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set in the unit): an empty directory at
# each start, and a dead worker's live gauges let go. The hooks live with the metrics they serve.
from linkdesk.service.metrics import child_exit, on_starting  # noqa: E402, F401
