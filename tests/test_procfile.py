"""`make run` serves through honcho and the Procfile: Ctrl-C stops the web server and the worker cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings

HONCHO = Path(sys.executable).with_name("honcho")  # a pinned requirement, installed beside python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def run_mark() -> tuple[str, dict[str, str]]:
    """A token to find this run's processes by, and the environment variable that carries it."""
    token = uuid.uuid4().hex
    return f"MYBILI_TEST_RUN={token}", {"MYBILI_TEST_RUN": token}


def alive_with(mark: str) -> list[int]:
    """Live processes (zombies excluded) whose environment holds `mark`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(") ", 1)[1][0]
            if state != "Z" and mark.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_ctrl_c_stops_the_web_server_and_the_worker_cleanly(tmp_path):
    mark, mark_env = run_mark()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE", "Q_BROKER"}}
    env |= mark_env | {
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "ADDR": f"127.0.0.1:{free_port()}",
        "PATH": f"{HONCHO.parent}{os.pathsep}{env.get('PATH', '')}",
    }
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input"], cwd=settings.BASE_DIR, env=env,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr
    log = tmp_path / "honcho.log"
    with log.open("w") as out:
        # its own session, as a terminal's foreground job is: Ctrl-C signals the whole group
        honcho = subprocess.Popen([str(HONCHO), "start", "-f", "Procfile"], cwd=settings.BASE_DIR, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        assert wait_until(lambda: "running." in log.read_text(), timeout=60), log.read_text()
        os.killpg(honcho.pid, signal.SIGINT)
        honcho.wait(timeout=30)
        leftover = alive_with(mark)
    finally:
        for pid in alive_with(mark):  # whatever a failed run left, the worker's own session included
            os.kill(pid, signal.SIGKILL)
    text = log.read_text()
    assert "has stopped." in text, text  # the cluster's own clean shutdown
    assert "SIGKILL" not in text, text  # honcho did not have to kill anything
    assert "web.1 stopped" in text and "worker.1 stopped" in text, text
    assert leftover == []  # neither server nor cluster process outlived honcho


STUBBORN_WORKER = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # as a cluster finishing a long task does
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
print(child.pid, flush=True)
time.sleep(300)
"""


def test_a_worker_still_busy_after_the_stop_wait_is_killed_with_its_children(tmp_path):
    mark, mark_env = run_mark()
    env = os.environ | mark_env | {"STOP_WAIT": "1"}
    wrapper = subprocess.Popen(["sh", "deploy/honcho-worker.sh", sys.executable, "-c", STUBBORN_WORKER],
                               cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True,
                               start_new_session=True)  # fmt: skip
    try:
        child = int(wrapper.stdout.readline())
        assert child in alive_with(mark)
        os.killpg(wrapper.pid, signal.SIGTERM)  # what honcho sends first
        wrapper.wait(timeout=30)
        assert wrapper.returncode != 0
        # reaped by init once killed; give it a moment
        assert wait_until(lambda: alive_with(mark) == [], timeout=10), alive_with(mark)
    finally:
        for pid in alive_with(mark):
            os.kill(pid, signal.SIGKILL)
