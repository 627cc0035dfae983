"""The real app served by waitress (as the README's run command) for benchmarks that time
whole requests: a child process on a free port, a signed-in HTTP client, the server's RSS.

    with Served(database_url, instance_dir) as server:
        client = server.client("bench_staff", PASSWORD)
        status, body, seconds, first_byte = client.get("/hours/details/")
        server.rss_mb()
"""
import http.client
import http.cookies
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """waitress-serve --threads=8 run:app on DATABASE_URL, in a child process."""

    def __init__(self, database_url: str, instance_dir: Path, threads: int = 8):
        self.database_url, self.instance_dir, self.threads = database_url, instance_dir, threads
        self.port = _free_port()
        self.process = None

    def __enter__(self):
        env = {**os.environ, "DATABASE_URL": self.database_url,
               "INSTANCE_PATH": str(self.instance_dir), "SECRET_KEY": "bench-not-secret",
               "AUTH_RATE_LIMIT": "10000 per minute", "AUTH_IP_RATE_LIMIT": "10000 per minute",
               "UPLOAD_FOLDER": str(self.instance_dir / "uploads")}
        env.pop("SCHEDULER_ENABLED", None)
        waitress = Path(sys.executable).parent / "waitress-serve"
        self.log = self.instance_dir / "waitress.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(waitress), "--host=127.0.0.1", f"--port={self.port}",
                 f"--threads={self.threads}", "--ident=", "run:app"],
                cwd=ROOT, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("waitress exited: " + self.log.read_text()[-2000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit("waitress did not start within 120 s")

    def __exit__(self, *exc):
        if exc[0] is not None:  # what the server said, for the failure above
            sys.stderr.write(self.log.read_text(errors="replace")[-3000:])
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _status(self, field: str) -> float:
        with open(f"/proc/{self.process.pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def rss_mb(self) -> float:
        """The server's resident size now (VmRSS, Linux)."""
        return self._status("VmRSS")

    def reset_peak(self) -> bool:
        """Reset the server's RSS high-water mark (VmHWM), where Linux allows."""
        try:
            with open(f"/proc/{self.process.pid}/clear_refs", "w") as fh:
                fh.write("5")
            return True
        except OSError:
            return False

    def peak_mb(self) -> float:
        return self._status("VmHWM")

    def client(self, login: str | None = None, password: str | None = None):
        client = Client(self.port)
        if login:
            client.login(login, password)
        return client


class Client:
    """One keep-alive connection with a cookie jar; bodies read in chunks."""

    def __init__(self, port: int):
        self.port = port
        self.cookies = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def _headers(self, extra=None) -> dict:
        headers = {"Accept-Encoding": "identity"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**headers, **(extra or {})}

    def _keep(self, response) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value

    def request(self, method, path, body=None, headers=None, sink=None):
        """(status, body or bytes read, seconds, first-byte seconds, response headers); with a
        sink (a file) the body streams into it chunk by chunk and its size is returned."""
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=self._headers(headers))
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):  # a dropped keep-alive: reconnect once
            if method != "GET":  # a POST may have been served: never send it twice
                raise
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
            self.conn.request(method, path, body=body, headers=self._headers(headers))
            response = self.conn.getresponse()
        first, size, parts = None, 0, []
        while True:
            chunk = response.read1(1 << 16)
            if not chunk:
                break
            if first is None:
                first = time.perf_counter() - started
            size += len(chunk)
            if sink is not None:
                sink.write(chunk)
            else:
                parts.append(chunk)
        response.read()  # the end of the body: the connection is free for the next request
        response.close()
        elapsed = time.perf_counter() - started
        self._keep(response)
        return (response.status, size if sink is not None else b"".join(parts), elapsed,
                first if first is not None else elapsed, response.headers)

    def get(self, path, sink=None):
        return self.request("GET", quote(path, safe="/?=&_%.-"), sink=sink)

    def login(self, login: str, password: str) -> None:
        status, page, *_ = self.get("/login/")
        token = CSRF_RE.search(page.decode()).group(1)
        body = urlencode({"username": login, "password": password, "csrf_token": token})
        status, _, _, _, headers = self.request(
            "POST", "/login/", body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302 or "/login" in headers.get("Location", ""):
            raise SystemExit(f"{login} could not sign in (HTTP {status})")
