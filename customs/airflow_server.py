"""A local Airflow with its UI: scheduler, DAG processor and API server under CUSTOMS_HOME.

`customs airflow start|stop|status` (and `make airflow` / `make airflow-stop`) use this module.
Each component is its own background process (own process group, so stopping it stops its
workers too) with its PID in ``CUSTOMS_HOME/airflow/run/<component>.pid`` and its output in
``CUSTOMS_HOME/logs/airflow-<component>.log``. The metadata DB is the SQLite file that
`customs run` uses; the executor is LocalExecutor (Airflow 3 has no SequentialExecutor and runs
LocalExecutor on SQLite), with a small parallelism because it pre-forks one worker per slot.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from customs.settings import Settings

COMPONENTS = ("scheduler", "dag-processor", "api-server")
DEFAULT_PORT = 8080
ADMIN_USER = "admin"
PARALLELISM = 4
STARTUP_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0  # the API server alone waits for keep-alive connections; it holds no state


@dataclass(frozen=True)
class ServerInfo:
    url: str
    username: str
    password: str | None
    passwords_file: Path
    logs: dict[str, Path]


def run_dir(settings: Settings) -> Path:
    return settings.airflow_home / "run"


def pid_file(settings: Settings, component: str) -> Path:
    return run_dir(settings) / f"{component}.pid"


def log_file(settings: Settings, component: str) -> Path:
    return settings.logs_dir / f"airflow-{component}.log"


def passwords_file(settings: Settings) -> Path:
    """Where Airflow's simple auth manager writes the generated admin password."""
    return settings.airflow_home / "simple_auth_manager_passwords.json.generated"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(settings: Settings, port: int, schedule: bool = True) -> dict[str, str]:
    """The environment of every component: CUSTOMS_HOME's Airflow, plus ports and the login.

    ``schedule=False`` runs only triggered runs (no run per schedule interval on unpausing).
    """
    from customs.airflow_local import DAGS_FOLDER

    base_url = f"http://127.0.0.1:{port}"
    return {
        **os.environ,
        **settings.airflow_env(DAGS_FOLDER),
        "AIRFLOW__CORE__PARALLELISM": str(PARALLELISM),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        # The log servers would otherwise take 8793/8794 for every Airflow on the machine.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file(settings)),
        # Pick up a new or edited DAG file within seconds, not minutes.
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(schedule),
    }


def _start_time(pid: int) -> str | None:
    """The process's start time, None if it is gone or a zombie.

    Stored beside the PID so that a recycled PID is never taken for ours. (The process title
    cannot serve: Airflow rewrites it after start.)
    """
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return f"{proc.create_time():.2f}"
    except psutil.Error:
        return None


def _write_pid(path: Path, pid: int) -> None:
    path.write_text(f"{pid} {_start_time(pid) or ''}".strip())


def _read_pid(path: Path) -> tuple[int, str | None] | None:
    try:
        parts = path.read_text().split()
        return int(parts[0]), (parts[1] if len(parts) > 1 else None)
    except (FileNotFoundError, ValueError, IndexError):
        return None


def _is_ours(pid: int, start_time: str | None) -> bool:
    """The PID is alive and is the process we started (same start time)."""
    now = _start_time(pid)
    return now is not None and (start_time is None or now == start_time)


def running(settings: Settings) -> dict[str, int]:
    """Components whose PID file names a live Airflow process: component → PID."""
    out = {}
    for component in COMPONENTS:
        recorded = _read_pid(pid_file(settings, component))
        if recorded is not None and _is_ours(*recorded):
            out[component] = recorded[0]
    return out


def api_port(settings: Settings) -> int | None:
    try:
        return int((run_dir(settings) / "api-server.port").read_text())
    except (FileNotFoundError, ValueError):
        return None


def health(port: int, timeout: float = 2.0) -> dict | None:
    """The API server's health document, or None when it does not answer."""
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=timeout
        ) as resp:
            return json.loads(resp.read())
    except (OSError, urllib.error.URLError, ValueError):
        return None


def read_password(settings: Settings, username: str = ADMIN_USER) -> str | None:
    try:
        return json.loads(passwords_file(settings).read_text()).get(username)
    except (OSError, ValueError):
        return None


def provision(settings: Settings) -> None:
    """Metadata DB, pool and connections, in a child process (this one never imports Airflow)."""
    code = (
        "from customs import airflow_local\n"
        "from customs.settings import load_settings\n"
        "s = load_settings()\n"
        "airflow_local.configure_environment(s)\n"
        "airflow_local.ensure_metadata_db(s)\n"
        "airflow_local.ensure_pools()\n"
        "airflow_local.ensure_sample_sources(s)\n"
    )
    env = {**os.environ, "CUSTOMS_HOME": str(settings.home)}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"provisioning Airflow failed:\n{proc.stderr[-4000:]}")


def start(
    settings: Settings,
    port: int = DEFAULT_PORT,
    timeout: float = STARTUP_TIMEOUT,
    schedule: bool = True,
) -> ServerInfo:
    """Provision, start the components in the background and wait until the API is healthy."""
    if running(settings):
        raise RuntimeError(
            f"Airflow is already running for {settings.home} "
            f"({', '.join(running(settings))}); stop it with `customs airflow stop`"
        )
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is in use; choose another with --port")
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    run_dir(settings).mkdir(parents=True, exist_ok=True)
    provision(settings)

    env = server_env(settings, port, schedule)
    airflow_bin = str(Path(sys.executable).with_name("airflow"))
    commands = {
        "scheduler": [airflow_bin, "scheduler"],
        "dag-processor": [airflow_bin, "dag-processor"],
        "api-server": [airflow_bin, "api-server", "--host", "127.0.0.1", "--port", str(port)],
    }
    (run_dir(settings) / "api-server.port").write_text(str(port))
    for component, command in commands.items():
        with open(log_file(settings, component), "ab") as out:
            proc = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() signals the whole group
                cwd=settings.home,
            )
        _write_pid(pid_file(settings, component), proc.pid)

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [c for c in COMPONENTS if c not in running(settings)]
        if dead:
            stop(settings)
            tails = "\n".join(
                f"--- {log_file(settings, c)} (end):\n{_tail(log_file(settings, c))}" for c in dead
            )
            raise RuntimeError(f"Airflow {', '.join(dead)} exited during start-up\n{tails}")
        if health(port) is not None:
            break
        time.sleep(1.0)
    else:
        stop(settings)
        raise RuntimeError(
            f"the API server did not answer on port {port} within {timeout:.0f}s; "
            f"see {log_file(settings, 'api-server')}"
        )
    return info(settings, port)


def info(settings: Settings, port: int) -> ServerInfo:
    return ServerInfo(
        url=f"http://127.0.0.1:{port}",
        username=ADMIN_USER,
        password=read_password(settings),
        passwords_file=passwords_file(settings),
        logs={c: log_file(settings, c) for c in COMPONENTS},
    )


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)  # started with start_new_session: the group id is the PID


def stop(settings: Settings, timeout: float = STOP_TIMEOUT) -> list[str]:
    """Stop every component and every process it started; returns the components stopped.

    SIGTERM goes to each component's process group and to its descendants (Airflow runs each
    task in a process of its own session, outside the scheduler's group); whatever is still
    alive after ``timeout`` seconds is killed.
    """
    import psutil

    pids = running(settings)
    procs: list[psutil.Process] = []
    for pid in pids.values():
        with contextlib.suppress(psutil.Error):
            leader = psutil.Process(pid)
            procs += [leader, *leader.children(recursive=True)]
    for pid in pids.values():
        _signal_group(pid, signal.SIGTERM)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    for pid in pids.values():  # whatever else is left in the groups
        _signal_group(pid, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=5)
    for component in COMPONENTS:
        pid_file(settings, component).unlink(missing_ok=True)
    (run_dir(settings) / "api-server.port").unlink(missing_ok=True)
    return list(pids)


def status(settings: Settings) -> dict:
    """Which components run (PIDs), the API port and its health."""
    port = api_port(settings)
    return {
        "running": running(settings),
        "port": port,
        "health": health(port) if port else None,
    }
