"""A throwaway PostgreSQL cluster for tests: Debian's postgresql 15, initdb on a temp dir, unix socket only.

    cluster = PgCluster.start()          # or the session fixture ``pg_cluster`` below
    url = cluster.new_database()         # a fresh, empty database per test
    cluster.stop()

initdb and postgres refuse to run as root: as root the cluster belongs to the ``postgres`` system user
(the temp dir is chowned to it and the commands run through ``runuser``); as anyone else they run as is.
The socket lives in the temp dir; no TCP port is opened (listen_addresses='').
"""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("CC_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_TIMEOUT = 60


class PgCluster:
    """Attributes: dir (data dir + socket dir), port (the socket's number), user ("cc")."""

    def __init__(self, base: Path, fsync: bool):
        self.base, self.dir, self.port, self.user = base, base / "data", 5432, "cc"
        self._fsync = fsync
        self._names = itertools.count(1)
        self._run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @classmethod
    def available(cls) -> str | None:
        """None when a cluster can be started here, else the reason why not."""
        if not (PG_BIN / "initdb").exists():
            return f"no PostgreSQL server binaries in {PG_BIN}"
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            return "running as root without runuser"
        return None

    @classmethod
    def start(cls, fsync: bool = False) -> "PgCluster":
        """``fsync=False`` for tests (the server is not crashed, only the backend); True for benchmarks."""
        base = Path(tempfile.mkdtemp(prefix="cc-pg-"))
        cluster = cls(base, fsync)
        try:
            cluster._init()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _cmd(self, *args: str, timeout: float = START_TIMEOUT) -> None:
        res = subprocess.run([*self._run_as, *args], capture_output=True, text=True, timeout=timeout)
        if res.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])}: exit {res.returncode}: {res.stderr.strip()[-800:]}")

    def _init(self) -> None:
        if self._run_as:
            os.chmod(self.base, 0o755)
            shutil.chown(self.base, "postgres", "postgres")
        self._cmd(str(PG_BIN / "initdb"), "-D", str(self.dir), "-A", "trust", "-U", self.user, "-E", "UTF8",
                  "--no-locale", "--no-sync")
        self.port = 15000 + os.getpid() % 20000  # names the socket file only (no TCP)
        self.start_server()

    def start_server(self) -> None:
        """Start (again) the server of this cluster; returns once it accepts connections."""
        opts = (f"-k {self.base} -p {self.port} -c listen_addresses='' -c fsync={'on' if self._fsync else 'off'}"
                f" -c max_connections=200 -c shared_buffers=32MB")
        self._cmd(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-o", opts, "-l", str(self.base / "log"),
                  "-w", "-t", str(START_TIMEOUT), "start")

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server, keeping the data (``mode``: smart, fast or immediate — a crash)."""
        self._cmd(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", mode, "-w", "stop")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@/{dbname}?host={self.base}&port={self.port}"

    def new_database(self, prefix: str = "t") -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"{prefix}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if (self.dir / "postmaster.pid").exists():
            try:
                self._cmd(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", "immediate", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.base, ignore_errors=True)


def running_cluster():
    """Generator for a fixture: a started cluster, stopped afterwards (skipped where PostgreSQL is missing)."""
    reason = PgCluster.available()
    if reason:
        pytest.skip(reason)
    cluster = PgCluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_cluster():
    """One cluster per test session."""
    yield from running_cluster()
