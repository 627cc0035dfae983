"""Issue 14: schemathesis over /api/v1/_openapi with an Admin and a FirmAdmin token finds no
5xx (the `not_a_server_error` check). Bounded: a few examples per operation and a time
budget, against the app served on a loopback port (schemathesis's CLI is its stable API)."""
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import PASSWORD, serving

ST = Path(sys.executable).with_name("st")


def _token(base: str, login: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/security/login", method="POST",
        data=json.dumps({"username": login, "password": PASSWORD, "provider": "db"}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["access_token"]


@pytest.mark.slow("schemathesis fuzzes every API operation (time budget 60 s)")
@pytest.mark.parametrize("role", ["admin", "firm_admin"])
def test_schemathesis_finds_no_server_error(app, world, role, tmp_path):
    login = {"admin": world.admin, "firm_admin": world.a.admin}[role]
    limiter = app.appbuilder.sm.limiter
    limiter.enabled = False  # the fuzzer posts to the login endpoint too
    try:
        with serving(app) as base:
            token = _token(base, login)
            result = subprocess.run(
                [str(ST), "run", f"{base}/api/v1/_openapi",
                 "--checks", "not_a_server_error",
                 "--header", f"Authorization: Bearer {token}",
                 "--max-examples", "4", "--max-time", "60", "--workers", "1",
                 "--phases", "examples,coverage,fuzzing", "--seed", "14",
                 "--generation-database", "none", "--no-color",
                 "--exclude-path-regex", "/security/(login|refresh)$"],
                capture_output=True, text=True, timeout=240, cwd=tmp_path,
                env={**os.environ, "NO_COLOR": "1"})
    finally:
        limiter.enabled = True
    output = result.stdout + result.stderr
    assert "Server error" not in output and result.returncode == 0, output[-8000:]
    assert "API Operations" in output or "operations" in output.lower(), output[-2000:]
