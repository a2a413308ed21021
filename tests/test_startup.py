"""With debug off and no secret key the servers refuse to start; commands that sign nothing still run."""

import os
import subprocess
import sys

from django.conf import settings


def run(*args):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SECRET_KEY", "DJANGO_DEBUG"}}
    env |= {"DJANGO_SETTINGS_MODULE": "mybili.settings", "DATABASE_URL": "sqlite:///:memory:"}
    env.pop("REDIS_URL", None)
    return subprocess.run([sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def test_the_wsgi_app_refuses_to_start_without_a_secret_key():
    result = run("-c", "import mybili.wsgi")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_the_asgi_app_refuses_to_start_without_a_secret_key():
    result = run("-c", "import mybili.asgi")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_schema_commands_run_without_a_secret_key():
    result = run("manage.py", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
