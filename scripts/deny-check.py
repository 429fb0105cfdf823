#!/usr/bin/env python3
"""deny.toml's licence, ban and source rules, checked without cargo-deny.

scripts/test.sh runs `cargo deny check licenses bans sources` when cargo-deny is installed;
where it is not, this script enforces the same rules from `cargo metadata` (Python's standard
library only: nothing to build or install):

- licences: every crate's `license` (an SPDX expression with OR, AND, WITH and parentheses;
  the older `MIT/Apache-2.0` form reads as OR) must be satisfied by `[licenses] allow`; a crate
  with no `license` field (a licence file only) is refused, as cargo-deny refuses a file it
  cannot read with confidence (deny.toml has no `clarify` entries);
- bans: no crate named in `[bans] deny` (at any version, or the versions it gives); with
  `wildcards = "deny"`, no dependency on a registry or git crate written as `*`
  (`allow-wildcard-paths`: path dependencies may); `multiple-versions = "warn"`: duplicates
  are listed, not fatal;
- sources: every crate comes from a registry in `[sources] allow-registry` (crates.io's, by
  its git or sparse index), a git repository in `allow-git`, or a path.

Usage: scripts/deny-check.py [--metadata FILE] [--config deny.toml]
(without --metadata it runs `cargo metadata --format-version 1 --locked`). Exit 0 when every
rule holds, 1 with one line per violation otherwise, 2 when the input cannot be read.
"""

import argparse
import json
import re
import subprocess
import sys
import tomllib

CRATES_IO = {
    "https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
    "https://index.crates.io/",
}


class SpdxError(ValueError):
    pass


def tokens(expression):
    """The SPDX expression's tokens: '(', ')', 'OR', 'AND', 'WITH' and licence ids."""
    text = expression.replace("/", " OR ")
    found = re.findall(r"\(|\)|[^\s()]+", text)
    if not found:
        raise SpdxError("an empty licence expression")
    return found


def parse(expression):
    """A tree of ('or'|'and', [terms]) and ('id', 'MIT' | 'Apache-2.0 WITH LLVM-exception')."""
    items = tokens(expression)
    position = 0

    def peek():
        return items[position] if position < len(items) else None

    def take():
        nonlocal position
        position += 1
        return items[position - 1]

    def operator(word):
        token = peek()
        return token is not None and token.upper() == word

    def primary():
        token = peek()
        if token is None:
            raise SpdxError(f"{expression!r} ends too early")
        if token == "(":
            take()
            inner = either()
            if peek() != ")":
                raise SpdxError(f"{expression!r} misses a ')'")
            take()
            return inner
        if token == ")" or token.upper() in ("OR", "AND", "WITH"):
            raise SpdxError(f"{expression!r} has {token!r} where a licence belongs")
        licence = take()
        if operator("WITH"):
            take()
            exception = peek()
            if exception is None or exception in ("(", ")") or exception.upper() in ("OR", "AND", "WITH"):
                raise SpdxError(f"{expression!r} has WITH without an exception")
            licence = f"{licence} WITH {take()}"
        return ("id", licence)

    def both():
        terms = [primary()]
        while operator("AND"):
            take()
            terms.append(primary())
        return terms[0] if len(terms) == 1 else ("and", terms)

    def either():
        terms = [both()]
        while operator("OR"):
            take()
            terms.append(both())
        return terms[0] if len(terms) == 1 else ("or", terms)

    tree = either()
    if position != len(items):
        raise SpdxError(f"{expression!r} has {items[position]!r} left over")
    return tree


def allowed_id(licence, allow):
    """Whether one licence (with its exception, if any) is in the allow-list. `X+` (this
    version or later) is met by X; ids compare without regard to case, as SPDX says."""
    wanted = {entry.lower() for entry in allow}
    name, _, exception = licence.partition(" WITH ")
    name = name.removesuffix("+")
    whole = f"{name} WITH {exception}" if exception else name
    return whole.lower() in wanted


def satisfied(tree, allow):
    kind, value = tree
    if kind == "id":
        return allowed_id(value, allow)
    if kind == "or":
        return any(satisfied(term, allow) for term in value)
    return all(satisfied(term, allow) for term in value)


def version_matches(version, spec):
    """Whether `version` meets a deny entry's requirement: `=1.2.3`, `1.2.3` (caret), `<2`,
    `>=1, <2` or `*` (the common forms in a deny list)."""

    def key(text):
        core = text.split("+")[0].split("-")[0]
        parts = [int(part) for part in core.split(".") if part.isdigit()]
        return tuple(parts + [0] * (3 - len(parts)))

    for clause in (c.strip() for c in spec.split(",")):
        if clause in ("", "*"):
            continue
        match = re.fullmatch(r"(>=|<=|>|<|=|\^|~)?\s*(\S+)", clause)
        if not match:
            raise SpdxError(f"the version requirement {spec!r} cannot be read")
        # A bare version is a caret requirement, as in Cargo.toml.
        op, bound = match.group(1) or "^", key(match.group(2))
        have = key(version)
        ok = {
            ">=": have >= bound,
            "<=": have <= bound,
            ">": have > bound,
            "<": have < bound,
            "=": have == bound,
            "^": have >= bound and have[0] == bound[0],
            "~": have >= bound and have[:2] == bound[:2],
        }[op]
        if not ok:
            return False
    return True


def source_allowed(source, config):
    if source is None:
        return True
    sources = config.get("sources", {})
    if source.startswith("registry+") or source.startswith("sparse+"):
        url = source.split("+", 1)[1] if source.startswith("registry+") else source
        registries = set(sources.get("allow-registry", ["https://github.com/rust-lang/crates.io-index"]))
        if registries & CRATES_IO:
            registries |= CRATES_IO
        return url in registries or source in registries or sources.get("unknown-registry") == "allow"
    if source.startswith("git+"):
        url = source[4:].split("?")[0].split("#")[0]
        return url in set(sources.get("allow-git", [])) or sources.get("unknown-git") == "allow"
    return False


def check(metadata, config):
    """The violations (one sentence each) and the warnings."""
    problems, warnings = [], []
    licenses = config.get("licenses", {})
    allow = licenses.get("allow", [])
    bans = config.get("bans", {})
    denied = []
    for entry in bans.get("deny", []):
        if isinstance(entry, str):
            entry = {"name": entry}
        denied.append(entry)
    packages = metadata["packages"]
    for package in packages:
        name, version = package["name"], package["version"]
        crate = f"{name} {version}"
        expression = package.get("license")
        if not expression:
            problems.append(f"licence: {crate} names no SPDX licence (only a licence file); add a clarify entry or replace the crate")
        else:
            try:
                if not satisfied(parse(expression), allow):
                    problems.append(f"licence: {crate} is under {expression!r}, which deny.toml does not allow")
            except SpdxError as error:
                problems.append(f"licence: {crate}: {error}")
        for entry in denied:
            wanted = entry.get("crate", entry.get("name", ""))
            wanted_name, _, wanted_version = wanted.partition("@")
            wanted_version = wanted_version or entry.get("version", "*")
            if wanted_name == name and version_matches(version, wanted_version):
                reason = entry.get("reason") or entry.get("wrappers") or "banned in deny.toml"
                problems.append(f"ban: {crate} is banned ({reason})")
        if not source_allowed(package.get("source"), config):
            problems.append(f"source: {crate} comes from {package.get('source')}, which deny.toml does not allow")
        if bans.get("wildcards", "allow") == "deny":
            for dependency in package.get("dependencies", []):
                if dependency.get("req") != "*":
                    continue
                if dependency.get("path") and bans.get("allow-wildcard-paths", False):
                    continue
                problems.append(f"ban: {crate} depends on {dependency['name']} at any version ('*')")
    versions = {}
    for package in packages:
        versions.setdefault(package["name"], set()).add(package["version"])
    duplicates = sorted(name for name, seen in versions.items() if len(seen) > 1)
    if duplicates and bans.get("multiple-versions", "warn") != "allow":
        line = f"{len(duplicates)} crates in more than one version: {', '.join(duplicates)}"
        (problems if bans.get("multiple-versions") == "deny" else warnings).append(f"ban: {line}")
    return problems, warnings


ADVISORY_DB = "https://github.com/rustsec/advisory-db/archive/refs/heads/main.tar.gz"


def fetch_advisories(folder):
    """Downloads the RustSec advisory database (one archive, no git needed) into `folder`."""
    import io
    import pathlib
    import shutil
    import tarfile
    import urllib.request

    with urllib.request.urlopen(ADVISORY_DB, timeout=60) as answer:
        data = answer.read()
    target = pathlib.Path(folder)
    fresh = target.with_name(target.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        members = [
            m for m in archive.getmembers()
            if "/crates/" in m.name and (m.isfile() or m.isdir())
            and not m.name.startswith("/") and ".." not in m.name.split("/")
        ]
        if hasattr(tarfile, "data_filter"):
            archive.extractall(fresh, members=members, filter="data")
        else:  # Python before 3.11.4: the members are plain files and folders inside `fresh`.
            archive.extractall(fresh, members=members)
    shutil.rmtree(target, ignore_errors=True)
    fresh.rename(target)


def advisories(folder):
    """Each advisory of the database in `folder`: (crate, id, kind, patched + unaffected)."""
    import pathlib

    found = []
    for path in pathlib.Path(folder).glob("*/crates/*/*.md"):
        text = path.read_text(encoding="utf-8")
        match = re.match(r"\s*```toml\n(.*?)\n```", text, re.S)
        if not match:
            continue
        front = tomllib.loads(match.group(1))
        advisory, versions = front.get("advisory", {}), front.get("versions", {})
        if advisory.get("withdrawn"):
            continue
        safe = versions.get("patched", []) + versions.get("unaffected", [])
        kind = advisory.get("informational") or "vulnerability"
        found.append((advisory.get("package", path.parent.name), advisory.get("id", path.stem), kind, safe))
    return found


def check_advisories(metadata, folder):
    """Crates of the graph an advisory names at their version: vulnerabilities, unsound and
    unmaintained crates are problems (cargo-deny's defaults), other notices warnings."""
    problems, warnings = [], []
    listed = advisories(folder)
    if not listed:
        raise ValueError(f"no advisories in {folder}")
    by_crate = {}
    for advisory in listed:
        by_crate.setdefault(advisory[0], []).append(advisory)
    for package in metadata["packages"]:
        if package.get("source") is None:
            continue
        for _name, advisory_id, kind, safe in by_crate.get(package["name"], []):
            if any(version_matches(package["version"], req) for req in safe):
                continue
            line = f"advisory: {package['name']} {package['version']}: {advisory_id} ({kind})"
            (problems if kind in ("vulnerability", "unsound", "unmaintained") else warnings).append(line)
    return problems, warnings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--metadata", help="cargo metadata's JSON (default: run cargo metadata)")
    parser.add_argument("--config", default="deny.toml")
    parser.add_argument("--quiet-warnings", action="store_true")
    parser.add_argument("--fetch-advisories", metavar="DIR", help="download the RustSec database into DIR, then stop")
    parser.add_argument("--advisories", metavar="DIR", help="check the crates against the RustSec database in DIR instead")
    args = parser.parse_args()
    if args.fetch_advisories:
        try:
            fetch_advisories(args.fetch_advisories)
        except (OSError, ValueError) as error:
            print(f"deny-check: the RustSec database cannot be fetched: {error}", file=sys.stderr)
            return 2
        return 0
    try:
        with open(args.config, "rb") as file:
            config = tomllib.load(file)
        if args.metadata:
            with open(args.metadata, encoding="utf-8") as file:
                metadata = json.load(file)
        else:
            text = subprocess.run(
                ["cargo", "metadata", "--format-version", "1", "--locked"],
                check=True, capture_output=True, text=True,
            ).stdout
            metadata = json.loads(text)
    except (OSError, ValueError, subprocess.CalledProcessError, tomllib.TOMLDecodeError) as error:
        print(f"deny-check: cannot read the input: {error}", file=sys.stderr)
        return 2
    try:
        problems, warnings = (
            check_advisories(metadata, args.advisories) if args.advisories else check(metadata, config)
        )
    except (OSError, ValueError, tomllib.TOMLDecodeError) as error:
        print(f"deny-check: cannot read the advisories: {error}", file=sys.stderr)
        return 2
    if not args.quiet_warnings:
        for line in warnings:
            print(f"warning: {line}", file=sys.stderr)
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    count = len(metadata["packages"])
    if problems:
        print(f"deny-check: {len(problems)} problem(s) in {count} crates", file=sys.stderr)
        return 1
    what = "no advisory applies" if args.advisories else "licences, bans and sources ok"
    print(f"deny-check: {what} ({count} crates)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
