"""Walks Keydesk's real window by keyboard alone, reading it as a screen reader does: over AT-SPI.

Started by tests/it/a11y.rs once the window runs with accessibility on. Every control is found
in the accessibility tree by its role and name ("push button" "Copy Webhook signing", "entry"
"Label"); every key goes to the window through the X server (xdotool), as from a keyboard: Tab
until the wanted control has the focus, then Space, Return or typing. Each step is asserted from
the tree (and the copy from the X clipboard, read with xclip).

The flow: unlock, the dashboard's named controls, New key (Ctrl+N) with a pasted key (Ctrl+V),
the key's card, Copy from the list, then Revoke from the key's card through the revoke dialog.

Reads from the environment:
  KEYDESK_A11Y_PID       the window's process id (its application in the tree)
  KEYDESK_A11Y_PASSWORD  the vault's master password
  KEYDESK_A11Y_KEY       the key to paste
  KEYDESK_A11Y_LABEL     the label to give it
  KEYDESK_A11Y_OTHER     the label of a key already in the vault
Exits 0 when every step held; otherwise prints the step that failed, what had the focus and the
named controls in sight, and exits 1.
"""

import os
import subprocess
import sys
import time

import gi
import pyatspi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, Gio, GLib  # noqa: E402  (after the version is chosen)

PID = int(os.environ["KEYDESK_A11Y_PID"])
PASSWORD = os.environ["KEYDESK_A11Y_PASSWORD"]
KEY = os.environ["KEYDESK_A11Y_KEY"]
LABEL = os.environ["KEYDESK_A11Y_LABEL"]
OTHER = os.environ["KEYDESK_A11Y_OTHER"]

# How long a step may take to show in the tree (a frame, an AT-SPI round trip; unlocking runs
# Argon2id). Waiting longer fails the step: it never passes by waiting.
PATIENCE = 30.0
# The most Tab presses that may separate two controls of one screen: twice round the longest
# screen of the flow (about 40 controls).
MOST_TABS = 100
# How long a Tab may take to move the focus before the next is pressed.
SETTLE = 5.0


class StepFailed(Exception):
    pass


def say(text):
    print(f"a11y: {text}", flush=True)


# --- The tree --------------------------------------------------------------------------------

# The accessibility bus, whose address the session bus's org.a11y.Bus gives.
_SESSION = Gio.bus_get_sync(Gio.BusType.SESSION, None)
_ADDRESS = _SESSION.call_sync(
    "org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus", "GetAddress", None, GLib.VariantType("(s)"),
    Gio.DBusCallFlags.NONE, -1, None,
).unpack()[0]
A11Y_BUS = Gio.DBusConnection.new_for_address_sync(
    _ADDRESS,
    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
    None,
    None,
)
FOCUSED = 1 << int(pyatspi.STATE_FOCUSED)
CHECKED = 1 << int(pyatspi.STATE_CHECKED)


def application():
    """The bus name of the window's application in the AT-SPI tree, found by its process id."""
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        try:
            if app is not None and app.get_process_id() == PID:
                return app.app.bus_name
        except Exception:  # an application that left the bus meanwhile
            continue
    return None


def items():
    """(role, name, state bits) of every node of the window, or [] before it is on the bus.

    The whole tree in one call (AT-SPI's Cache.GetItems, what screen readers read an
    application with): a node-by-node walk makes five calls a node, seconds a screen."""
    bus_name = application()
    if bus_name is None:
        return []
    try:
        reply = A11Y_BUS.call_sync(
            bus_name, "/org/a11y/atspi/cache", "org.a11y.atspi.Cache", "GetItems", None, None,
            Gio.DBusCallFlags.NONE, -1, None,
        )
    except GLib.Error:  # the window left the bus: the caller's wait says what it waited for
        return []
    tree = []
    for _ref, _app, _parent, _index, _children, _ifaces, name, role, _description, states in reply.unpack()[0]:
        tree.append((Atspi.role_get_name(Atspi.Role(role)), name, states[0]))
    return tree


def snapshot():
    """(role, name, focused) of every node of the window, or [] before it is on the bus."""
    return [(role, name, bool(states & FOCUSED)) for role, name, states in items()]


def ticked(role, name):
    """Whether the check box (role, name) is ticked now."""
    return any(r == role and n == name and states & CHECKED for r, n, states in items())


def wait_for(what, test):
    """Polls the tree until `test(snapshot)` answers something true; returns that answer."""
    deadline = time.monotonic() + PATIENCE
    while True:
        tree = snapshot()
        answer = test(tree)
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise StepFailed(f"waited {PATIENCE:.0f} s for {what}")
        time.sleep(0.1)


def wait_until(seconds, test):
    """Polls the tree for at most `seconds` until `test` answers; returns the answer or None.
    Not a check: the caller goes on either way."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = test(snapshot())
        if answer:
            return answer
        time.sleep(0.05)
    return None


def has(role, name):
    return lambda tree: any(r == role and n == name for r, n, _ in tree)


def lacks(role, name):
    return lambda tree: not any(r == role and n == name for r, n, _ in tree)


def focused(tree):
    """The (role, name) that has the keyboard focus, if any."""
    return next(((r, n) for r, n, f in tree if f), None)


def find(role, name):
    """Waits for a control found by its role and name."""
    wait_for(f'{role} "{name}"', has(role, name))
    say(f'found {role} "{name}"')


def label_starting(prefix):
    """Waits for a text on screen that starts with `prefix`; returns it."""

    def test(tree):
        return next((n for r, n, _ in tree if r == "label" and n.startswith(prefix)), None)

    return wait_for(f'a text starting "{prefix}"', test)


# --- The keyboard ----------------------------------------------------------------------------


def window_id():
    out = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--pid", str(PID)], capture_output=True, text=True
    )
    ids = out.stdout.split()
    if not ids:
        raise StepFailed("xdotool finds no visible window of the process")
    return ids[0]


def keys(*names):
    """Presses keys (xdotool names: Tab, Return, space, ctrl+v) on the window that has the focus."""
    subprocess.run(["xdotool", "key", "--clearmodifiers", *names], check=True)


def untick(role, name):
    """Presses space on the focused check box until it is unticked: a key that reached the
    window while its focus was still settling is pressed again (at most three times)."""
    if not ticked(role, name):
        raise StepFailed(f'{role} "{name}" is not ticked: a screen reader would not hear it is')
    for presses in range(1, 4):
        keys("space")
        if wait_until(SETTLE, lambda _tree: not ticked(role, name)):
            say(f'{role} "{name}" unticked after {presses} press(es)')
            return
    raise StepFailed(f'{role} "{name}" stayed ticked after three presses of space')


def type_text(text):
    subprocess.run(["xdotool", "type", "--clearmodifiers", "--delay", "15", text], check=True)


def tab_to(role, name):
    """Presses Tab until the control (role, name) has the focus: it must be reachable by keyboard.

    After each Tab, waits for the focus to land on another control. egui lets go of the focus
    for a frame when it wraps from the last control to the first (and may draw that frame only
    at the next key), so when no control has it after a while, Tab is pressed again; going round
    twice is within MOST_TABS."""
    seen = []
    for _ in range(MOST_TABS):
        before = focused(snapshot())
        if before == (role, name):
            say(f'focus on {role} "{name}" after {len(seen)} Tab(s)')
            return
        keys("Tab")
        landed = wait_until(SETTLE, lambda tree, before=before: moved(tree, before))
        seen.append(landed or focused(snapshot()))
    raise StepFailed(f'{role} "{name}" never had the focus; Tab went through {seen}')


def moved(tree, before):
    """The control that has the focus now, if it is not `before`; None while no control has it
    (the tree then gives the window itself, the frame, as focused)."""
    now = focused(tree)
    if now is None or now[0] in ("frame", "application") or now == before:
        return None
    return now


def clipboard():
    out = subprocess.run(
        ["timeout", "5", "xclip", "-o", "-selection", "clipboard"], capture_output=True, text=True
    )
    return out.stdout


def set_clipboard(text):
    """Puts `text` on the X clipboard (xclip keeps serving it in the background)."""
    subprocess.run(["xclip", "-selection", "clipboard", "-i"], input=text, text=True, check=True)


# --- The flow --------------------------------------------------------------------------------


def unlock():
    find("frame", "Keydesk")
    find("password text", "Master password")
    find("push button", "Unlock")
    subprocess.run(["xdotool", "windowactivate", "--sync", window_id()], check=True)
    tab_to("password text", "Master password")
    type_text(PASSWORD)
    keys("Return")
    find("push button", f"Copy {OTHER}")
    say("unlocked")


def dashboard():
    for role, name in [
        ("entry", "Search"),
        ("push button", f"Open {OTHER}"),
        ("push button", f"Copy {OTHER}"),
        ("push button", f"More for {OTHER}"),
        ("check box", "Show revoked"),
        ("push button", "Lock"),
    ]:
        find(role, name)
    if has("push button", "Copy")(snapshot()):
        raise StepFailed('a row\'s Copy is named "Copy" alone: which key it copies is not said')


def new_key():
    keys("ctrl+n")
    find("entry", "Label")
    find("toggle button", "Generate a Keydesk key")
    tab_to("toggle button", "Paste a provider's key")
    keys("space")
    find("password text", "Key")
    find("check box", "Show the key")
    find("push button", "Add key")
    tab_to("entry", "Label")
    type_text(LABEL)
    tab_to("password text", "Key")
    set_clipboard(KEY)
    keys("ctrl+v")
    recognised = label_starting("Recognised: ")
    say(f'the pasted key: "{recognised}"')
    keys("Return")
    # The new key's card opens.
    find("push button", f"Revoke {LABEL}…")
    say("added")


def key_card():
    for role, name in [
        ("push button", "Back to keys"),
        ("push button", f"Copy {LABEL}"),
        ("push button", f"Reveal {LABEL}"),
        ("push button", f"Verify {LABEL}"),
        ("push button", f"Revoke {LABEL}…"),
    ]:
        find(role, name)


def copy_from_the_list():
    keys("ctrl+1")
    wait_for("the key's card to close", lacks("push button", f"Revoke {LABEL}…"))
    find("push button", f"Copy {LABEL}")
    tab_to("push button", f"Copy {LABEL}")
    keys("space")
    deadline = time.monotonic() + PATIENCE
    while clipboard() != KEY:
        if time.monotonic() > deadline:
            raise StepFailed("the key never reached the X clipboard")
        time.sleep(0.1)
    say("the X clipboard holds the pasted key")
    countdown = label_starting(f"Clipboard: {LABEL} clears in ")
    say(f'the status bar says "{countdown}"')


def revoke():
    tab_to("push button", f"Open {LABEL}")
    keys("space")
    find("push button", f"Revoke {LABEL}…")
    tab_to("push button", f"Revoke {LABEL}…")
    keys("space")
    find("dialog", f"Revoke {LABEL}")
    find("entry", "Reason")
    find("check box", "Create a replacement right away")
    find("push button", f"Cancel revoking {LABEL}")
    tab_to("entry", "Reason")
    type_text("pasted in a chat")
    tab_to("check box", "Create a replacement right away")
    untick("check box", "Create a replacement right away")
    tab_to("push button", f"Revoke {LABEL} now")
    keys("space")
    wait_for("the revoke dialog to close", lacks("dialog", f"Revoke {LABEL}"))
    status = label_starting("revoked ")
    if not status.endswith("pasted in a chat"):
        raise StepFailed(f'the status says "{status}", not the reason given')
    wait_for("Copy to go from the revoked key's card", lacks("push button", f"Copy {LABEL}"))
    say(f'the key\'s status: "{status}"')


def main():
    steps = [unlock, dashboard, new_key, key_card, copy_from_the_list, revoke]
    for step in steps:
        say(f"step: {step.__name__}")
        try:
            step()
        except (StepFailed, subprocess.CalledProcessError) as error:
            tree = snapshot()
            print(f"a11y: {step.__name__} failed: {error}", flush=True)
            print(f"a11y: focus: {focused(tree)}", flush=True)
            for role, name, _ in tree:
                if name:
                    print(f"a11y:   {role} {name!r}", flush=True)
            return 1
    say("every step held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
