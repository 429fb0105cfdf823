# Keydesk team vault: a READER lists and shows the keys and reveals or copies their secrets
# (sealed on the server: the member's own password opens them). A reader changes nothing.
#
# The team vault here is at mount "secret", path "marketing/keydesk": replace both with yours
# (`keydesk init --team --mount … --path …`), then
#   bao policy write keydesk-reader reader.hcl
# A token also needs OpenBao's "default" policy (its own lookup and capabilities), which
# tokens get unless made with -no-default-policy.

path "secret/data/marketing/keydesk/team" {
  capabilities = ["read"]
}

# Every member's wrapped copy of the team's data key (useless without that member's
# password). "update" lets a member who was invited join (their invitation is replaced by a
# copy under their own password); it also lets them overwrite another member's copy, which
# locks that member out until re-invited but lets nobody in. Where members log in with their
# own OpenBao identity, narrow it to their own entry with a templated path, such as
# "secret/data/marketing/keydesk/members/{{identity.entity.name}}".
path "secret/data/marketing/keydesk/members/*" {
  capabilities = ["read", "update"]
}

# A member's older copies of the team's key (the invitation a code opens, the copy an old
# password opens) are destroyed when they join or change their password.
path "secret/destroy/marketing/keydesk/members/*" {
  capabilities = ["update"]
}

path "secret/data/marketing/keydesk/keys/*" {
  capabilities = ["read"]
}

path "secret/metadata/marketing/keydesk/keys/*" {
  capabilities = ["read", "list"]
}

# Provider accounts (name, API address, the management key sealed with the team's key): read
# to verify or ask about a key with them.
path "secret/data/marketing/keydesk/accounts/*" {
  capabilities = ["read"]
}

path "secret/metadata/marketing/keydesk/accounts/*" {
  capabilities = ["read", "list"]
}

# Incidents (suspected leaks): read, to list and report them.
path "secret/data/marketing/keydesk/incidents/*" {
  capabilities = ["read"]
}

path "secret/metadata/marketing/keydesk/incidents/*" {
  capabilities = ["read", "list"]
}

# The team's audit trail: entries are added ("create"), never changed ("update" is not
# given), so the trail only grows; every member records what they do, reveals included.
path "secret/data/marketing/keydesk/audit/*" {
  capabilities = ["create", "read"]
}
