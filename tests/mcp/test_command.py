"""`mpo mcp` and `/mcp` refuse a wrong credential at once, the way every command and route
does: one line and exit 4, or the API's 401 problem; `mpo mcp --help` says how to connect."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.http.conftest import Served
from tests.mcp.conftest import MPO, environ


def test_mpo_mcp_with_a_wrong_token_exits_4_with_one_line(sqlite_served: Served) -> None:
    env = environ(sqlite_served, "ana") | {"MPO_TOKEN": "mpo_not-a-token"}
    done = subprocess.run([MPO, "mcp"], env=env, input="", capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 4
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("error: ")


def test_slash_mcp_without_a_token_is_the_apis_401(sqlite_served: Served) -> None:
    answer = httpx.post(f"{sqlite_served.url}/mcp", json={}, timeout=30)
    assert answer.status_code == 401
    assert answer.json()["exit_code"] == 4


def test_mpo_mcp_help_shows_the_client_configuration() -> None:
    done = subprocess.run([MPO, "mcp", "--help"], capture_output=True, text=True, timeout=60,
                          check=True)
    assert '"args": ["mcp"]' in done.stdout and "MPO_TOKEN" in done.stdout


def test_without_the_sdk_mpo_mcp_names_the_extra_and_serve_has_no_mcp(
        sqlite_served: Served) -> None:
    """As on an install without `mpo[mcp]` (the SDK made unimportable in the process)."""
    probe = ("import sys\n"
             "sys.modules['mcp'] = None\n"
             "from mpo.cli.app import main\n"
             "main(['mcp'])\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr == "error: mpo mcp needs the mcp extra: pip install 'mpo[mcp]'\n"
    routes = ("import sys\n"
              "sys.modules['mcp'] = None\n"
              "from mpo.config.settings import resolve\n"
              "from mpo.http.app import create_app\n"
              "app = create_app(resolve(database_url=sys.argv[1]))\n"
              "print(sorted(getattr(r, 'path', '') for r in app.routes))\n")
    done = subprocess.run([sys.executable, "-c", routes, sqlite_served.database_url],
                          capture_output=True, text=True, timeout=60, check=True)
    assert "/api/v1/docs" in done.stdout and "/mcp" not in done.stdout
