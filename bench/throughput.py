"""throughput — requests per second under 8 concurrent clients, served as the README runs it.

The app is served by waitress (8 threads, `bench/served.py`, as `make run`) on a database:
by default a fresh SQLite file (bench/pages.py's: 10 firms of 30 persons); with
`--database-url` one that bench/pages_scale.py filled (its bench_staff / bench_firm
accounts: Beijing size on PostgreSQL). Eight client threads, each on its own keep-alive
connection (signed in as the page's user), ask for one page as fast as answers come for
`--seconds`; printed: requests per second, median and p95 latency, next to the same for
the login page (anonymous: the framework's ceiling for a page, no query of its own but the
session's) and a static file (what waitress alone does).

    python -m bench.throughput [--database-url …] [--seconds 10] [--clients 8]
"""
import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "Bench2026pass"
STATIC = "/static/appbuilder/css/bootstrap.min.css"


def pages(staff: str, firm: str) -> list:
    """(label, login or None, path) — the floor rows first."""
    return [("static file", None, STATIC),
            ("login page (anonymous)", None, "/login/"),
            ("人员信息 first page, staff", staff, "/personview/list/"),
            ("人员信息 first page, firm admin", firm, "/personview/list/"),
            ("消息中心, staff", staff, "/messages/")]


def hammer(server, login, path, clients: int, seconds: float) -> dict:
    """`clients` threads asking for `path` until `seconds` have passed."""
    connections = [server.client(login, PASSWORD) for _ in range(clients)]
    for connection in connections:  # warm: templates compiled, pools filled
        status, *_ = connection.get(path)
        assert status == 200, (path, status)
    latencies, failures = [[] for _ in connections], [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def run(i):
        start.wait()
        while time.perf_counter() < stop_at[0]:
            status, _body, elapsed, _first, _h = connections[i].get(path)
            if status != 200:
                failures[i] += 1
            latencies[i].append(elapsed * 1000)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - began
    times = sorted(t for per in latencies for t in per)
    return {"rps": len(times) / took, "median": statistics.median(times),
            "p95": times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))],
            "requests": len(times), "failed": sum(failures)}


def measure(url: str, tmp: Path, staff: str, firm: str, clients: int, seconds: float) -> list:
    from bench.served import Served

    results = []
    with Served(url, tmp) as server:
        for label, login, path in pages(staff, firm):
            r = {"page": label, "path": path, **hammer(server, login, path, clients, seconds)}
            results.append(r)
            print(f"  {label:<32} {r['rps']:>8.1f} {r['median']:>8.1f} {r['p95']:>8.1f} "
                  f"{r['requests']:>7} {r['failed']:>5}", flush=True)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a database bench/pages_scale.py filled")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_throughput_") as tmp:
        tmp = Path(tmp)
        if args.database_url:
            url, staff, firm = args.database_url, "bench_staff", "bench_firm"
            where = "the given database"
        else:
            from bench.pages import fresh

            _app, staff, firm = fresh(tmp)
            url, where = f"sqlite:///{tmp / 'bench.db'}", "SQLite, 10 firms of 30 persons"
        print(f"\nthroughput — waitress, 8 threads, {args.clients} clients for {args.seconds:g} s "
              f"each ({where}); ms")
        print(f"  {'page':<32} {'req/s':>8} {'median':>8} {'p95':>8} {'requests':>7} "
              f"{'fail':>5}")
        results = measure(url, tmp, staff, firm, args.clients, args.seconds)
        ceiling = next(r for r in results if r["path"] == "/login/")["rps"]
        for r in results[2:]:
            print(f"  {r['page']}: {r['rps'] / ceiling:.2f}× the login page's rate")


if __name__ == "__main__":
    main()
