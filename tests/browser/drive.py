"""Drives Debian's Chromium, headless, with Keydesk's extension loaded, over the DevTools
protocol on a pipe (--remote-debugging-pipe: no port, no websocket), as a person would:
open a page, focus its key field, click the Keydesk mark (a trusted click, from
Input.dispatchMouseEvent), read what the list says (the closed shadow root, seen through
DOM.getDocument's pierce), click the first key offered, and read the field and what the
page's own change handler saw. Prints one JSON report per page on stdout.

The toolbar button's popup is opened as a click on the button would, by
chrome.action.openPopup() in the extension's service worker, and driven the same way.

Usage: drive.py CHROMIUM EXTENSION USER_DATA_DIR ACTION URL [URL ...]
ACTION: "offers" (click the mark, read the list), "fill" (then click the first key),
"tested" (then click "Mark as tested"), "popup" (open the toolbar button's popup, read its
list), "popup-fill" (then click its first key) or "popup-propose=LABEL" (then "Add this page
to a key's integrations…" and the key labelled LABEL).
Standard library only; run by tests/it/browser_e2e.rs.
"""

import fcntl
import json
import os
import subprocess
import sys
import time


def high(fd):
    """`fd` moved to a number from 5 (a shell redirects single digits only)."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5)
    os.close(fd)
    return moved


class Browser:
    def __init__(self, chromium, extension, user_data_dir):
        # Above 4, so that putting two of them on 3 and 4 in the browser overwrites neither.
        to_browser_r, to_browser_w = (high(fd) for fd in os.pipe())
        from_browser_r, from_browser_w = (high(fd) for fd in os.pipe())

        args = [
            chromium,
            "--headless=new",
            "--remote-debugging-pipe",
            f"--user-data-dir={user_data_dir}",
            f"--load-extension={extension}",
            f"--disable-extensions-except={extension}",
            "--ignore-certificate-errors",
            "--host-resolver-rules=MAP * 127.0.0.1",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--window-size=1200,900",
        ]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses root otherwise (test machines only)
        args.append("about:blank")
        # The protocol's pipe is the browser's fds 3 (in) and 4 (out): a shell puts them there.
        shell = f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w} {to_browser_r}<&- {from_browser_w}>&-'
        self.proc = subprocess.Popen(
            ["sh", "-c", shell, *args],
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(user_data_dir, "chromium.log"), "ab"),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.out = os.fdopen(to_browser_w, "wb", buffering=0)
        self.inp = os.fdopen(from_browser_r, "rb", buffering=0)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def _read_message(self):
        while b"\0" not in self.buffer:
            chunk = self.inp.read(65536)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.out.write(json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Page:
    def __init__(self, browser, target=None):
        self.b = browser
        if target is None:
            target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "DOM"):
            self.call(f"{domain}.enable")

    def call(self, method, params=None):
        return self.b.call(method, params, self.session)

    def js(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result.get("result", {}).get("value")

    def wait_for(self, expression, seconds=15):
        end = time.time() + seconds
        while time.time() < end:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.05)
        return None

    def click(self, x, y):
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 0 if kind == "mouseMoved" else 1},
            )

    def shadow_list(self):
        """The mark's list, read through the closed shadow root: (texts, button boxes)."""
        root = self.call("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
        found = []

        def walk(node, inside):
            if node.get("nodeName") == "KEYDESK-FILL":
                for shadow in node.get("shadowRoots", []):
                    walk(shadow, True)
                return
            if inside and node.get("nodeName") in ("BUTTON", "P"):
                text = "".join(c.get("nodeValue", "") for c in node.get("children", []) if c.get("nodeType") == 3)
                classes = node.get("attributes", [])
                found.append((node["nodeName"], text, node["nodeId"], "mark" in classes))
            for child in node.get("children", []):
                walk(child, inside)
            for child in node.get("shadowRoots", []):
                walk(child, inside)

        walk(root, False)
        return found

    def centre(self, node_id):
        quad = self.call("DOM.getBoxModel", {"nodeId": node_id})["model"]["content"]
        return (quad[0] + quad[4]) / 2, (quad[1] + quad[5]) / 2


def target_of(browser, kind, url_part, seconds=10):
    """The id of the first target of `kind` whose address holds `url_part`, once there."""
    end = time.time() + seconds
    while time.time() < end:
        for target in browser.call("Target.getTargets")["targetInfos"]:
            if target["type"] == kind and url_part in target["url"]:
                return target["targetId"]
        time.sleep(0.05)
    raise RuntimeError(f"no {kind} target at {url_part}")


def popup_items(popup):
    """The popup's list: (tag, text) of each entry, once Keydesk answered."""
    expression = "[...document.querySelectorAll('#list > *')].map(e => [e.tagName, e.textContent])"
    end = time.time() + 15
    items = []
    while time.time() < end:
        items = popup.js(expression) or []
        if items and not (len(items) == 1 and items[0][1].endswith("…")):
            break
        time.sleep(0.05)
    return items


def popup_click(popup, text_start):
    """Clicks (trusted, as a person) the popup's first button whose text starts so."""
    box = popup.js(
        "(() => { const b = [...document.querySelectorAll('#list > button')]"
        f".find(b => b.textContent.startsWith({json.dumps(text_start)}));"
        " if (!b) return null; const r = b.getBoundingClientRect();"
        " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    if box is None:
        raise RuntimeError(f"no button {text_start!r} in the popup")
    popup.click(*box)


def visit_popup(browser, page, action, report):
    """The toolbar button: its popup opened on the page whose field is focused."""
    worker = target_of(browser, "service_worker", "/background.js")
    session = browser.call("Target.attachToTarget", {"targetId": worker, "flatten": True})["sessionId"]
    opened = browser.call(
        "Runtime.evaluate",
        {
            "expression": "chrome.action.openPopup().then(() => 'opened', e => e.message)",
            "awaitPromise": True,
            "returnByValue": True,
        },
        session,
    )
    report["opened"] = opened.get("result", {}).get("value")
    popup = Page(browser, target_of(browser, "page", "/popup.html"))
    items = popup_items(popup)
    report["popup"] = [text for (_tag, text) in items]
    buttons = [text for (tag, text) in items if tag == "BUTTON"]
    if action == "popup-fill" and buttons:
        started = time.time()
        popup_click(popup, buttons[0])
        filled = page.wait_for("document.getElementById('api').value !== '' && document.getElementById('api').value", 10)
        report["fill_ms"] = round((time.time() - started) * 1000)
        report["value"] = filled
        report["seen_by_page"] = page.js("window.seen")
        report["popup_after"] = [text for (_tag, text) in popup_items(popup)]
    if action.startswith("popup-propose="):
        popup_click(popup, "Add this page to a key's integrations")
        report["keys"] = [text for (_tag, text) in popup_items(popup)]
        popup_click(popup, f"Add to {action.split('=', 1)[1]} (")
        end = time.time() + 15
        while time.time() < end:
            after = popup_items(popup)
            if len(after) == 1 and after[0][0] == "P":
                report["said"] = after[0][1]
                break
            time.sleep(0.05)
    return report


def notice(page):
    """The leak guard's notice beside the field, read through its closed shadow root."""
    root = page.call("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    texts = []

    def walk(node, inside):
        if node.get("nodeName") == "KEYDESK-NOTICE":
            inside = True
        if inside and node.get("nodeName") == "P":
            texts.append("".join(c.get("nodeValue", "") for c in node.get("children", []) if c.get("nodeType") == 3))
        for child in node.get("children", []) + node.get("shadowRoots", []):
            walk(child, inside)

    walk(root, False)
    return texts


def paste(browser, page, text, report):
    """A person's paste of `text` into the focused field: the test puts it on the browser's
    own clipboard (headless Chromium keeps one of its own, apart from X's), then presses
    Ctrl+V, which the browser carries out as a trusted paste event."""
    origin = page.js("location.origin")
    browser.call(
        "Browser.grantPermissions",
        {"origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    page.call("Emulation.setFocusEmulationEnabled", {"enabled": True})
    written = page.call(
        "Runtime.evaluate",
        {
            "expression": f"navigator.clipboard.writeText({json.dumps(text)}).then(() => 'written', e => e.message)",
            "awaitPromise": True,
            "userGesture": True,
            "returnByValue": True,
        },
    )
    report["clipboard"] = written.get("result", {}).get("value")
    page.js("document.getElementById('api').focus()")
    common = {"modifiers": 2, "key": "v", "code": "KeyV", "windowsVirtualKeyCode": 86}
    page.call("Input.dispatchKeyEvent", {"type": "rawKeyDown", "commands": ["paste"], **common})
    page.call("Input.dispatchKeyEvent", {"type": "keyUp", **common})
    report["value"] = page.wait_for("document.getElementById('api').value", 5)
    end = time.time() + 8
    shown = []
    while time.time() < end and not shown:
        shown = notice(page)
        time.sleep(0.05)
    report["notice"] = shown
    report["seen_by_page"] = page.js("window.seen")
    return report


def visit(browser, action, url):
    page = Page(browser)
    page.call("Page.navigate", {"url": url})
    report = {"url": url}
    if not page.wait_for("document.readyState === 'complete' && !!document.getElementById('api')"):
        report["error"] = "the page did not load"
        return report
    page.js("document.getElementById('api').focus()")
    if not page.wait_for("!!document.querySelector('keydesk-fill')", seconds=3):
        report["mark"] = False
        return report
    report["mark"] = True
    if action.startswith("paste="):
        return paste(browser, page, action.split("=", 1)[1], report)
    if action.startswith("popup"):
        return visit_popup(browser, page, action, report)
    nodes = page.shadow_list()
    mark = next(n for n in nodes if n[3])
    page.click(*page.centre(mark[2]))
    # The list fills once Keydesk answered ("Asking Keydesk…" until then).
    end = time.time() + 15
    items = []
    while time.time() < end:
        items = [n for n in page.shadow_list() if not n[3]]
        if items and not (len(items) == 1 and items[0][1].startswith("Asking Keydesk")):
            break
        time.sleep(0.05)
    report["list"] = [text for (_kind, text, _id, _mark) in items]
    offers = [n for n in items if n[0] == "BUTTON"]
    if action == "fill" and offers:
        started = time.time()
        page.click(*page.centre(offers[0][2]))
        filled = page.wait_for("document.getElementById('api').value !== '' && document.getElementById('api').value", 10)
        report["fill_ms"] = round((time.time() - started) * 1000)
        report["value"] = filled
        report["seen_by_page"] = page.js("window.seen")
        report["list_after"] = [n[1] for n in page.shadow_list() if not n[3]]
    marks = [n for n in offers if n[1].startswith("Mark as tested")]
    if action == "tested" and marks:
        page.click(*page.centre(marks[0][2]))
        # The list gives way to Keydesk's sentence once it answered.
        end = time.time() + 15
        while time.time() < end:
            after = [n for n in page.shadow_list() if not n[3]]
            if len(after) == 1 and after[0][0] == "P":
                report["said"] = after[0][1]
                break
            time.sleep(0.05)
    return report


def main():
    chromium, extension, user_data_dir, action, *urls = sys.argv[1:]
    browser = Browser(chromium, extension, user_data_dir)
    try:
        browser.call("Target.setDiscoverTargets", {"discover": True})
        for url in urls:
            print(json.dumps(visit(browser, action, url)), flush=True)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
