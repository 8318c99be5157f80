"""The current town: where it comes from (the request's path, a job, `--town`), and how it is enforced.

- **Requests.** `/<slug>/…` serves that town: the WSGI middleware moves the slug into SCRIPT_NAME, so every route,
  `url_for` and the session cookie's path work unchanged under the prefix. Paths without a prefix serve the
  default town (DEFAULT_TOWN, the town the migration made), as a single-town deployment always has.
- **Jobs and commands** name their town with `use_town(…)`; the command line's `--town SLUG` does it for every
  command that touches a town's data.
- **Queries.** A `do_orm_execute` hook adds `town_id = current town` to every ORM query on a town table
  (`with_loader_criteria`), new rows take the current town, and a flush that would write into another town raises.
  With no current town, a query on town data raises NoTownSelected: the application fails closed.
- **PostgreSQL** enforces the same with row-level security (migration 0031): each transaction starts with
  `set_config('app.town_id', …, true)` (SET LOCAL), which the policies compare `town_id` with. There is no way
  round it for the application: code that works across towns (jobs, the operator's actions) enters each town in
  turn with `use_town`, or reads only the platform's tables (towns, rate_limits, notice_worker_leases, operators).
"""
from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, TypeVar

import click
from flask import Flask, abort, current_app, g, has_app_context, request
from flask.globals import _cv_app, _cv_request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import bindparam, event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from bot.extensions import db
from bot.models.tenancy import (ACTIVE, NoTownSelected, Tenant, TownScoped, current_town_id, require_town_id)

__all__ = ["NoTownSelected", "TownRef", "current_town_id", "require_town_id", "use_town", "town_by_slug",
           "current_ref", "town_cache", "keyed", "execute_core", "SLUG_PATTERN"]

# A town's slug: its path prefix. Lower-case ASCII, so a URL never needs escaping and two slugs never differ by case.
log = logging.getLogger(__name__)
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
T = TypeVar("T")


@dataclass(frozen=True)
class TownRef:
    """What a request or job needs to know about its town, without holding an ORM row."""

    id: int
    slug: str
    name: str
    status: str
    # Changes whenever the town's stored LINE channel changes (a digest of the sealed secret and token and the bot
    # user id): the per-town channel caches (bot/line/channels.py) compare it, so every worker process notices a
    # rotation as soon as it reads the town again, with no signal between processes.
    channel_stamp: str = field(default="", repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


# What a TownRef is read from: the town's own columns, then the channel columns its stamp digests.
_REF_COLUMNS = (Tenant.id, Tenant.slug, Tenant.name, Tenant.status,
                Tenant.line_channel_secret, Tenant.line_access_token, Tenant.line_bot_user_id)
# The town directory's read (every TOWN_CACHE_SECONDS per process, on a request's path): the same columns of the
# platform's `towns` table as a Core statement built once, so it neither compiles afresh nor passes through the
# town hook (which has nothing to filter on `towns`).
_TOWNS = Tenant.__table__
_BY_SLUG = select(*(_TOWNS.c[column.key] for column in _REF_COLUMNS)).where(_TOWNS.c.slug == bindparam("slug"))


def _ref(row) -> TownRef:
    town_id, slug, name, status, secret, token, bot_user_id = row
    stamp = hashlib.blake2b("\0".join((secret or "", token or "", bot_user_id or "")).encode(),
                            digest_size=12).hexdigest()
    return TownRef(town_id, slug, name, status, stamp)


# ---------------------------------------------------------------------------------------------------------------
# Enforcement: every ORM query is filtered by the current town; none runs on town data without one.

def _is_town_mapper(mapper) -> bool:
    return issubclass(mapper.class_, TownScoped)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_town(state: ORMExecuteState) -> None:
    if not state.is_orm_statement:
        # Core and text statements on tables: loader criteria never apply to them, so adding them only cost a
        # cache-key walk per statement; they name their town themselves (`:town`), as PostgreSQL's policies require
        # anyway. An ORM entity anywhere in a statement (select_from(Entry)) makes it an ORM one. Asked first: it is
        # the cheapest of the checks (the others work out the statement's options).
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # loads of an object already read inside its town (the criteria travel with it)
    town_id = current_town_id()
    if town_id is None:
        if any(_is_town_mapper(m) for m in state.all_mappers):
            raise NoTownSelected("a query on town data ran with no current town")
        return
    state.statement = state.statement.options(
        with_loader_criteria(TownScoped, lambda cls: cls.town_id == town_id, include_aliases=True))


def execute_core(statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Run a Core or text statement that names its town itself (`:town`), or reads only the platform's tables, on
    the session's connection, and return its result, as db.session.execute() would.

    For the webhook's hot path (a few statements per message): the session's execute() builds an ORMExecuteState
    and calls the town hook for every statement once the hook exists, only for the hook to leave a Core statement
    alone. An ORM statement (one naming a mapped class anywhere) raises here: it must go through db.session.execute()
    and so through the town's criteria."""
    if statement._propagate_attrs.get("compile_state_plugin") == "orm":
        raise TypeError("execute_core() runs Core and text statements only: an ORM statement needs the town hook")
    # The same engine session.execute() would pick (bind keys), and the same transaction: after_begin tells
    # PostgreSQL the town when this begins it.
    return db.session.connection(bind_arguments={"clause": statement}).execute(statement, params or {})


@event.listens_for(TownScoped, "init", propagate=True)
def _born_in_the_town(target: TownScoped, _args, kwargs: dict) -> None:
    # A new row belongs to the current town from the start (merge() and session.get() need the whole key).
    if kwargs.get("town_id") is None:
        town_id = current_town_id()
        if town_id is not None:
            kwargs["town_id"] = town_id


def keyed(model: type[T], key: Any) -> T | None:
    """Return the current town's row of a table keyed by (town_id, name), or None."""
    return db.session.get(model, (require_town_id(), key))


@event.listens_for(Session, "before_flush")
def _new_rows_take_the_town(session: Session, _context, _instances) -> None:
    town_id = None
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, TownScoped):
            continue
        if town_id is None:
            town_id = require_town_id()
        if obj.town_id is None:
            obj.town_id = town_id
        elif obj.town_id != town_id:
            raise NoTownSelected(f"a {type(obj).__name__} of town {obj.town_id} was written from town {town_id}")


@event.listens_for(Session, "after_begin")
def _set_local_town(session: Session, _transaction, connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(_SET_TOWN, {"town": str(current_town_id() or "")})


_SET_TOWN = text("SELECT set_config('app.town_id', :town, true)")


@contextmanager
def use_town(town: TownRef | Tenant | int) -> Iterator[None]:
    """Work for this town inside the block (a job, a command, a test); the previous town is restored after."""
    town_id = town if isinstance(town, int) else town.id
    previous, previous_ref = g.get("town_id"), g.get("town_ref")
    if previous is not None and previous != town_id:
        _forget_other_towns_rows()
    # A TownRef just read (job_towns()) is the town as it is now; otherwise current_ref() reads it again, so a job
    # that works for the same town round after round sees its rotated credentials (bot/line/channels.py).
    g.town_id, g.town_ref = town_id, (town if isinstance(town, TownRef) else None)
    _sync_postgres(town_id)
    try:
        yield
    finally:
        g.town_id, g.town_ref = previous, previous_ref
        _sync_postgres(previous)


def _forget_other_towns_rows() -> None:
    """Write what is pending, then drop town rows from the identity map: session.get() must not hand out another
    town's row without asking the database (where the filter applies)."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        session.flush()
    for obj in [o for o in session.identity_map.values() if isinstance(o, TownScoped)]:
        session.expunge(obj)


def _sync_postgres(town_id: int | None) -> None:
    """Tell a transaction already under way that the town changed (a new transaction reads g.town_id itself)."""
    if not _on_postgres():
        return  # SQLite has no policies to tell (twice per request: binding the town and restoring it)
    session = db.session()
    if session.in_transaction():
        session.connection().execute(_SET_TOWN, {"town": str(town_id or "")})


def _on_postgres() -> bool:
    """Whether the app's database is PostgreSQL (asked once per app, then remembered)."""
    extensions = current_app.extensions
    known = extensions.get("bot.town_postgres")
    if known is None:
        known = extensions["bot.town_postgres"] = db.engine.dialect.name == "postgresql"
    return known


# ---------------------------------------------------------------------------------------------------------------
# Finding a town: by slug, cached for a few seconds per process (every request asks).

class _Directory:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_slug: dict[str, tuple[float, TownRef | None]] = {}

    def clear(self) -> None:
        with self.lock:
            self.by_slug.clear()


def _directory(app: Flask | None = None) -> _Directory:
    extensions = (app or current_app).extensions
    directory = extensions.get("town_directory")
    if directory is None:  # made once per app (setdefault would build a directory, lock and all, on every call)
        directory = extensions.setdefault("town_directory", _Directory())
    return directory


def town_by_slug(slug: str, *, fresh: bool = False) -> TownRef | None:
    """Return the town with this slug (active or suspended), or None; cached TOWN_CACHE_SECONDS per process."""
    app = current_app._get_current_object()  # every request asks: one proxy lookup, not two
    directory, now = _directory(app), time.monotonic()
    hit = directory.by_slug.get(slug)
    if hit and not fresh and now - hit[0] < app.config.get("TOWN_CACHE_SECONDS", 5):
        return hit[1]
    row = execute_core(_BY_SLUG, {"slug": slug}).first()
    ref = _ref(row) if row else None
    with directory.lock:
        if len(directory.by_slug) > 10_000:
            directory.by_slug.clear()
        directory.by_slug[slug] = (now, ref)
    return ref


def forget_towns() -> None:
    """Drop this process's cached towns (after a town is created, renamed or suspended)."""
    _directory().clear()


def default_slug(app: Flask | None = None) -> str:
    """Return the slug unprefixed paths and commands without --town serve; empty: none (multi-town hosting)."""
    return (app or current_app).config.get("DEFAULT_TOWN", "default")


def default_town() -> TownRef | None:
    slug = default_slug()
    return town_by_slug(slug) if slug else None


def current_ref() -> TownRef | None:
    """Return the current request's or job's town (None outside any town)."""
    ref = g.get("town_ref")
    town_id = current_town_id()
    if ref is not None and ref.id == town_id:
        return ref
    if town_id is None:
        return None
    row = db.session.execute(select(*_REF_COLUMNS).where(Tenant.id == town_id)).first()
    if row is None:
        return None
    g.town_ref = _ref(row)  # a job asks again for every link it builds; use_town() starts each block afresh
    return g.town_ref


# ---------------------------------------------------------------------------------------------------------------
# Requests: /<slug>/… or the default town.

TOWN_ENVIRON = "bot.town_slug"


class TownPrefix:
    """WSGI middleware: `/<slug>/rest` becomes SCRIPT_NAME `…/<slug>`, PATH_INFO `/rest`, for any slug that is
    not one of the application's own first path segments (admin, forms, static…)."""

    def __init__(self, wsgi_app, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        self._reserved: frozenset[str] | None = None

    def reserved(self) -> frozenset[str]:
        if self._reserved is None:
            self._reserved = reserved_segments(self.app)
        return self._reserved

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or ""
        segment, sep, rest = path[1:].partition("/")
        if segment and SLUG_PATTERN.match(segment) and segment not in self.reserved():
            environ[TOWN_ENVIRON] = segment
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "").rstrip("/") + "/" + segment
            environ["PATH_INFO"] = "/" + rest if sep else "/"
        return self.wsgi_app(environ, start_response)


def reserved_segments(app: Flask) -> frozenset[str]:
    """Return the first path segments the application's own routes use: no town may take one as its slug."""
    firsts = set()
    for rule in app.url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)[0]
        if first and "<" not in first:
            firsts.add(first)
    return frozenset(firsts | {"static", "operator", "api", "healthz"})


class _TownSessionInterface(SecureCookieSessionInterface):
    """Each town's console keeps its own session cookie, scoped to its path prefix; a platform console (the
    operator's /operator/) keeps a cookie of its own name scoped to its path (see platform_session)."""

    def _platform(self) -> tuple[str, str] | None:
        # Asked three times per request (the cookie's name on open and save, its path): the request context is read
        # directly, not through the `request` proxy twice.
        ctx = _cv_request.get(None)
        return None if ctx is None else _platform_prefix(ctx.request)

    def get_cookie_name(self, app: Flask) -> str:
        platform = self._platform()
        return platform[1] if platform else super().get_cookie_name(app)

    def get_cookie_path(self, app: Flask) -> str:
        platform = self._platform()
        if platform:
            return platform[0]
        root = request.script_root if request else ""
        return root + "/" if root else super().get_cookie_path(app)


# path prefix ("/operator/") → the session cookie's name there: no town's cookie is read or written under it.
_PLATFORM_SESSIONS: dict[str, str] = {}


_PLATFORM_ENVIRON = "bot.platform_prefix"


def _platform_prefix(req=None) -> tuple[str, str] | None:
    """Return (prefix, cookie name) when the request (default: the current one) is under a platform console's
    unprefixed path."""
    # Asked up to four times per request (binding the town, the session cookie's name and path on open and save):
    # worked out once, kept in the request's environ.
    if req is None:
        req = request._get_current_object()
    environ = req.environ
    try:
        return environ[_PLATFORM_ENVIRON]
    except KeyError:
        pass
    found = None
    if not environ.get(TOWN_ENVIRON):
        path = req.path
        for prefix, name in _PLATFORM_SESSIONS.items():
            if path == prefix.rstrip("/") or path.startswith(prefix):
                found = prefix, name
                break
    environ[_PLATFORM_ENVIRON] = found
    return found


def platform_session(prefix: str, cookie_name: str) -> None:
    """Give the unprefixed paths under prefix (a platform console) their own session cookie, scoped to prefix."""
    _PLATFORM_SESSIONS[prefix] = cookie_name


def _enter(town_id: int | None, ref: TownRef | None) -> None:
    """Make this the request's town; a transaction already under way (finding the town read `towns`) follows."""
    here = g._get_current_object()
    here.town_id, here.town_ref = town_id, ref
    _sync_postgres(town_id)


def _bind_request_town() -> None:
    # This runs on every request: the request and `g` are looked up once, not once per attribute.
    req, here = request._get_current_object(), g._get_current_object()
    length = req.content_length
    if length and req.max_content_length and length > req.max_content_length:
        abort(413)  # refused before any database work, as the door itself would
    slug = req.environ.get(TOWN_ENVIRON)
    endpoint = req.endpoint
    if not slug and (endpoint in _PLATFORM_ENDPOINTS or _platform_prefix(req)):
        # The platform's own pages (the operator console, healthz) serve with no town, whatever the default town
        # (also its redirects and 404s: /operator → /operator/).
        here.previous_town = (here.get("town_id"), here.get("town_ref"))
        _enter(None, None)
        return
    try:
        ref = town_by_slug(slug) if slug else default_town()
        if ref is not None and ref.active:
            # Finding the town may have begun the transaction (with no town, or the previous one): it follows.
            _sync_postgres(ref.id)
    except (DBAPIError, SATimeoutError) as exc:
        # The database is down or its pool exhausted: LINE redelivers a webhook answered 503, as for any door.
        db.session.rollback()
        log.warning("database unavailable while finding the request's town (%s)", type(exc).__name__)
        abort(503, "The database is unavailable; LINE will redeliver the event.")
    here.previous_town = (here.get("town_id"), here.get("town_ref"))
    if ref is None:
        if slug or endpoint not in _PLATFORM_ENDPOINTS:
            _enter(None, None)
            if endpoint in _PLATFORM_ENDPOINTS:
                return
            abort(404)
        return
    if not ref.active:
        _enter(None, None)
        abort(503, description="この町のサービスは現在停止しています。")
    here.town_id, here.town_ref = ref.id, ref


def _restore_town(_exc=None) -> None:
    previous = g.pop("previous_town", None)
    if previous is not None:
        try:
            _enter(*previous)
        except DBAPIError:  # the connection broke during the request: nothing of its transaction is kept anyway
            db.session.rollback()


_PLATFORM_ENDPOINTS: set[str | None] = {"healthz", "favicon", "static"}


def platform_endpoint(endpoint: str) -> None:
    """Mark an endpoint as the platform's own (the operator console): it serves with no town."""
    _PLATFORM_ENDPOINTS.add(endpoint)


def init_app(app: Flask) -> None:
    """Route `/<slug>/…` to its town, bind every request to a town, and give `--town` to town commands."""
    app.config.setdefault("DEFAULT_TOWN", "default")
    app.wsgi_app = TownPrefix(app.wsgi_app, app)  # type: ignore[method-assign]
    app.session_interface = _TownSessionInterface()
    app.before_request_funcs.setdefault(None, []).insert(0, _bind_request_town)
    app.teardown_request(_restore_town)


# ---------------------------------------------------------------------------------------------------------------
# The command line: --town SLUG on every command that touches a town's data.

def resolve_town_option(slug: str | None) -> TownRef:
    """Return the town a command named, or the default town when it named none; raise a ClickException else."""
    if slug:
        ref = _lookup(lambda: town_by_slug(slug, fresh=True))
        if ref is None:
            raise click.ClickException(f"町 {slug!r} はありません（flask --app app towns list で確認できます）")
        return ref
    ref = _lookup(default_town)
    if ref is None:
        raise click.ClickException("--town SLUG で町を指定してください（既定の町がありません）")
    return ref


# Set by bot/cli.py (bot.dbcheck.schema_problem): says what to run when the database is empty or behind.
schema_problem: Callable[[], str | None] | None = None


def _lookup(find: Callable[[], TownRef | None]) -> TownRef | None:
    try:
        return find()
    except DBAPIError:
        db.session.rollback()
        problem = schema_problem() if schema_problem else None
        if problem:
            raise click.ClickException(problem) from None
        raise


def with_town_option(command: click.Command, *, every_town: bool = False) -> click.Command:
    """Give a command `--town SLUG` and run its callback inside that town (the default town when left out).

    every_town: a job (the worker, purges) that, given no --town, works for every active town in turn
    (see job_towns())."""
    if any(p.name == "town_slug" for p in command.params):
        return command
    help_text = ("Only this town (its slug); left out: every active town." if every_town else
                 "The town (its slug); in single-town mode it may be left out.")
    command.params.append(click.Option(["--town", "town_slug"], metavar="SLUG", default=None, help=help_text))
    callback = command.callback

    @functools.wraps(callback)
    def run(*args: Any, town_slug: str | None = None, **kwargs: Any) -> Any:
        from flask.cli import ScriptInfo

        app = current_app._get_current_object() if current_app else \
            click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            if every_town and not town_slug:
                return callback(*args, **kwargs)
            with use_town(resolve_town_option(town_slug)):
                return callback(*args, **kwargs)

    command.callback = run
    return command


def add_town_options(group: click.Group, every_town: frozenset[str] = frozenset(), skip: frozenset[str] = frozenset(),
                     path: str = "") -> None:
    """Give --town to every command of a group, its subgroups included (every_town, skip: full command names)."""
    for name, command in group.commands.items():
        full = f"{path} {name}".strip()
        if isinstance(command, click.Group):
            add_town_options(command, every_town, skip, full)
        elif full not in skip:
            with_town_option(command, every_town=full in every_town)


def job_towns() -> list[TownRef]:
    """Return the towns a job works for: the current town, or, with none, every active town (by id)."""
    town_id = current_town_id()
    rows = db.session.execute(select(*_REF_COLUMNS)
                              .where(Tenant.id == town_id if town_id is not None else Tenant.status == ACTIVE)
                              .order_by(Tenant.id)).all()
    return [_ref(row) for row in rows]


def for_each_town(job: Callable[[TownRef], T]) -> list[T]:
    """Run a job once per town of job_towns(), each inside its town, and return the results in town order."""
    results = []
    for town in job_towns():
        with use_town(town):
            results.append(job(town))
    return results


# ---------------------------------------------------------------------------------------------------------------
# Caches kept per town, behind one bounded LRU per kind.

class TownLRU:
    """At most `size` towns' objects of one kind; the least recently used town's is dropped first."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.items: OrderedDict[int, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, town_id: int, factory: Callable[[], T]) -> T:
        # A hit (every message asks several kinds) takes no lock: the dictionary read and the reordering are each
        # one step under the GIL, and a town dropped by another thread in between only misses its reordering.
        item = self.items.get(town_id)
        if item is not None:
            try:
                self.items.move_to_end(town_id)
            except KeyError:
                pass
            return item
        with self.lock:
            item = self.items.get(town_id)
            if item is not None:
                self.items.move_to_end(town_id)
                return item
            item = self.items[town_id] = factory()
            while len(self.items) > self.size:
                self.items.popitem(last=False)
            return item

    def peek(self, town_id: int) -> Any:
        return self.items.get(town_id)

    def put(self, town_id: int, item: Any) -> None:
        """Replace a town's object (one that went stale), as the most recently used."""
        with self.lock:
            self.items[town_id] = item
            self.items.move_to_end(town_id)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


def town_cache(kind: str, factory: Callable[[], T], app: Flask | None = None) -> T:
    """Return the current town's cache object of this kind (made by factory on first use)."""
    # Several kinds are asked on every message: the app context is read once, directly (not through the
    # current_app proxy), for both the app and the town.
    ctx = _cv_app.get(None)
    if app is None:
        app = ctx.app if ctx is not None else current_app._get_current_object()  # raises outside an app context
    lru = app.extensions.get(("town_lru", kind)) or town_lru(kind, app)
    town_id = None if ctx is None else ctx.g.__dict__.get("town_id")
    return lru.get(town_id if town_id is not None else require_town_id(), factory)


def town_lru(kind: str, app: Flask | None = None) -> TownLRU:
    """Return the LRU of one kind, made on first use (TOWN_CACHE_TOWNS towns)."""
    app = app or current_app
    lru = app.extensions.get(("town_lru", kind))
    if lru is None:
        lru = app.extensions.setdefault(("town_lru", kind), TownLRU(app.config.get("TOWN_CACHE_TOWNS", 64)))
    return lru


def clear_after_commit(model: type, clear: Callable[[], None]) -> None:
    """Call clear() after every commit in this process that added, changed or deleted a row of model (a per-town
    cached copy of it is then stale); a rolled-back change clears nothing. Other processes see the change when their
    copy times out."""
    flag = f"changed:{model.__name__}"

    @event.listens_for(Session, "before_flush")
    def _note(session: Session, _context, _instances) -> None:
        if any(isinstance(o, model) for o in (*session.new, *session.dirty, *session.deleted)):
            session.info[flag] = True

    @event.listens_for(Session, "after_commit")
    def _clear(session: Session) -> None:
        if session.info.pop(flag, False) and has_app_context():
            clear()

    @event.listens_for(Session, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(flag, None)


def town_caches(kind: str, app: Flask | None = None) -> TownLRU | None:
    """Return the LRU of one kind (None before any town used it)."""
    return (app or current_app).extensions.get(("town_lru", kind))
