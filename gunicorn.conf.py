"""Gunicorn settings for the web process, sized for LINE's 2-second webhook budget.

Every value can be overridden from the environment (PORT, WEB_CONCURRENCY, WEB_THREADS,
WEB_PRELOAD) so one file serves Heroku-style platforms, a VM behind a load balancer and the
benchmarks in bench/.
"""
import gc
import os
import re

from gunicorn.glogging import Logger

# On a VM, gunicorn sits behind deploy/nginx.conf and must not be reachable from outside: set
# GUNICORN_BIND=127.0.0.1:8000. Its threads are held by clients that send slowly; nginx buffers them away
# (tests/app/test_deploy_nginx.py). Platforms with their own buffering router give PORT instead.
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# One process per core does the CPU work (Sudachi + matching); threads cover the I/O waits
# (the reply call to LINE, the database), which release the GIL.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))

# A handler never needs more than ~1.5 s (LINE call timeouts are explicit); a worker whose main
# loop is silent for 10 s is stuck and is replaced. Restarts and deploys finish inside LINE's retry window.
timeout = 10
graceful_timeout = 5
# LINE and load balancers reuse connections; keep idle ones a little longer than their pools do.
keepalive = 5
backlog = 256

# Load the app, the Sudachi dictionary and the matcher index once in the master: forked workers
# share those pages copy-on-write instead of each building its own copy, and boot in milliseconds.
preload_app = os.environ.get("WEB_PRELOAD", "1").lower() not in {"0", "false", "no", "off"}

# Gunicorn 27's control socket defaults to one path per user, so two instances on one host (the
# scale-out demo, blue/green deploys) would fight over it; enable it only with an explicit path.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# The access log keeps secrets out: the path without its query string (%(U)s, never %(r)s with form link and
# withdrawal tokens or searched names), no Referer (it would carry the previous page's query), and a signage
# key in a path (/signage/<key>, the kiosk's first request) written as /signage/[key]. deploy/nginx.conf does the same.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
_SIGNAGE_KEY = re.compile(r"^/signage/[A-Za-z0-9_-]{32}(?=/content$|$)")


class AccessLogWithoutSecrets(Logger):
    """Gunicorn's logger with the path's secrets masked and the query string and Referer left out."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = _SIGNAGE_KEY.sub("/signage/[key]", atoms.get("U") or "")
        atoms.update(U=path, q="-", f="-", r=f"{atoms.get('m')} {path} {atoms.get('H')}")
        return atoms


logger_class = AccessLogWithoutSecrets
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def when_ready(server):
    """Warm the preloaded app in the master, then freeze its objects for copy-on-write sharing."""
    if not server.cfg.preload_app:
        return
    _warm(server.app.wsgi())
    # The cyclic GC writes to every tracked object's header; frozen objects are skipped, so
    # the pages inherited from the master stay shared instead of being copied into each worker.
    gc.freeze()


def post_worker_init(worker):
    """Warm a worker that did not inherit a warmed app (WEB_PRELOAD=0)."""
    if worker.cfg.preload_app:
        return
    _warm(worker.wsgi)


def worker_exit(server, worker):
    """Send the replies still queued, then log how often the decision cache answered."""
    if getattr(worker.wsgi, "import_name", "") == "bot":
        from bot.knowledge.index import log_cache_stats

        # A deploy or a replaced worker must not drop answers already decided: send them first.
        worker.wsgi.extensions["line_sender"].close(timeout=max(1.0, graceful_timeout - 1))
        log_cache_stats(worker.wsgi)


def _warm(app):
    # Only the bot has a warm-up; the benchmark's echo bot runs under this same file.
    if getattr(app, "import_name", "") == "bot":
        from bot import warm_up

        warm_up(app)
