"""A WeChat official-account API on loopback (a thread), speaking the parts the app uses:
GET /cgi-bin/token, POST /cgi-bin/qrcode/create, POST /cgi-bin/message/template/send —
with WeChat's error answers (40001 invalid token, 40013 bad appid, 45009 quota, 43004 not
subscribed …). A test scripts errors and expires tokens; it reads what was received."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

APP_ID, SECRET = "wx1234567890abcdef", "s3cret-of-the-official-account"


class WechatState:
    def __init__(self):
        self.lock = threading.Lock()
        self.issued = []          # every access_token handed out
        self.valid = set()        # tokens the server still accepts
        self.expires_in = 7200
        self.scenes = []          # qrcode/create scene strings
        self.sent = []            # template/send payloads accepted
        self.script = []          # errcodes the next template sends answer, in order
        self.requests = []        # (method, path) of every call

    def expire_all(self):
        with self.lock:
            self.valid.clear()


class _Handler(BaseHTTPRequestHandler):
    state: WechatState = None

    def log_message(self, *args):
        pass

    def _send(self, data, status=200):
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _query(self):
        url = urlparse(self.path)
        return url.path, {k: v[0] for k, v in parse_qs(url.query).items()}

    def do_GET(self):
        path, query = self._query()
        state = self.state
        state.requests.append(("GET", path))
        if path != "/cgi-bin/token":
            return self._send({"errcode": 404, "errmsg": "not found"}, 404)
        if query.get("appid") != APP_ID:
            return self._send({"errcode": 40013, "errmsg": "invalid appid"})
        if query.get("secret") != SECRET:
            return self._send({"errcode": 40125, "errmsg": "invalid appsecret"})
        with state.lock:
            token = f"ACCESS_TOKEN_{len(state.issued) + 1}"
            state.issued.append(token)
            state.valid = {token}  # a new token invalidates the old one, as WeChat does
        return self._send({"access_token": token, "expires_in": state.expires_in})

    def do_POST(self):
        path, query = self._query()
        state = self.state
        state.requests.append(("POST", path))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        payload = json.loads(raw.decode("utf-8"))
        if query.get("access_token") not in state.valid:
            return self._send({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
        if path == "/cgi-bin/qrcode/create":
            scene = payload["action_info"]["scene"]["scene_str"]
            state.scenes.append(scene)
            return self._send({"ticket": f"gQH{len(state.scenes)}", "expire_seconds": payload["expire_seconds"],
                               "url": f"http://weixin.qq.com/q/02bind{len(state.scenes)}"})
        if path == "/cgi-bin/message/template/send":
            with state.lock:
                code = state.script.pop(0) if state.script else 0
            if code:
                return self._send({"errcode": code, "errmsg": "scripted error"})
            state.sent.append(payload)
            return self._send({"errcode": 0, "errmsg": "ok", "msgid": 200000 + len(state.sent)})
        return self._send({"errcode": 404, "errmsg": "not found"}, 404)


def start():
    """(server, state, base_url); call server.shutdown() when done."""
    state = WechatState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state, f"http://127.0.0.1:{server.server_port}"
