//! The OpenBao policies a team vault's members need, made for one vault's mount and path
//! from one template: what `keydesk team policy reader|editor|admin` prints.
//!
//! A member's own entry (their wrapped copy of the team's key) is named by their OpenBao
//! identity, `{{identity.entity.name}}`: a reader's or an editor's token may write that entry
//! alone, so no member can overwrite another's copy. The entity's name must be the member's
//! name in the team vault (`--member`).

use super::kv::Location;

/// What a member may do in the team vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Lists, shows and reveals keys; changes nothing but their own member entry.
    Reader,
    /// A reader who also adds and changes keys, accounts and incidents.
    Editor,
    /// An editor who also makes the vault, manages members and removes keys for good.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Reader, Role::Editor, Role::Admin];

    /// The policy's name on the server, as `keydesk-editor`.
    pub fn policy_name(self) -> &'static str {
        match self {
            Role::Reader => "keydesk-reader",
            Role::Editor => "keydesk-editor",
            Role::Admin => "keydesk-admin",
        }
    }

    fn word(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    fn summary(self) -> &'static str {
        match self {
            Role::Reader => {
                "a READER lists and shows the keys and reveals or copies their secrets\n# (sealed on the server: the member's own password opens them). A reader changes nothing\n# but their own member entry."
            }
            Role::Editor => {
                "an EDITOR does what a reader does, and adds keys and changes them.\n# Every write names the version it read (check-and-set), so two editors never overwrite each\n# other. Removing keys for good, and managing members, is the admin's."
            }
            Role::Admin => {
                "an ADMIN makes the team vault, adds and removes members, and removes\n# keys for good (with their history), on top of what an editor does."
            }
        }
    }
}

/// The path part that names the member asking: their OpenBao entity's name.
pub const SELF: &str = "{{identity.entity.name}}";

/// One `path` block of the template: the engine's API (`data`, `metadata`, `destroy`), the
/// path under the vault's folder, each role's capabilities, and the comment above it.
struct Rule {
    api: &'static str,
    under: &'static str,
    reader: &'static [&'static str],
    editor: &'static [&'static str],
    admin: &'static [&'static str],
    note: &'static str,
}

const R: &[&str] = &["read"];
const RL: &[&str] = &["read", "list"];
const RLD: &[&str] = &["read", "list", "delete"];
const RU: &[&str] = &["read", "update"];
const U: &[&str] = &["update"];
const CR: &[&str] = &["create", "read"];
const CRU: &[&str] = &["create", "read", "update"];
const CRUD: &[&str] = &["create", "read", "update", "delete"];
const NONE: &[&str] = &[];

/// The template every policy is made from.
const RULES: &[Rule] = &[
    Rule { api: "data", under: "team", reader: R, editor: R, admin: CRU, note: "" },
    Rule {
        api: "metadata",
        under: "team",
        reader: NONE,
        editor: NONE,
        admin: &["delete"],
        note: "Taking back a team vault whose making failed half-way (before it had a member).",
    },
    Rule {
        api: "data",
        under: "members/*",
        reader: R,
        editor: R,
        admin: CRUD,
        note: "Every member's wrapped copy of the team's data key (useless without that member's\npassword).",
    },
    Rule {
        api: "data",
        under: "members/SELF",
        reader: RU,
        editor: RU,
        admin: NONE,
        note: "The member's own entry, named by their OpenBao identity (the entity's name is their\nmember name): \"update\" to join (their invitation is replaced by a copy under their own\npassword) and to change their password. Nobody else's entry.",
    },
    Rule { api: "metadata", under: "members/*", reader: NONE, editor: NONE, admin: RLD, note: "" },
    Rule {
        api: "destroy",
        under: "members/SELF",
        reader: U,
        editor: U,
        admin: NONE,
        note: "A member's older copies of the team's key (the invitation a code opens, the copy an old\npassword opens) are destroyed when they join or change their password.",
    },
    Rule {
        api: "destroy",
        under: "members/*",
        reader: NONE,
        editor: NONE,
        admin: U,
        note: "A member's older copies of the team's key (the invitation a code opens, the copy an old\npassword opens) are destroyed when they join or change their password.",
    },
    Rule { api: "data", under: "keys/*", reader: R, editor: CRU, admin: CRUD, note: "" },
    Rule { api: "metadata", under: "keys/*", reader: RL, editor: RL, admin: RLD, note: "" },
    Rule {
        api: "destroy",
        under: "keys/*",
        reader: NONE,
        editor: NONE,
        admin: U,
        note: "Removing a member replaces the team's key and destroys every key's older versions (sealed\nunder the key the removed member held).",
    },
    Rule {
        api: "data",
        under: "accounts/*",
        reader: R,
        editor: CR,
        admin: CRUD,
        note: "Provider accounts (name, API address, the management key sealed with the team's key):\nadded (\"create\"), never changed in place by an editor; removed with their history (and\nsealed again under a new team key when a member is removed) by an admin.",
    },
    Rule { api: "metadata", under: "accounts/*", reader: RL, editor: RL, admin: RLD, note: "" },
    Rule { api: "destroy", under: "accounts/*", reader: NONE, editor: NONE, admin: U, note: "" },
    Rule {
        api: "data",
        under: "incidents/*",
        reader: R,
        editor: CRU,
        admin: CRU,
        note: "Incidents (suspected leaks): opened (\"create\") and closed (\"update\").",
    },
    Rule { api: "metadata", under: "incidents/*", reader: RL, editor: RL, admin: RL, note: "" },
    Rule { api: "destroy", under: "incidents/*", reader: NONE, editor: NONE, admin: U, note: "" },
    Rule {
        api: "data",
        under: "packs/*",
        reader: R,
        editor: CRU,
        admin: CRU,
        note: "The pack: every key's entry (sealed, as under keys/) in a few large entries, so a first\nload reads a few dozen entries instead of one a key; written anew, and the older parts\nremoved, by members who may change keys.",
    },
    Rule {
        api: "metadata",
        under: "packs/*",
        reader: NONE,
        editor: &["delete"],
        admin: &["delete"],
        note: "",
    },
    Rule {
        api: "data",
        under: "audit/*",
        reader: CR,
        editor: CR,
        admin: CR,
        note: "The team's audit trail: entries are added (\"create\"), never changed (\"update\" is not\ngiven), so the trail only grows; every member records what they do, reveals included.",
    },
];

/// The HCL policy for `role` in the team vault at `location`'s mount and path.
pub fn policy(role: Role, location: &Location) -> String {
    let name = role.policy_name();
    let mut text = format!(
        "# Keydesk team vault: {}\n#\n# Made by `keydesk team policy {}` for mount \"{}\", path \"{}\"; install it with\n#   bao policy write {name} {}.hcl\n# A token also needs OpenBao's \"default\" policy (its own lookup and renewal), which\n# tokens get unless made with -no-default-policy.\n",
        role.summary(),
        role.word(),
        location.mount,
        location.path,
        role.word(),
    );
    for rule in RULES {
        let capabilities = match role {
            Role::Reader => rule.reader,
            Role::Editor => rule.editor,
            Role::Admin => rule.admin,
        };
        if capabilities.is_empty() {
            continue;
        }
        text.push('\n');
        for line in rule.note.lines() {
            text.push_str(&format!("# {line}\n"));
        }
        let under = rule.under.replace("SELF", SELF);
        let quoted: Vec<String> = capabilities.iter().map(|c| format!("\"{c}\"")).collect();
        text.push_str(&format!(
            "path \"{}/{}/{}/{under}\" {{\n  capabilities = [{}]\n}}\n",
            location.mount,
            rule.api,
            location.path,
            quoted.join(", ")
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn default_location() -> Location {
        Location::new("http://127.0.0.1:8200", "secret", "marketing/keydesk").unwrap()
    }

    #[test]
    fn the_documented_policies_are_what_the_command_prints_for_the_default_path() {
        let documented = [
            (Role::Reader, include_str!("../../docs/team-policies/reader.hcl")),
            (Role::Editor, include_str!("../../docs/team-policies/editor.hcl")),
            (Role::Admin, include_str!("../../docs/team-policies/admin.hcl")),
        ];
        for (role, text) in documented {
            assert_eq!(text, policy(role, &default_location()), "docs/team-policies/{}.hcl", role.word());
        }
    }

    #[test]
    fn readers_and_editors_write_only_their_own_member_entry() {
        let location = Location::new("http://127.0.0.1:8200", "kv", "team/a").unwrap();
        for role in [Role::Reader, Role::Editor] {
            let text = policy(role, &location);
            assert!(text.contains("path \"kv/data/team/a/members/{{identity.entity.name}}\" {\n  capabilities = [\"read\", \"update\"]"), "{text}");
            assert!(
                text.contains("path \"kv/data/team/a/members/*\" {\n  capabilities = [\"read\"]\n"),
                "{text}"
            );
            assert!(!text.contains("kv/destroy/team/a/members/*"), "{text}");
            assert!(!text.contains("secret/") && !text.contains("marketing/keydesk"), "{text}");
        }
        let admin = policy(Role::Admin, &location);
        assert!(admin.contains("path \"kv/data/team/a/members/*\" {\n  capabilities = [\"create\", \"read\", \"update\", \"delete\"]"));
        assert!(!admin.contains("identity.entity"), "{admin}");
    }
}
