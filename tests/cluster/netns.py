"""Several hosts on one machine: Linux network namespaces joined by a bridge, each running the
project's own servers. Everything made here is listed as it is made and removed in reverse
order by `Cluster.close()`, also after a failure (namespaces, veths, processes, files).

Traffic stays inside these namespaces: the bridge lives in a namespace of its own and the root
namespace gets no address on it, so no packet leaves for the machine's real network."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SUBNET = "10.231.7"


def run(*cmd: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)  # noqa: S603


@dataclass
class Host:
    name: str  # short role name: lb, app1, ...
    netns: str
    address: str
    procs: list[subprocess.Popen] = field(default_factory=list)

    def cmd(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *argv]


class Cluster:
    """Build hosts on a private bridge; start processes in them; tear it all down."""

    def __init__(self):
        self.token = secrets.token_hex(3)
        self.root = Path(tempfile.mkdtemp(prefix=f"va-cluster-{self.token}-"))
        self.root.chmod(0o755)
        self.switch = f"va-{self.token}-sw"
        self.hosts: dict[str, Host] = {}
        self._namespaces: list[str] = []
        self._links: list[str] = []
        self._logs: list = []
        run("ip", "netns", "add", self.switch)
        self._namespaces.append(self.switch)
        run("ip", "netns", "exec", self.switch, "ip", "link", "add", "br0", "type", "bridge")
        run("ip", "netns", "exec", self.switch, "ip", "link", "set", "br0", "up")
        run("ip", "netns", "exec", self.switch, "ip", "link", "set", "lo", "up")

    def add_host(self, name: str, last_octet: int) -> Host:
        netns = f"va-{self.token}-{name}"
        run("ip", "netns", "add", netns)
        self._namespaces.append(netns)
        inside, outside = f"v{self.token}{last_octet}h", f"v{self.token}{last_octet}s"
        run("ip", "link", "add", inside, "type", "veth", "peer", "name", outside)
        self._links.append(inside)
        run("ip", "link", "set", inside, "netns", netns)
        run("ip", "link", "set", outside, "netns", self.switch)
        run("ip", "netns", "exec", self.switch, "ip", "link", "set", outside, "master", "br0")
        run("ip", "netns", "exec", self.switch, "ip", "link", "set", outside, "up")
        address = f"{SUBNET}.{last_octet}"
        run("ip", "netns", "exec", netns, "ip", "addr", "add", f"{address}/24", "dev", inside)
        run("ip", "netns", "exec", netns, "ip", "link", "set", inside, "up")
        run("ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up")
        host = Host(name, netns, address)
        self.hosts[name] = host
        return host

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def start(self, host: Host, name: str, argv: list[str], env: dict | None = None, **kw):
        """Start a process in a host; its output goes to a log file of its own."""
        out = self.log(f"{host.name}-{name}").open("ab")
        self._logs.append(out)
        proc = subprocess.Popen(  # noqa: S603
            host.cmd(*argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env if env is not None else os.environ.copy(),
            start_new_session=True,  # its own process group: we can signal all its children
            **kw,
        )
        host.procs.append(proc)
        return proc

    def kill_host(self, host: Host) -> int:
        """Kill every process of a host at once (SIGKILL), like pulling its power; return count."""
        pids = [int(p) for p in run("ip", "netns", "pids", host.netns).stdout.split()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for proc in host.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        return len(pids)

    def tail(self, name: str, lines: int = 40) -> str:
        path = self.log(name)
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        """Stop every process, delete every namespace and link, remove the files."""
        # In the order they were added: the balancer and app hosts before the data they use.
        for host in self.hosts.values():
            for proc in host.procs:
                if proc.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for proc in host.procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
        for netns in reversed(self._namespaces):
            # Whatever still runs in a namespace (a forked child) goes before the namespace.
            pids = run("ip", "netns", "pids", netns, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            run("ip", "netns", "del", netns, check=False)
        for link in self._links:  # veths die with their namespace; this only catches strays
            run("ip", "link", "del", link, check=False)
        for handle in self._logs:
            handle.close()
        if os.environ.get("VA_CLUSTER_KEEP_LOGS"):
            print(f"cluster logs kept in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def wait_port(host: Host, port: int, timeout: float = 60, proc=None) -> None:
    """Wait until something listens on host:port (probed from inside the host's namespace)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = run(
            "ip", "netns", "exec", host.netns, "python3", "-c",
            "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)",
            host.address, str(port), check=False,
        )  # fmt: skip
        if probe.returncode == 0:
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{host.name}: the process for port {port} exited")
        time.sleep(0.3)
    raise RuntimeError(f"{host.name}:{port} did not open within {timeout} s")
