# Keydesk team vault: an EDITOR does what a reader does, and adds keys and changes them.
# Every write names the version it read (check-and-set), so two editors never overwrite each
# other. Removing keys for good, and managing members, is the admin's.
#
# Mount "secret", path "marketing/keydesk": replace both with yours, then
#   bao policy write keydesk-editor editor.hcl

path "secret/data/marketing/keydesk/team" {
  capabilities = ["read"]
}

# Every member's wrapped copy of the team's data key; "update" to join (see reader.hcl).
path "secret/data/marketing/keydesk/members/*" {
  capabilities = ["read", "update"]
}

# A member's older copies of the team's key (the invitation a code opens, the copy an old
# password opens) are destroyed when they join or change their password.
path "secret/destroy/marketing/keydesk/members/*" {
  capabilities = ["update"]
}

path "secret/data/marketing/keydesk/keys/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/marketing/keydesk/keys/*" {
  capabilities = ["read", "list"]
}

# Provider accounts: added ("create"), never changed in place; removing one is the admin's.
path "secret/data/marketing/keydesk/accounts/*" {
  capabilities = ["create", "read"]
}

path "secret/metadata/marketing/keydesk/accounts/*" {
  capabilities = ["read", "list"]
}

# Incidents: opened ("create") and closed ("update").
path "secret/data/marketing/keydesk/incidents/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/marketing/keydesk/incidents/*" {
  capabilities = ["read", "list"]
}

# The team's audit trail: entries are added ("create"), never changed ("update" is not
# given), so the trail only grows; every member records what they do, reveals included.
path "secret/data/marketing/keydesk/audit/*" {
  capabilities = ["create", "read"]
}
