//! KeePassXC's XML export: `KeePassFile/Root/Group`, groups nested in groups, each `Entry`
//! with `String` fields (`Key`/`Value`: Title, UserName, Password, URL, Notes, and any custom
//! field) and `Times/CreationTime`. An entry's `History` holds its older versions, which are
//! not keys to import; entries in the recycle bin are skipped and listed.
//!
//! roxmltree refuses a DTD, so no entity can expand (no "billion laughs") and nothing outside
//! the file is read.

use roxmltree::{Document, Node, ParsingOptions};

use super::fields::{is_secret_field, left_out, names_a_secret, paired};
use super::{Fields, ImportError, Parsed, Problem, integration_from_url};

/// More nodes than any real export of a few thousand keys holds.
const MAX_NODES: u32 = 5_000_000;

pub(super) fn read_xml(text: &str) -> Result<Parsed, ImportError> {
    let options = ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES, ..ParsingOptions::default() };
    let doc = Document::parse_with_options(text, options).map_err(|error| ImportError::NotThisFormat {
        format: "KeePassXC XML export",
        detail: format!("the XML cannot be read ({error})"),
    })?;
    let root = doc.root_element();
    if !root.has_tag_name("KeePassFile") {
        return Err(ImportError::NotThisFormat {
            format: "KeePassXC XML export",
            detail: format!("its top element is <{}>, not <KeePassFile>", clip_tag(root.tag_name().name())),
        });
    }
    let recycle_bin = child(root, "Meta")
        .and_then(|meta| child(meta, "RecycleBinUUID"))
        .and_then(|n| n.text())
        .filter(|uuid| !uuid.is_empty());
    let mut parsed = Parsed::default();
    let Some(top) = child(root, "Root") else { return Ok(parsed) };
    walk(text, top, recycle_bin, &mut parsed);
    Ok(parsed)
}

fn clip_tag(name: &str) -> String {
    name.chars().take(40).collect()
}

fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|n| n.has_tag_name(name))
}

fn text_of(node: Node<'_, '_>, name: &str) -> String {
    child(node, name).and_then(|n| n.text()).unwrap_or("").to_owned()
}

/// Every group below `root`, in the file's order, with an explicit stack of the groups being
/// read (a file of 50,000 nested groups would overflow the call stack of a recursive walk).
/// The path below the database's top group ("Root") is each entry's tag.
fn walk(text: &str, root: Node<'_, '_>, recycle_bin: Option<&str>, parsed: &mut Parsed) {
    let mut lines = super::Lines::new(text);
    let mut path: Vec<String> = Vec::new();
    // Each group being read: its children left, whether it is in the recycle bin, and whether
    // its name is on the path.
    let mut stack = vec![(root.children(), false, false)];
    while let Some((children, in_bin, named)) = stack.last_mut() {
        let (in_bin, named) = (*in_bin, *named);
        let Some(node) = children.next() else {
            if named {
                path.pop();
            }
            stack.pop();
            continue;
        };
        if node.has_tag_name("Group") {
            let in_bin = in_bin || recycle_bin.is_some_and(|uuid| text_of(node, "UUID") == uuid);
            // The top group is the database itself: tags are the path below it.
            let top = stack.len() == 1;
            if !top {
                path.push(text_of(node, "Name"));
            }
            stack.push((node.children(), in_bin, !top));
        } else if node.has_tag_name("Entry") && stack.len() > 1 {
            let line = lines.at(node.range().start);
            if in_bin {
                parsed.problems.push(Problem::new(line, "in the recycle bin: not imported").of(&title(node)));
                continue;
            }
            match entry(node, line, &path).into_row() {
                Ok(row) => parsed.rows.push(row),
                Err(problem) => parsed.problems.push(problem),
            }
        }
    }
}

/// An entry's title.
fn title(entry: Node<'_, '_>) -> String {
    entry
        .children()
        .filter(|n| n.has_tag_name("String"))
        .find(|string| text_of(*string, "Key") == "Title")
        .map(|string| text_of(string, "Value"))
        .unwrap_or_default()
}

fn entry(node: Node<'_, '_>, line: usize, path: &[String]) -> Fields {
    let mut fields = Fields { line, ..Fields::default() };
    let mut custom = Vec::new();
    let mut secrets = Vec::new();
    for string in node.children().filter(|n| n.has_tag_name("String")) {
        let key = text_of(string, "Key");
        let value = zeroize::Zeroizing::new(text_of(string, "Value"));
        match key.as_str() {
            "Title" => fields.label = value.to_string(),
            "Password" => fields.secret = value,
            "URL" => fields.integrations.extend(integration_from_url(&value)),
            "UserName" => fields.username = value.to_string(),
            "Notes" => fields.notes.push(value.to_string()),
            _ if value.trim().is_empty() => {}
            _ => {
                // A protected attribute, or one named like a secret (a TOTP seed, a PIN, a
                // second password) is a secret: never copied into the notes, which vault.ron
                // keeps in plain text.
                let protected =
                    child(string, "Value").and_then(|v| v.attribute("ProtectInMemory")) == Some("True");
                if is_secret_field(&key, &value, protected) {
                    secrets.push((key, value));
                } else {
                    custom.push(format!("{key}: {}", value.as_str()));
                }
            }
        }
    }
    for (key, value) in secrets {
        match paired(&fields.secret, &value) {
            Some(joined) if names_a_secret(&key) => fields.secret = zeroize::Zeroizing::new(joined),
            _ => fields.notices.push(left_out(&key)),
        }
    }
    for binary in node.children().filter(|n| n.has_tag_name("Binary")) {
        fields.notices.push(format!(
            "attachment \"{}\" left out: Keydesk keeps no files (save it from KeePassXC if you need it)",
            text_of(binary, "Key").chars().take(60).collect::<String>()
        ));
    }
    fields.notes.extend(custom);
    if let Some(times) = child(node, "Times") {
        fields.created = kdbx_time(&text_of(times, "CreationTime"));
        if text_of(times, "Expires").eq_ignore_ascii_case("true") {
            fields.expires = kdbx_time(&text_of(times, "ExpiryTime"));
        }
    }
    if !path.is_empty() {
        // A tag is at most a label long: of a deep path, the groups nearest the entry.
        // (Joined from the entry up, so a path 50,000 groups deep costs no more than a short one.)
        let mut tag = String::new();
        for name in path.iter().rev() {
            if tag.chars().count() > crate::vault::MAX_LABEL {
                break;
            }
            tag = if tag.is_empty() { name.clone() } else { format!("{name}/{tag}") };
        }
        let skip = tag.chars().count().saturating_sub(crate::vault::MAX_LABEL);
        fields.tags.push(tag.chars().skip(skip).collect());
    }
    fields.tags.extend(text_of(node, "Tags").split([';', ',']).map(str::to_owned));
    fields
}

/// A time as KDBX 4 writes it — base64 of 8 bytes, little-endian seconds since 0001-01-01
/// UTC — as RFC 3339; any other text (KDBX 3 writes RFC 3339 itself) as it is.
fn kdbx_time(text: &str) -> String {
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD.decode(text.trim()).ok();
    let Some(bytes) = decoded.and_then(|b| <[u8; 8]>::try_from(b).ok()) else { return text.to_owned() };
    let seconds = i64::from_le_bytes(bytes);
    chrono::NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .and_then(|start| start.checked_add_signed(chrono::TimeDelta::try_seconds(seconds)?))
        .map_or_else(|| text.to_owned(), |at| at.and_utc().to_rfc3339())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    const EXPORT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<KeePassFile>
  <Meta><RecycleBinUUID>YmluYmluYmluYmluYmluYg==</RecycleBinUUID></Meta>
  <Root>
    <Group>
      <UUID>cm9vdHJvb3Ryb290cm9vdA==</UUID>
      <Name>Root</Name>
      <Group>
        <UUID>ZW1haWxlbWFpbGVtYWlsZQ==</UUID>
        <Name>Email</Name>
        <Entry>
          <UUID>ZW50cnllbnRyeWVudHJ5ZQ==</UUID>
          <Times><CreationTime>2025-03-04T05:06:07Z</CreationTime></Times>
          <String><Key>Title</Key><Value>Newsletter</Value></String>
          <String><Key>UserName</Key><Value>ops@example.com</Value></String>
          <String><Key>Password</Key><Value ProtectInMemory="True">value-one</Value></String>
          <String><Key>URL</Key><Value>https://app.example.com/settings</Value></String>
          <String><Key>Notes</Key><Value>weekly &amp; monthly</Value></String>
          <History>
            <Entry><String><Key>Title</Key><Value>Old title</Value></String><String><Key>Password</Key><Value>old</Value></String></Entry>
          </History>
        </Entry>
      </Group>
      <Group>
        <UUID>YmluYmluYmluYmluYmluYg==</UUID>
        <Name>Recycle Bin</Name>
        <Entry><String><Key>Title</Key><Value>Deleted</Value></String><String><Key>Password</Key><Value>gone</Value></String></Entry>
      </Group>
      <Entry><String><Key>Title</Key><Value>No password</Value></String></Entry>
    </Group>
  </Root>
</KeePassFile>"#;

    #[test]
    fn entries_history_and_recycle_bin() {
        let parsed = read_xml(EXPORT).unwrap();
        assert_eq!(parsed.rows.len(), 1);
        let row = &parsed.rows[0];
        assert_eq!((row.line, row.meta.label.as_str()), (11, "Newsletter"));
        assert_eq!(row.secret.expose_secret(), "value-one");
        assert_eq!(row.tags, ["Email"]);
        assert_eq!(row.meta.notes, "Username: ops@example.com\nweekly & monthly");
        assert_eq!(row.meta.integrations[0].name, "app.example.com");
        assert_eq!(row.created_at.map(|t| t.to_rfc3339()).as_deref(), Some("2025-03-04T05:06:07+00:00"));
        let problems: Vec<_> = parsed.problems.iter().map(|p| (p.line, p.reason.as_str())).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0], (27, "in the recycle bin: not imported"));
        assert_eq!(problems[1].0, 29);
    }

    #[test]
    fn protected_attributes_stay_out_of_the_notes() {
        let xml = r#"<KeePassFile><Root><Group><Name>Root</Name><Entry>
          <String><Key>Title</Key><Value>Newsletter</Value></String>
          <String><Key>Password</Key><Value ProtectInMemory="True">value-one</Value></String>
          <String><Key>otp</Key><Value ProtectInMemory="True">otpauth://totp/seed-value</Value></String>
          <String><Key>Region</Key><Value>EU</Value></String>
        </Entry></Group></Root></KeePassFile>"#;
        let parsed = read_xml(xml).unwrap();
        assert_eq!(parsed.rows[0].meta.notes, "Region: EU");
        assert!(parsed.rows[0].notices[0].starts_with("\"otp\" left out"), "{:?}", parsed.rows[0].notices);
    }

    #[test]
    fn fifty_thousand_nested_groups_are_walked_without_recursion() {
        let depth = 50_000;
        let mut xml = String::from("<KeePassFile><Root><Group><Name>Root</Name>");
        for _ in 0..depth {
            xml.push_str("<Group><Name>g</Name>");
        }
        xml.push_str("<Entry><String><Key>Title</Key><Value>Deep</Value></String>");
        xml.push_str("<String><Key>Password</Key><Value>deep-value</Value></String></Entry>");
        for _ in 0..depth {
            xml.push_str("</Group>");
        }
        xml.push_str("<Entry><String><Key>Title</Key><Value>Shallow</Value></String>");
        xml.push_str("<String><Key>Password</Key><Value>shallow-value</Value></String></Entry>");
        xml.push_str("</Group></Root></KeePassFile>");
        // The test thread's stack (2 MB) is the size a recursive walk overflowed.
        #[allow(clippy::disallowed_methods, reason = "a thread of a known stack size, in a test")]
        let parsed = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                read_xml(&xml).map(|p| (p.rows.len(), p.rows[0].tags.clone(), p.rows[1].tags.clone()))
            })
            .unwrap()
            .join()
            .unwrap();
        let (rows, deep, shallow) = parsed.unwrap();
        assert_eq!(rows, 2);
        assert_eq!(deep[0].chars().count(), crate::vault::MAX_LABEL);
        assert!(shallow.is_empty());
    }

    #[test]
    fn kdbx_4_times_are_read() {
        assert_eq!(kdbx_time("yISb4g4AAAA="), "2026-11-27T14:03:52+00:00");
        assert_eq!(kdbx_time("2025-03-04T05:06:07Z"), "2025-03-04T05:06:07Z");
        assert_eq!(kdbx_time("////////////"), "////////////");
    }

    #[test]
    fn a_dtd_or_another_document_is_refused() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><KeePassFile>&a;</KeePassFile>";
        assert!(matches!(read_xml(bomb), Err(ImportError::NotThisFormat { .. })));
        assert!(matches!(read_xml("<html/>"), Err(ImportError::NotThisFormat { .. })));
    }
}
