//! Which browser a request comes from: the native host's parent processes, read from
//! `/proc`, named by program and profile folder ("Chromium (profile folder
//! ~/.config/chromium)"). The window asks once per such name whether that browser may ask
//! for keys.
//!
//! This names a browser for the user's consent; it is not a boundary against a program of the
//! same user, which the socket lets in anyway (its peer's user id is what is checked).

use std::path::Path;

/// How many parents are looked at above the host (a wrapper script or two lie between).
const MOST_PARENTS: usize = 4;

/// The browser that started the host process `pid`, in words; "a program that is not a
/// known browser (NAME)" when no parent is one.
pub fn browser_of(pid: i32) -> String {
    browser_in(Path::new("/proc"), pid)
}

/// [`browser_of`] over a `/proc` at `proc` (tests give one of their own).
pub fn browser_in(proc: &Path, pid: i32) -> String {
    let mut current = pid;
    let mut first_other = None;
    for _ in 0..=MOST_PARENTS {
        let Some((name, parent)) = stat(proc, current) else { break };
        let args = cmdline(proc, current);
        if let Some(browser) = known_browser(&name, args.first().map(String::as_str)) {
            return describe(browser, &args);
        }
        if first_other.is_none() && !is_go_between(&name) {
            first_other = Some(name);
        }
        if parent <= 1 {
            break;
        }
        current = parent;
    }
    format!("a program that is not a known browser ({})", first_other.unwrap_or_else(|| "unknown".into()))
}

/// A process's name and its parent's id, from `/proc/PID/stat` ("pid (name) state ppid …";
/// the name may hold spaces and parentheses, so it ends at the last ')').
fn stat(proc: &Path, pid: i32) -> Option<(String, i32)> {
    let text = read_small(&proc.join(pid.to_string()).join("stat"))?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?.to_owned();
    let parent = text.get(close + 1..)?.split_whitespace().nth(1)?.parse().ok()?;
    Some((name, parent))
}

/// A process's arguments, from `/proc/PID/cmdline`: NUL-separated, or one line of words
/// where the process rewrote its title (Chromium does, with a display).
fn cmdline(proc: &Path, pid: i32) -> Vec<String> {
    let text = read_small(&proc.join(pid.to_string()).join("cmdline")).unwrap_or_default();
    let args: Vec<&str> = text.split('\0').filter(|arg| !arg.is_empty()).collect();
    match args.as_slice() {
        [title] if title.contains(' ') => title.split_whitespace().map(str::to_owned).collect(),
        _ => args.into_iter().map(str::to_owned).collect(),
    }
}

/// At most 64 KiB of a `/proc` file, as text.
fn read_small(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path).ok()?.take(64 * 1024).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Shells and Keydesk itself, which stand between a browser and the host.
fn is_go_between(name: &str) -> bool {
    matches!(name, "sh" | "bash" | "dash" | "zsh" | "env" | "keydesk" | "keydesk-browser")
}

/// The browser a process is, by its name or its program's file name.
fn known_browser(name: &str, program: Option<&str>) -> Option<&'static str> {
    let program = program.map_or("", |p| p.rsplit('/').next().unwrap_or(p));
    [name, program].into_iter().find_map(|word| {
        let word = word.to_ascii_lowercase();
        Some(match () {
            () if word.starts_with("chromium") => "Chromium",
            () if word.starts_with("chrome") || word.starts_with("google-chrome") => "Google Chrome",
            () if word.starts_with("brave") => "Brave",
            () if word.starts_with("msedge") || word.starts_with("microsoft-edge") => "Microsoft Edge",
            () if word.starts_with("firefox") => "Firefox",
            () => return None,
        })
    })
}

/// "Chromium (profile folder …)": the user data folder the browser runs with, else its
/// default one.
fn describe(browser: &str, args: &[String]) -> String {
    let value = |flag: &str| {
        args.iter().find_map(|arg| arg.strip_prefix(flag)).filter(|v| !v.is_empty()).map(str::to_owned)
    };
    let folder = value("--user-data-dir=").or_else(|| {
        let at = args.iter().position(|arg| arg == "-profile")?;
        args.get(at + 1).cloned()
    });
    let profile = value("--profile-directory=");
    match (folder, profile) {
        (Some(folder), Some(profile)) => format!("{browser} (profile {profile} in {folder})"),
        (Some(folder), None) => format!("{browser} (profile folder {folder})"),
        (None, Some(profile)) => format!("{browser} (profile {profile})"),
        (None, None) => format!("{browser} (its default profile)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(proc: &Path, pid: i32, name: &str, parent: i32, args: &[&str]) {
        let dir = proc.join(pid.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("stat"), format!("{pid} ({name}) S {parent} 1 1 0")).unwrap();
        std::fs::write(dir.join("cmdline"), args.join("\0")).unwrap();
    }

    #[test]
    fn the_browser_above_a_wrapper_script_is_named_with_its_profile_folder() {
        let proc = tempfile::tempdir().unwrap();
        process(
            proc.path(),
            900,
            "chromium",
            1,
            &["/usr/lib/chromium/chromium", "--user-data-dir=/tmp/p", "x"],
        );
        process(proc.path(), 950, "sh", 900, &["/bin/sh", "/usr/lib/keydesk/keydesk-browser-host"]);
        process(proc.path(), 951, "keydesk", 950, &["keydesk", "browser-host"]);
        assert_eq!(browser_in(proc.path(), 951), "Chromium (profile folder /tmp/p)");
    }

    #[test]
    fn a_name_with_parentheses_and_an_unknown_parent_are_said_plainly() {
        let proc = tempfile::tempdir().unwrap();
        process(proc.path(), 10, "evil) (chromium", 1, &["/home/u/evil"]);
        process(proc.path(), 11, "keydesk", 10, &["keydesk", "browser-host"]);
        assert_eq!(browser_in(proc.path(), 11), "a program that is not a known browser (evil) (chromium)");
        assert_eq!(browser_in(proc.path(), 4242), "a program that is not a known browser (unknown)");
    }

    #[test]
    fn a_title_rewritten_as_one_line_is_read_word_by_word() {
        let proc = tempfile::tempdir().unwrap();
        let title =
            "/usr/lib/chromium/chromium --headless=new --user-data-dir=/tmp/c --no-sandbox about:blank";
        process(proc.path(), 40, "chromium", 1, &[title]);
        process(proc.path(), 41, "keydesk", 40, &["keydesk", "browser-host"]);
        assert_eq!(browser_in(proc.path(), 41), "Chromium (profile folder /tmp/c)");
    }

    #[test]
    fn firefox_names_its_profile_and_chrome_its_profile_directory() {
        let proc = tempfile::tempdir().unwrap();
        process(
            proc.path(),
            20,
            "firefox-esr",
            1,
            &["/usr/lib/firefox-esr/firefox-esr", "-profile", "/p/ff"],
        );
        process(proc.path(), 21, "keydesk", 20, &["keydesk"]);
        assert_eq!(browser_in(proc.path(), 21), "Firefox (profile folder /p/ff)");
        process(proc.path(), 30, "chrome", 1, &["/opt/google/chrome/chrome", "--profile-directory=Work"]);
        process(proc.path(), 31, "keydesk", 30, &["keydesk"]);
        assert_eq!(browser_in(proc.path(), 31), "Google Chrome (profile Work)");
    }
}
