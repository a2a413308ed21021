"""`make run` serves through honcho and the Procfile: Ctrl-C stops the web server and the worker cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time
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


def test_ctrl_c_stops_the_web_server_and_the_worker_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env |= {
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
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
    text = log.read_text()
    assert "has stopped." in text, text  # the cluster's own clean shutdown
    assert "SIGKILL" not in text, text  # honcho did not have to kill anything
    assert "web.1 stopped" in text and "worker.1 stopped" in text, text
    leftover = subprocess.run(["pgrep", "-f", f"runserver {env['ADDR']}"], capture_output=True, text=True)
    assert leftover.stdout == "", leftover.stdout
