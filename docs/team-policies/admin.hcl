# Keydesk team vault: an ADMIN makes the team vault, adds and removes members, and removes
# keys for good (with their history), on top of what an editor does.
#
# Made by `keydesk team policy admin` for mount "secret", path "marketing/keydesk"; install it with
#   bao policy write keydesk-admin admin.hcl
# A token also needs OpenBao's "default" policy (its own lookup and renewal), which
# tokens get unless made with -no-default-policy.

path "secret/data/marketing/keydesk/team" {
  capabilities = ["create", "read", "update"]
}

# Taking back a team vault whose making failed half-way (before it had a member).
path "secret/metadata/marketing/keydesk/team" {
  capabilities = ["delete"]
}

# Every member's wrapped copy of the team's data key (useless without that member's
# password).
path "secret/data/marketing/keydesk/members/*" {
  capabilities = ["create", "read", "update", "delete"]
}

path "secret/metadata/marketing/keydesk/members/*" {
  capabilities = ["read", "list", "delete"]
}

# A member's older copies of the team's key (the invitation a code opens, the copy an old
# password opens) are destroyed when they join or change their password.
path "secret/destroy/marketing/keydesk/members/*" {
  capabilities = ["update"]
}

path "secret/data/marketing/keydesk/keys/*" {
  capabilities = ["create", "read", "update", "delete"]
}

path "secret/metadata/marketing/keydesk/keys/*" {
  capabilities = ["read", "list", "delete"]
}

# Removing a member replaces the team's key and destroys every key's older versions (sealed
# under the key the removed member held).
path "secret/destroy/marketing/keydesk/keys/*" {
  capabilities = ["update"]
}

# Provider accounts (name, API address, the management key sealed with the team's key):
# added ("create"), never changed in place by an editor; removed with their history (and
# sealed again under a new team key when a member is removed) by an admin.
path "secret/data/marketing/keydesk/accounts/*" {
  capabilities = ["create", "read", "update", "delete"]
}

path "secret/metadata/marketing/keydesk/accounts/*" {
  capabilities = ["read", "list", "delete"]
}

path "secret/destroy/marketing/keydesk/accounts/*" {
  capabilities = ["update"]
}

# Incidents (suspected leaks): opened ("create") and closed ("update").
path "secret/data/marketing/keydesk/incidents/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/marketing/keydesk/incidents/*" {
  capabilities = ["read", "list"]
}

path "secret/destroy/marketing/keydesk/incidents/*" {
  capabilities = ["update"]
}

# The pack: every key's entry (sealed, as under keys/) in a few large entries, so a first
# load reads a few dozen entries instead of one a key; written anew, and the older parts
# removed, by members who may change keys.
path "secret/data/marketing/keydesk/packs/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/marketing/keydesk/packs/*" {
  capabilities = ["delete"]
}

# The team's audit trail: entries are added ("create"), never changed ("update" is not
# given), so the trail only grows; every member records what they do, reveals included.
path "secret/data/marketing/keydesk/audit/*" {
  capabilities = ["create", "read"]
}
