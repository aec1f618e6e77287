"""A real PostgreSQL server for the tests of ``hyperparameter.tune`` on Optuna's RDB storage:
never mocked, never skipped.

- ``postgres_url`` (session): the server of ``HP_TEST_POSTGRES_URL`` when it is set (``.ci/run``
  starts one and sets it), checked to accept us; otherwise a throwaway server of this session,
  started by ``.ci/postgres.sh start`` (127.0.0.1 only, a free port) and stopped at its end.
  Without the PostgreSQL server programs and without the variable, every test using it fails,
  saying how to get them.
- ``pg_study_url`` (per test): a new, empty database on that server, dropped after the test, so
  no test sees another's studies.

Both are SQLAlchemy URLs, as Optuna takes them: ``postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

ENV = "HP_TEST_POSTGRES_URL"
SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "postgres.sh"
NO_BINARIES = 3  # the exit status of `postgres.sh start` without initdb/pg_ctl/postgres
HOW = (
    "install the PostgreSQL server programs (Debian/Ubuntu: `apt-get install postgresql`, "
    "macOS: `brew install postgresql`), or set "
    f"{ENV}=postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB to a server where USER may "
    "CREATE DATABASE"
)


def conninfo(url: str) -> str:
    """The SQLAlchemy URL as psycopg's connection string (``postgresql://…``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def admin(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection (CREATE/DROP DATABASE run outside a transaction)."""
    return psycopg.connect(conninfo(url), autocommit=True, connect_timeout=10)


def check(url: str, origin: str) -> None:
    """The server answers, is PostgreSQL 13 or later (DROP DATABASE … WITH (FORCE)) and lets
    us create databases; otherwise the tests fail here, saying why."""
    reason = "the current user is not in pg_roles"
    try:
        with admin(url) as conn:
            row = conn.execute(
                "SELECT current_setting('server_version_num')::int,"
                " rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
    except psycopg.Error as error:
        row, reason = None, str(error)
    if row is None:
        pytest.fail(f"cannot connect to PostgreSQL at {shown(url)} ({origin}): {reason}")
    version, may_create = row
    if not isinstance(version, int) or version < 130000:
        pytest.fail(f"PostgreSQL at {shown(url)} ({origin}) is {version}; 13 or later needed")
    if not may_create:
        pytest.fail(f"the user of {shown(url)} ({origin}) may not CREATE DATABASE")


def postgres_sh(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def stop(folder: str) -> None:
    stopped = postgres_sh("stop", folder, timeout=120)
    assert stopped.returncode == 0, f"{SCRIPT} stop {folder} failed:\n{stopped.stderr}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    given = os.environ.get(ENV, "").strip()
    if given:
        check(given, f"from {ENV}")
        yield given
        return
    folder = tempfile.mkdtemp(prefix="hp-postgres-")
    try:
        started = postgres_sh("start", folder, timeout=180)
    except subprocess.TimeoutExpired:
        stop(folder)
        pytest.fail(f"{SCRIPT} start {folder} did not finish in 180 s")
    if started.returncode != 0:
        stop(folder)
        if started.returncode == NO_BINARIES:
            pytest.fail(f"no PostgreSQL server for the tune tests, and {ENV} is not set: {HOW}")
        pytest.fail(f"{SCRIPT} start failed (exit status {started.returncode}):\n{started.stderr}")
    url = started.stdout.strip().splitlines()[-1]
    try:
        check(url, f"started by {SCRIPT.name} in {folder}")
        yield url
    finally:
        stop(folder)


@pytest.fixture
def pg_study_url(postgres_url: str) -> Iterator[str]:
    name = f"hp_t_{uuid.uuid4().hex}"
    with admin(postgres_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    # Optuna's RDBStorage never disposes of its engine: the connections left in its pool would
    # be closed by the garbage collector, later, with a ResourceWarning (an error here). The
    # engines that connected to this database are disposed of after the test.
    engines: weakref.WeakSet[Engine] = weakref.WeakSet()

    def connected(connection: Connection) -> None:
        if connection.engine.url.database == name:
            engines.add(connection.engine)

    event.listen(Engine, "engine_connect", connected)
    try:
        yield with_database(postgres_url, name)
    finally:
        event.remove(Engine, "engine_connect", connected)
        for engine in list(engines):
            engine.dispose()
        # FORCE: a connection still open (a worker process killed on a failure) ends with it.
        with admin(postgres_url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
