#!/usr/bin/env python3
"""Keydesk's browser in the company-login test (KEYDESK_BROWSER): given the sign-in address,
it does what a person does in a browser on oidc-provider's development login form: opens
the address, types the name KEYDESK_TEST_OIDC_USER (any password), confirms the consent
page, and follows the provider's redirect back to Keydesk's loopback address. Cookies are
kept as a browser keeps them. What it saw goes to KEYDESK_TEST_OIDC_LOG (a file), the page
Keydesk answered last.

Standard library only; run by Keydesk, started by tests/it/team_oidc.rs.
"""

import html.parser
import http.cookiejar
import os
import sys
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


def main():
    url = sys.argv[1]
    user = os.environ["KEYDESK_TEST_OIDC_USER"]
    log = open(os.environ["KEYDESK_TEST_OIDC_LOG"], "a")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar))
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
