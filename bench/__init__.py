"""Benchmarks: `python -m bench` (see bench/__main__.py)."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def in_child(module: str, call: str, label: str) -> dict:
    """Run `call` (an expression over names imported from `module`, giving a dict) in a
    fresh process, so that RSS peaks of measurements never mix; its dict plus `rss_mb`."""
    code = (f"import json,resource,sys; sys.path.insert(0,{str(ROOT)!r});"
            f"from {module} import *; from pathlib import Path;"
            f"r = {call};"
            f"r['rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024;"
            f"print(json.dumps(r))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"{label} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
