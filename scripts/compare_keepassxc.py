#!/usr/bin/python3
"""Keydesk and KeePassXC side by side: the same 10,000 entries, the same Argon2id cost.

Run by scripts/compare-keepassxc.sh (which installs KeePassXC, pykeepass, Xvfb and xdotool
and builds Keydesk). Each command is run in turn with its KeePassXC counterpart, N rounds,
alternating; the median wall time and the median peak resident memory of the whole process
are written to BENCHMARKS.md with the ratios.
"""

import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pykeepass import create_database
from pykeepass.entry import Entry
from pykeepass.kdbx_parsing.kdbx4 import kdf_uuids

ROOT = Path(__file__).resolve().parent.parent
# The build measured: PROFILE (release unless set) under CARGO_TARGET_DIR (target unless set).
PROFILE = os.environ.get("PROFILE", "release")
BUILD = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / PROFILE
KEYDESK = BUILD / "keydesk"
BIG_VAULT = BUILD / "examples" / "big_vault"
ENTRIES = int(os.environ.get("ENTRIES", "10000"))
ROUNDS = int(os.environ.get("ROUNDS", "9"))
PASSWORD = "compare-password-1"
# Keydesk's default cost, set on the KeePassXC database too.
MEMORY_KIB, ITERATIONS, LANES = 64 * 1024, 3, 4


def run(argv, stdin=b"", env=None):
    """Runs argv once; returns (seconds, peak RSS in KiB). Fails loudly on a non-zero exit."""
    # GNU time reports the peak of the program itself (this script's own size would count in
    # a forked child's rusage); its start-up, the same for both, is in the wall time.
    with tempfile.NamedTemporaryFile("r") as peak:
        start = time.perf_counter()
        process = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", peak.name, *argv], input=stdin,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            sys.exit(f"{argv[0]} {' '.join(argv[1:4])}… failed: {process.stderr.decode()[:400]}")
        return seconds, int(peak.read().split()[-1])


def window_shown(argv, title, env):
    """Seconds from start until a window named `title` is mapped (xdotool), and peak RSS then."""
    log = tempfile.TemporaryFile()
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=log, stderr=log, env=env)
    # Polled every 5 ms (xdotool's own --sync waits half a second between looks).
    while subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env).returncode != 0:
        if time.perf_counter() - start > 20 or process.poll() is not None:
            shown = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "."], capture_output=True,
                                   text=True, env=env).stdout.split()
            names = [subprocess.run(["xdotool", "getwindowname", w], capture_output=True, text=True,
                                    env=env).stdout.strip() for w in shown]
            log.seek(0)
            sys.exit(f"{argv[0]} showed no window named {title} (exit {process.poll()}; windows: {names}; "
                     f"it said: {log.read().decode(errors='replace')[:600]})")
        time.sleep(0.005)
    seconds = time.perf_counter() - start
    rss = int(next(l.split()[1] for l in open(f"/proc/{process.pid}/status") if l.startswith("VmRSS")))
    # Asked to quit, not killed: KeePassXC keeps one instance, and a killed one leaves its
    # lock behind, so that the next start hands its file over to it and exits.
    process.terminate()
    process.wait(timeout=30)
    return seconds, rss


def keepassxc_database(path):
    database = create_database(str(path), password=PASSWORD)
    kdf = database.kdbx.header.value.dynamic_header.kdf_parameters.data.dict
    kdf["$UUID"].value = kdf_uuids["argon2id"]
    kdf["M"].value, kdf["I"].value, kdf["P"].value = MEMORY_KIB * 1024, ITERATIONS, LANES
    database.kdbx.header.pop("data", None)  # the header is built again from the values
    providers = ["SendGrid", "Mailchimp", "Brevo", "Keydesk", "Postmark"]
    # Entries are appended directly: add_entry first searches the group for the title, which
    # makes 10,000 additions take many minutes.
    for i in range(ENTRIES):
        database.root_group.append(Entry(
            title=f"Integration key {i:05}", username=providers[i % 5], password=secrets.token_urlsafe(30),
            url=f"https://crm{i % 40}.example", notes="Used by the nightly sync", kp=database))
    database.save()


def main():
    work = Path(tempfile.mkdtemp(prefix="keydesk-compare-"))
    try:
        compare(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def compare(work):
    env = dict(os.environ, HOME=str(work / "home"), XDG_CONFIG_HOME=str(work / "config"),
               XDG_DATA_HOME=str(work / "data"))
    (work / "home").mkdir()
    password_file = work / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    vault, kdbx = work / "vault", work / "keys.kdbx"
    print(f"Making {ENTRIES} entries in both…", flush=True)
    subprocess.run([BIG_VAULT, vault, str(ENTRIES), PASSWORD], check=True, stdout=subprocess.DEVNULL)
    keepassxc_database(kdbx)
    kd = [str(KEYDESK), "--vault", str(vault), "--password-file", str(password_file)]
    # One key with a real secret to reveal (the synthetic ones are metadata only).
    subprocess.run(kd + ["generate", "--label", "Reveal me"], check=True, stdout=subprocess.DEVNULL, env=env)
    pw = (PASSWORD + "\n").encode()
    kp = ["keepassxc-cli"]
    rows = [
        ("list (no password for Keydesk)", (kd + ["list"], b""), (kp + ["ls", "-q", "-R", "-f", str(kdbx)], pw)),
        ("show one entry", (kd + ["show", "Integration key 04242"], b""),
         (kp + ["show", "-q", str(kdbx), "Integration key 04242"], pw)),
        ("reveal one secret", (kd + ["reveal", "Reveal me"], b""),
         (kp + ["show", "-q", "-s", "-a", "Password", str(kdbx), "Integration key 04242"], pw)),
        ("unlock (KDF + open)", (kd + ["audit", "--verify"], b""), (kp + ["db-info", "-q", str(kdbx)], pw)),
    ]
    results = []
    for name, (keydesk, keydesk_in), (keepassxc, keepassxc_in) in rows:
        ours, theirs = [], []
        for _ in range(ROUNDS):
            ours.append(run(keydesk, keydesk_in, env))
            theirs.append(run(keepassxc, keepassxc_in, env))
        results.append((name, ours, theirs))
        print(f"  {name}: done", flush=True)
    # Adding writes: each round adds one entry to each (10,000 + ROUNDS at the end).
    ours, theirs = [], []
    for i in range(ROUNDS):
        ours.append(run(kd + ["add", "--provider", "sendgrid", "--label", f"Added {i}"],
                        f"SG.{secrets.token_urlsafe(16)}.{secrets.token_urlsafe(32)}\n".encode(), env))
        theirs.append(run(kp + ["add", "-q", "-p", str(kdbx), f"Added {i}"],
                          pw + secrets.token_urlsafe(30).encode() + b"\n", env))
    results.append(("add one entry", ours, theirs))
    windows = window_rows(work, vault, kdbx, env)
    write_report(results + windows)


def window_rows(work, vault, kdbx, env):
    display = f":{600 + os.getpid() % 300}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Until the server answers (a fixed second was not always enough on a busy machine).
        for _ in range(100):
            if subprocess.run(["xdpyinfo"], env=dict(env, DISPLAY=display), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0:
                break
            time.sleep(0.1)
        ours, theirs = [], []
        for i in range(ROUNDS):
            # A fresh runtime folder each time, so no instance lock outlives its program.
            runtime = work / f"runtime{i}"
            runtime.mkdir(mode=0o700)
            xenv = dict(env, DISPLAY=display, XDG_RUNTIME_DIR=str(runtime), TMPDIR=str(runtime))
            ours.append(window_shown([str(KEYDESK), "--vault", str(vault)], "^Keydesk", xenv))
            theirs.append(window_shown(["keepassxc", str(kdbx)], "KeePassXC", xenv))
        return [("window shown (locked, Xvfb)", ours, theirs)]
    finally:
        xvfb.kill()
        xvfb.wait()


def write_report(results):
    version = subprocess.run(["keepassxc-cli", "--version"], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = [
        "# Keydesk and KeePassXC side by side",
        "",
        f"Written by `scripts/compare-keepassxc.sh` on {time.strftime('%Y-%m-%d')}: {os.cpu_count()} cores "
        f"({cpu}), {platform.system()} {platform.release()}, KeePassXC {version}. Both hold the same "
        f"{ENTRIES:,} entries and derive their key with Argon2id at {MEMORY_KIB // 1024} MiB, {ITERATIONS} "
        f"iterations, {LANES} lanes (KeePassXC's database is AES-256, Keydesk's secrets XChaCha20-Poly1305). "
        f"Keydesk built with the `{PROFILE}` profile. "
        f"Whole processes, {ROUNDS} rounds each, the two programs alternating; medians. Lower is better; "
        "the ratio is Keydesk's time over KeePassXC's.",
        "",
        "| operation | Keydesk | KeePassXC | ratio | Keydesk peak RSS | KeePassXC peak RSS |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, ours, theirs in results:
        t_ours = statistics.median(t for t, _ in ours) * 1000
        t_theirs = statistics.median(t for t, _ in theirs) * 1000
        m_ours = statistics.median(m for _, m in ours) / 1024
        m_theirs = statistics.median(m for _, m in theirs) / 1024
        lines.append(f"| {name} | {t_ours:.0f} ms | {t_theirs:.0f} ms | {t_ours / t_theirs:.2f} | "
                     f"{m_ours:.0f} MiB | {m_theirs:.0f} MiB |")
    lines += [
        "",
        "`list` and `show` in Keydesk read only the metadata file and need no password; "
        "KeePassXC must derive its key to read anything. The window row is the time until the "
        "window is mapped, with its resident memory then.",
        "",
    ]
    # The hand-measured sections after the table (from "## " on) are kept.
    report = ROOT / "BENCHMARKS.md"
    old = report.read_text() if report.exists() else ""
    kept = old[old.index("\n## ") + 1:] if "\n## " in old else ""
    report.write_text("\n".join(lines) + ("\n" + kept if kept else ""))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
