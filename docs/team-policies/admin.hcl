# Keydesk team vault: an ADMIN makes the team vault, adds and removes members, and removes
# keys for good (with their history), on top of what an editor does.
#
# Mount "secret", path "marketing/keydesk": replace both with yours, then
#   bao policy write keydesk-admin admin.hcl

path "secret/data/marketing/keydesk/team" {
  capabilities = ["create", "read", "update"]
}

# Taking back a team vault whose making failed half-way (before it had a member).
path "secret/metadata/marketing/keydesk/team" {
  capabilities = ["delete"]
}

path "secret/data/marketing/keydesk/members/*" {
  capabilities = ["create", "read", "update", "delete"]
}

path "secret/metadata/marketing/keydesk/members/*" {
  capabilities = ["read", "list", "delete"]
}

path "secret/data/marketing/keydesk/keys/*" {
  capabilities = ["create", "read", "update", "delete"]
}

path "secret/metadata/marketing/keydesk/keys/*" {
  capabilities = ["read", "list", "delete"]
}

# A member's older copies of the team's key (the invitation a code opens, the copy an old
# password opens) are destroyed when they join or change their password.
path "secret/destroy/marketing/keydesk/members/*" {
  capabilities = ["update"]
}

# Removing a member replaces the team's key and destroys every key's older versions (sealed
# under the key the removed member held).
path "secret/destroy/marketing/keydesk/keys/*" {
  capabilities = ["update"]
}

# Provider accounts: removed with their history (the sealed management key leaves the server),
# and sealed again under a new team key when a member is removed.
path "secret/data/marketing/keydesk/accounts/*" {
  capabilities = ["create", "read", "update", "delete"]
}

path "secret/metadata/marketing/keydesk/accounts/*" {
  capabilities = ["read", "list", "delete"]
}

path "secret/destroy/marketing/keydesk/accounts/*" {
  capabilities = ["update"]
}

# Incidents: sealed again under a new team key when a member is removed.
path "secret/data/marketing/keydesk/incidents/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/marketing/keydesk/incidents/*" {
  capabilities = ["read", "list"]
}

path "secret/destroy/marketing/keydesk/incidents/*" {
  capabilities = ["update"]
}

# The team's audit trail: entries are added ("create"), never changed ("update" is not
# given), so the trail only grows; every member records what they do, reveals included.
path "secret/data/marketing/keydesk/audit/*" {
  capabilities = ["create", "read"]
}
