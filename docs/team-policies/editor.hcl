# Keydesk team vault: an EDITOR does what a reader does, and adds keys and changes them.
# Every write names the version it read (check-and-set), so two editors never overwrite each
# other. Removing keys for good, and managing members, is the admin's.
#
# Made by `keydesk team policy editor` for mount "secret", path "marketing/keydesk"; install it with
#   bao policy write keydesk-editor editor.hcl
# A token also needs OpenBao's "default" policy (its own lookup and renewal), which
# tokens get unless made with -no-default-policy.

path "secret/data/marketing/keydesk/team" {
  capabilities = ["read"]
}

# Every member's wrapped copy of the team's data key (useless without that member's
# password).
path "secret/data/marketing/keydesk/members/*" {
  capabilities = ["read"]
}

# The member's own entry, named by their OpenBao identity (the entity's name is their
# member name): "update" to join (their invitation is replaced by a copy under their own
# password) and to change their password. Nobody else's entry.
path "secret/data/marketing/keydesk/members/{{identity.entity.name}}" {
  capabilities = ["read", "update"]
}

# A member's older copies of the team's key (the invitation a code opens, the copy an old
# password opens) are destroyed when they join or change their password.
path "secret/destroy/marketing/keydesk/members/{{identity.entity.name}}" {
  capabilities = ["update"]
}

path "secret/data/marketing/keydesk/keys/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/marketing/keydesk/keys/*" {
  capabilities = ["read", "list"]
}

# Provider accounts (name, API address, the management key sealed with the team's key):
# added ("create"), never changed in place by an editor; removed with their history (and
# sealed again under a new team key when a member is removed) by an admin.
path "secret/data/marketing/keydesk/accounts/*" {
  capabilities = ["create", "read"]
}

path "secret/metadata/marketing/keydesk/accounts/*" {
  capabilities = ["read", "list"]
}

# Incidents (suspected leaks): opened ("create") and closed ("update").
path "secret/data/marketing/keydesk/incidents/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/marketing/keydesk/incidents/*" {
  capabilities = ["read", "list"]
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
