#!/usr/bin/env python3
"""Writes a file of N keys in each layout `keydesk import` reads, into FOLDER:

  keys.csv (a spreadsheet), keepassxc.xml, keepassxc.csv, bitwarden.json, bitwarden.csv,
  1password.csv, lastpass.csv, keys.env, keydesk.json, export.1pux (a zip), and keys.xlsx
  when LibreOffice's `soffice` is there (the spreadsheet saved as a workbook by Calc).

Every file holds the same N keys, half shaped like SendGrid's, each with a URL and a note, in
the columns and fields each program writes (docs/import.md). Used by
scripts/measure-import-formats.sh. Usage: scripts/import-files.py FOLDER [N]
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from xml.sax.saxutils import escape


def keys(n):
    for i in range(1, n + 1):
        key = f"SG.{i:022d}.{i * 7:043d}" if i % 2 else f"measure-import-value-{i:08d}"
        yield i, f"Key {i}", key, f"https://app.example.com/{i}", f"Row {i}"


def write_csv(path, header, rows, delimiter=","):
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows(rows)


def spreadsheet(folder, n):
    rows = ([label, key, f"HubSpot={url}", note] for _, label, key, url, note in keys(n))
    write_csv(os.path.join(folder, "keys.csv"), ["label", "key", "integrations", "notes"], rows, ";")


def keepassxc_csv(folder, n):
    header = ["Group", "Title", "Username", "Password", "URL", "Notes", "TOTP", "Icon",
              "Last Modified", "Created"]
    rows = (["Root/Email", label, "ops@example.com", key, url, note, "", "0",
             "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"] for _, label, key, url, note in keys(n))
    write_csv(os.path.join(folder, "keepassxc.csv"), header, rows)


def keepassxc_xml(folder, n):
    with open(os.path.join(folder, "keepassxc.xml"), "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<KeePassFile>'
                  "<Meta><Generator>KeePassXC</Generator></Meta><Root><Group>"
                  "<UUID>AAAAAAAAAAAAAAAAAAAAAA==</UUID><Name>Root</Name><Group><Name>Email</Name>\n")
        for i, label, key, url, note in keys(n):
            fields = [("Title", label, False), ("UserName", "ops@example.com", False),
                      ("Password", key, True), ("URL", url, False), ("Notes", note, False)]
            protected = ' ProtectInMemory="True"'
            strings = "".join(
                f"<String><Key>{name}</Key><Value{protected if protect else ''}>"
                f"{escape(value)}</Value></String>" for name, value, protect in fields)
            out.write(f"<Entry><UUID>{i:022d}==</UUID><Times><Expires>False</Expires></Times>"
                      f"{strings}</Entry>\n")
        out.write("</Group></Group></Root></KeePassFile>\n")


def bitwarden_json(folder, n):
    items = [{
        "id": f"b0000000-0000-4000-8000-{i:012d}", "organizationId": None, "folderId": None,
        "type": 1, "reprompt": 0, "name": label, "notes": note, "favorite": False,
        "fields": [{"name": "api_key", "value": key, "type": 1, "linkedId": None}],
        "login": {"uris": [{"match": None, "uri": url}], "username": "ops@example.com",
                  "password": None, "totp": None},
        "collectionIds": None,
    } for i, label, key, url, note in keys(n)]
    with open(os.path.join(folder, "bitwarden.json"), "w", encoding="utf-8") as out:
        json.dump({"encrypted": False, "folders": [], "items": items}, out, indent=2)


def bitwarden_csv(folder, n):
    header = ["folder", "favorite", "type", "name", "notes", "fields", "reprompt", "login_uri",
              "login_username", "login_password", "login_totp"]
    rows = (["Email", "", "login", label, note, "", "0", url, "ops@example.com", key, ""]
            for _, label, key, url, note in keys(n))
    write_csv(os.path.join(folder, "bitwarden.csv"), header, rows)


def onepassword_csv(folder, n):
    header = ["Title", "Url", "Username", "Password", "OTPAuth", "Favorite", "Archived", "Tags",
              "Notes"]
    rows = ([label, url, "ops@example.com", key, "", "false", "false", "email", note]
            for _, label, key, url, note in keys(n))
    write_csv(os.path.join(folder, "1password.csv"), header, rows)


def lastpass(folder, n):
    header = ["url", "username", "password", "totp", "extra", "name", "grouping", "fav"]
    rows = ([url, "ops@example.com", key, "", note, label, "Email", "0"]
            for _, label, key, url, note in keys(n))
    write_csv(os.path.join(folder, "lastpass.csv"), header, rows)


def dotenv(folder, n):
    with open(os.path.join(folder, "keys.env"), "w", encoding="utf-8") as out:
        for i, _, key, _, _ in keys(n):
            out.write(f"SERVICE_{i}_API_KEY={key}\n")


def keydesk_json(folder, n):
    entries = [{"label": label, "key": key, "provider": None,
                "integrations": [{"name": "HubSpot", "url": url}], "notes": note,
                "expires": None, "created": "2026-01-01T00:00:00Z", "rotate_days": 90, "tags": []}
               for _, label, key, url, note in keys(n)]
    with open(os.path.join(folder, "keydesk.json"), "w", encoding="utf-8") as out:
        json.dump(entries, out, indent=2)


def onepux(folder, n):
    items = [{
        "uuid": f"i{i}", "createdAt": 1700000000, "updatedAt": 1700000000, "state": "active",
        "categoryUuid": "110",
        "details": {"loginFields": [], "notesPlain": note, "passwordHistory": [], "sections": [
            {"title": "", "name": "", "fields": [
                {"title": "credential", "id": "credential", "value": {"concealed": key}}]}]},
        "overview": {"title": label, "urls": [], "url": url, "tags": ["Email"]},
    } for i, label, key, url, note in keys(n)]
    data = {"accounts": [{"attrs": {"accountName": "Ops", "uuid": "A1"},
                          "vaults": [{"attrs": {"uuid": "V1", "name": "Email"}, "items": items}]}]}
    with zipfile.ZipFile(os.path.join(folder, "export.1pux"), "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.attributes", json.dumps({"version": 3}))
        archive.writestr("export.data", json.dumps(data))


def workbook(folder):
    """The spreadsheet saved as .xlsx by LibreOffice Calc, where it is installed."""
    if not shutil.which("soffice"):
        print("soffice not found: no keys.xlsx", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
             "--infilter=CSV:59,34,76,1", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
             "--outdir", folder, os.path.join(folder, "keys.csv")],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    folder, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 10_000
    os.makedirs(folder, exist_ok=True)
    for write in (spreadsheet, keepassxc_csv, keepassxc_xml, bitwarden_json, bitwarden_csv,
                  onepassword_csv, lastpass, dotenv, keydesk_json, onepux):
        write(folder, n)
    workbook(folder)


if __name__ == "__main__":
    main()
