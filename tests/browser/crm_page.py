"""A CRM's settings page for the browser test, on 127.0.0.1: one field for an API key held
by a React-like controlled input (the element's own value setter is tracked, as React does,
so only a value set through the prototype's setter and announced with an input event reaches
the page's change handler, which records it in window.seen).

Usage: crm_page.py CERT KEY   (https; with "-" for both: plain http). Prints "ready PORT".
Standard library only; run by tests/it/browser_e2e.rs.
"""

import http.server
import ssl
import sys

PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>CRM settings</title></head>
<body>
<h1>Email provider</h1>
<label for="api">API key</label>
<input id="api" type="password" autocomplete="off">
<script>
  window.seen = [];
  const input = document.getElementById("api");
  const native = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");
  let tracked = "";
  Object.defineProperty(input, "value", {
    configurable: true,
    get() { return native.get.call(this); },
    set(v) { tracked = String(v); native.set.call(this, v); },
  });
  input.addEventListener("input", () => {
    const now = native.get.call(input);
    if (now !== tracked) { tracked = now; window.seen.push(now); }
  });
</script>
</body></html>
"""


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


def main():
    cert, key = sys.argv[1], sys.argv[2]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if cert != "-":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"ready {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
