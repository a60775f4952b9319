"""Find a PostgreSQL server for tests and benchmarks, or start a throwaway one.

In order (`ALEX_TEST_POSTGRES=throwaway` skips straight to the throwaway cluster, `=none` to skipping):
`ALEX_TEST_POSTGRES_URL` if set; the development/CI machine's server on 127.0.0.1:5432 (trust auth,
user root); a throwaway cluster started from the installed binaries (`initdb`/`pg_ctl` under
/usr/lib/postgresql/*/bin) on a free loopback port in a temporary directory; else nothing, with the reason, so
the caller can skip loudly. Each test session gets its own database, dropped afterwards.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

LOOPBACK_URL = "postgresql://root@127.0.0.1:5432/postgres"


@dataclass
class PostgresServer:
    """A server we may create databases on: `admin_url` points at its maintenance database."""

    admin_url: str
    origin: str  # "ALEX_TEST_POSTGRES_URL" | "loopback:5432" | "throwaway cluster ..."
    _cluster: "_Cluster | None" = field(default=None, repr=False)

    def create_database(self, prefix: str = "alex_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self._autocommit(f'CREATE DATABASE "{name}"')
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        self._autocommit(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
                         "AND pid <> pg_backend_pid()")
        self._autocommit(f'DROP DATABASE IF EXISTS "{name}"')

    def _autocommit(self, statement: str) -> None:
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT", future=True)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def stop(self) -> None:
        if self._cluster is not None:
            self._cluster.stop()


def _reachable(url: str) -> str | None:
    """None if we can connect and create databases, else why not."""
    engine = sa.create_engine(url, future=True, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "not usable", with its reason
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
    finally:
        engine.dispose()


def find_postgres() -> tuple[PostgresServer | None, str]:
    """(server, how it was found) or (None, why there is none)."""
    reasons = []
    if os.environ.get("ALEX_TEST_POSTGRES") == "none":
        return None, "disabled by ALEX_TEST_POSTGRES=none"
    explicit = os.environ.get("ALEX_TEST_POSTGRES_URL")
    if explicit:
        problem = _reachable(explicit)
        if problem is None:
            return PostgresServer(explicit, "ALEX_TEST_POSTGRES_URL"), "ALEX_TEST_POSTGRES_URL"
        reasons.append(f"ALEX_TEST_POSTGRES_URL unusable ({problem})")
    if os.environ.get("ALEX_TEST_POSTGRES") != "throwaway":
        problem = _reachable(LOOPBACK_URL)
        if problem is None:
            return PostgresServer(LOOPBACK_URL, "loopback:5432"), "loopback:5432"
        reasons.append(f"nothing usable on 127.0.0.1:5432 ({problem})")
    try:
        cluster = _Cluster.start()
    except _NoCluster as error:
        reasons.append(str(error))
        return None, "; ".join(reasons)
    return PostgresServer(cluster.admin_url, cluster.origin, cluster), cluster.origin


class _NoCluster(Exception):
    pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class _Cluster:
    """A throwaway PostgreSQL cluster in a temporary directory (initdb refuses root: then it runs as the
    `postgres` system user)."""

    directory: Path
    port: int
    run_as: list[str]
    bin_dir: Path

    @property
    def admin_url(self) -> str:
        return f"postgresql://alex@127.0.0.1:{self.port}/postgres"

    @property
    def origin(self) -> str:
        return f"throwaway cluster ({self.bin_dir.parent.name}) on 127.0.0.1:{self.port}"

    @classmethod
    def start(cls) -> "_Cluster":
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
        initdb = Path(candidates[0]) if candidates else (Path(shutil.which("initdb")) if shutil.which("initdb") else None)
        if initdb is None:
            raise _NoCluster("no initdb binary installed (Debian: postgresql)")
        run_as: list[str] = []
        directory = Path(tempfile.mkdtemp(prefix="alex-pg-"))
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise _NoCluster("running as root and there is no `postgres` user to run initdb as") from None
            runuser = shutil.which("runuser")
            if runuser is None:
                raise _NoCluster("running as root without `runuser` to drop privileges for initdb")
            os.chown(directory, user.pw_uid, user.pw_gid)
            directory.chmod(0o700)
            run_as = [runuser, "-u", "postgres", "--"]
        cluster = cls(directory, _free_port(), run_as, initdb.parent)
        data = directory / "data"
        try:
            subprocess.run([*run_as, str(initdb), "-D", str(data), "-U", "alex", "--auth=trust", "-E", "UTF8",
                            "--no-sync"], check=True, capture_output=True, timeout=120)
            subprocess.run([*run_as, str(cluster.bin_dir / "pg_ctl"), "-D", str(data), "-l", str(directory / "log"),
                            "-w", "-t", "60", "-o",
                            f"-h 127.0.0.1 -p {cluster.port} -k {directory} -c fsync=off "
                            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                            "start"], check=True, capture_output=True, timeout=90)
        except (subprocess.SubprocessError, OSError) as error:
            detail = getattr(error, "stderr", b"") or b""
            shutil.rmtree(directory, ignore_errors=True)
            raise _NoCluster(f"could not start a throwaway cluster with {initdb}: {error} "
                             f"{detail.decode(errors='replace')[-300:]}") from None
        deadline = time.monotonic() + 30
        while _reachable(cluster.admin_url) is not None:
            if time.monotonic() > deadline:
                cluster.stop()
                raise _NoCluster("the throwaway cluster did not accept connections")
            time.sleep(0.2)
        return cluster

    def stop(self) -> None:
        subprocess.run([*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast",
                        "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.directory, ignore_errors=True)
