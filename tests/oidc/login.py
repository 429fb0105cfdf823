#!/usr/bin/env python3
"""Keydesk's browser in the company-login test (KEYDESK_BROWSER): given the sign-in address,
it does what a person does in a browser on oidc-provider's development login form: opens
the address, types the name KEYDESK_TEST_OIDC_USER (any password), confirms the consent
page, and follows the provider's redirect back to Keydesk's loopback address. Cookies are
kept as a browser keeps them. What it saw goes to KEYDESK_TEST_OIDC_LOG (a file), the page
Keydesk answered last. With KEYDESK_TEST_OIDC_ACTION=cancel it presses the login page's
Cancel instead, as a person who will not sign in does; with KEYDESK_TEST_OIDC_STOP_PID it
stops that process (the provider) just before it comes back to Keydesk.

Standard library only; run by Keydesk, started by tests/it/team_oidc.rs and ui_team_oidc.rs.
"""

import html
import html.parser
import http.cookiejar
import os
import re
import signal
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class Forms(html.parser.HTMLParser):
    """The first form of a page: its action, method and named inputs."""

    def __init__(self):
        super().__init__()
        self.form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.form is None:
            self.form = {"action": attrs.get("action", ""), "method": attrs.get("method", "get"), "inputs": {}}
        elif tag == "input" and self.form is not None and attrs.get("name"):
            self.form["inputs"][attrs["name"]] = attrs.get("value") or ""


class StopBeforeReturn(urllib.request.HTTPRedirectHandler):
    """With KEYDESK_TEST_OIDC_STOP_PID, stops that process (the provider) before following
    the redirect back to Keydesk: the server then cannot reach the company's login to finish."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        pid = os.environ.get("KEYDESK_TEST_OIDC_STOP_PID")
        if pid and urllib.parse.urlsplit(newurl).path == "/oidc/callback":
            host, port = urllib.parse.urlsplit(req.full_url).hostname, urllib.parse.urlsplit(req.full_url).port
            os.kill(int(pid), signal.SIGTERM)
            for _ in range(200):
                try:
                    socket.create_connection((host, port), timeout=1).close()
                    time.sleep(0.05)
                except OSError:
                    break
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def main():
    url = sys.argv[1]
    user = os.environ["KEYDESK_TEST_OIDC_USER"]
    log = open(os.environ["KEYDESK_TEST_OIDC_LOG"], "a")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar), StopBeforeReturn()
    )
    data = None
    for _step in range(10):
        try:
            response = opener.open(url, data=data, timeout=60)
            status, body, final = response.status, response.read().decode("utf-8", "replace"), response.geturl()
        except urllib.error.HTTPError as error:
            status, body, final = error.code, error.read().decode("utf-8", "replace"), error.geturl()
        path = urllib.parse.urlsplit(final).path
        print(f"{status} {urllib.parse.urlsplit(final)._replace(query='').geturl()}", file=log)
        if path == "/oidc/callback":
            print(f"keydesk answered {status}: {body}", file=log)
            return 0 if status == 200 else 1
        forms = Forms()
        forms.feed(body)
        if forms.form is None:
            print(f"no form on the page: {body[:500]}", file=log)
            return 1
        if os.environ.get("KEYDESK_TEST_OIDC_ACTION") == "cancel":
            # The person presses the page's Cancel: the provider answers access_denied.
            cancel = re.search(r'<a href="([^"]*)">\[ Cancel \]</a>', body)
            if cancel is None:
                print(f"no Cancel on the page: {body[:500]}", file=log)
                return 1
            url, data = urllib.parse.urljoin(final, html.unescape(cancel.group(1))), None
            continue
        inputs = forms.form["inputs"]
        if "login" in inputs:
            inputs["login"] = user
            inputs["password"] = "any password"
        url = urllib.parse.urljoin(final, forms.form["action"])
        data = urllib.parse.urlencode(inputs).encode()
    print("too many pages", file=log)
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # said in the log, which the test shows when it fails
        with open(os.environ["KEYDESK_TEST_OIDC_LOG"], "a") as log:
            print(f"the browser failed: {error!r}", file=log)
        sys.exit(1)
