//! The vault folder on disk: `vault.ron`, `vault.ron.bak`, `audit.ron`, `vault.lock`.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::{AUDIT_FILE, LOCK_FILE, StorageError, VAULT_FILE, VaultStorage};

/// An open vault folder. A writer holds the OS lock on `vault.lock` until it is dropped.
pub struct VaultDir {
    dir: PathBuf,
    lock: Option<File>,
}

/// The folder's absolute path, links resolved: what tells two folders apart.
pub fn folder_location(dir: &Path) -> Option<String> {
    fs::canonicalize(dir).ok().map(|path| path.to_string_lossy().into_owned())
}

impl VaultDir {
    /// Creates the folder (if needed) for a new vault and takes the write lock. Refuses a
    /// folder that already holds a `vault.ron`, readable or not.
    pub fn create(dir: &Path) -> Result<Self, StorageError> {
        create_private_folder(dir)?;
        let lock = take_lock(dir)?;
        let vault = dir.join(VAULT_FILE);
        if vault.exists() {
            return Err(StorageError::AlreadyExists { path: dir.to_owned() });
        }
        Ok(VaultDir { dir: dir.to_owned(), lock: Some(lock) })
    }

    /// Opens an existing vault folder; `write` takes the lock against a second writer.
    pub fn open(dir: &Path, write: bool) -> Result<Self, StorageError> {
        if !dir.join(VAULT_FILE).exists() {
            return Err(StorageError::NoVault { path: dir.to_owned() });
        }
        refuse_open_folder(dir)?;
        let lock = if write { Some(take_lock(dir)?) } else { None };
        let opened = VaultDir { dir: dir.to_owned(), lock };
        if write {
            opened.remove_stale_temp_files();
        }
        Ok(opened)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes down a restore before its first write ([`super::PENDING_RESTORE_FILE`]).
    pub fn write_pending_restore(&self, sealed: &[u8]) -> Result<(), StorageError> {
        let path = self.dir.join(super::PENDING_RESTORE_FILE);
        atomic_write(&path, sealed, false).map_err(|source| StorageError::Io {
            action: "write down the restore",
            path,
            source,
        })
    }

    /// The restore written down and not finished, if there is one.
    pub fn pending_restore(&self) -> Result<Option<Vec<u8>>, StorageError> {
        let path = self.dir.join(super::PENDING_RESTORE_FILE);
        match read_limited(&path, MAX_PENDING_RESTORE_BYTES, super::PENDING_RESTORE_FILE) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(Limited::Io(e)) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(Limited::Refused(error)) => Err(error),
            Err(Limited::Io(source)) => {
                Err(StorageError::Io { action: "read the restore written down", path, source })
            }
        }
    }

    /// The files of the folder Keydesk writes, with their sizes in bytes (`None`: absent).
    pub fn file_sizes(&self) -> Vec<(&'static str, Option<u64>)> {
        [VAULT_FILE, "vault.ron.bak", AUDIT_FILE, "secrets.ron"]
            .into_iter()
            .map(|name| (name, fs::symlink_metadata(self.dir.join(name)).ok().map(|meta| meta.len())))
            .collect()
    }

    /// The text of `vault.ron`.
    pub fn read_vault(&self) -> Result<String, StorageError> {
        let path = self.dir.join(VAULT_FILE);
        match read_limited(&path, MAX_VAULT_BYTES, VAULT_FILE) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|e| StorageError::Unreadable {
                file: VAULT_FILE,
                detail: format!("byte {} is not UTF-8 text", e.utf8_error().valid_up_to()),
                path,
            }),
            Err(Limited::Io(e)) if e.kind() == ErrorKind::NotFound => {
                Err(StorageError::NoVault { path: self.dir.clone() })
            }
            Err(Limited::Refused(error)) => Err(error),
            Err(Limited::Io(source)) => Err(StorageError::Io { action: "read the vault", path, source }),
        }
    }

    /// Temp files left by a save that was interrupted (the rename never happened).
    fn remove_stale_temp_files(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Only the names Keydesk's own saves use: other programs' files are theirs.
            let ours = [".vault.ron.", ".secrets.ron."].iter().any(|p| name.starts_with(p));
            if ours && name.ends_with(".tmp") {
                // Best effort: a leftover that cannot be removed harms nothing.
                let _already_gone = fs::remove_file(entry.path());
            }
        }
    }
}

impl VaultStorage for VaultDir {
    fn save(&mut self, text: &str) -> Result<(), StorageError> {
        if self.lock.is_none() {
            return Err(StorageError::ReadOnly { what: "the vault file" });
        }
        let path = self.dir.join(VAULT_FILE);
        atomic_replace(&path, text.as_bytes(), true).map_err(|failure| match failure {
            Replace::NotReplaced(source) => StorageError::Io { action: "save the vault", path, source },
            Replace::NotDurable(source) => StorageError::NotDurable { path, source },
        })
    }

    fn append_audit(&mut self, line: &str) -> Result<(), StorageError> {
        if self.lock.is_none() {
            return Err(StorageError::ReadOnly { what: "the audit log" });
        }
        let path = self.dir.join(AUDIT_FILE);
        let result = (|| {
            let file = no_follow(private_options().append(true).create(true)).open(&path)?;
            let before = regular(&file)?.len();
            let mut bytes = Vec::with_capacity(line.len() + 1);
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
            // A line goes in whole or not at all: a write cut short (disk full) is taken
            // back, so the next line never follows a torn one.
            let written = (&file).write_all(&bytes).and_then(|()| file.sync_data());
            if let Err(error) = written {
                let _taken_back = file.set_len(before).and_then(|()| file.sync_data());
                return Err(error);
            }
            Ok(())
        })();
        result.map_err(|source| StorageError::Io { action: "write the audit log", path, source })
    }

    fn drop_torn_audit_tail(&mut self) -> Result<bool, StorageError> {
        if self.lock.is_none() {
            return Err(StorageError::ReadOnly { what: "the audit log" });
        }
        let path = self.dir.join(AUDIT_FILE);
        let result = (|| {
            // Only the last byte is read in the usual case: a log that ends with a newline.
            // One handle, opened without following a link, for the look and the cut.
            let file = match no_follow(OpenOptions::new().read(true).write(true)).open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
                Err(e) => return Err(e),
            };
            let len = regular(&file)?.len();
            if len == 0 || last_byte(&file, len)? == b'\n' {
                return Ok(false);
            }
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut &file, &mut bytes)?;
            let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |at| at + 1);
            file.set_len(keep as u64)?;
            file.sync_data()?;
            Ok(true)
        })();
        result.map_err(|source| StorageError::Io { action: "repair the audit log", path, source })
    }

    fn read_previous(&self) -> Option<String> {
        let path = self.dir.join(format!("{VAULT_FILE}.bak"));
        let bytes = read_limited(&path, MAX_VAULT_BYTES, "vault.ron.bak").ok()?;
        String::from_utf8(bytes).ok()
    }

    fn read_audit(&self) -> Result<String, StorageError> {
        let path = self.dir.join(AUDIT_FILE);
        match read_limited(&path, MAX_AUDIT_BYTES, AUDIT_FILE) {
            Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
            Err(Limited::Io(e)) if e.kind() == ErrorKind::NotFound => Ok(String::new()),
            Err(Limited::Refused(error)) => Err(error),
            Err(Limited::Io(source)) => Err(StorageError::Io { action: "read the audit log", path, source }),
        }
    }

    fn location(&self) -> Option<String> {
        folder_location(&self.dir)
    }

    fn read_vault_at(&self, location: &str) -> Result<Option<String>, StorageError> {
        let path = Path::new(location).join(VAULT_FILE);
        match read_limited(&path, MAX_VAULT_BYTES, VAULT_FILE) {
            Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            Err(Limited::Io(e)) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                Ok(None)
            }
            Err(Limited::Refused(error)) => Err(error),
            Err(Limited::Io(source)) => Err(StorageError::Io { action: "read the vault", path, source }),
        }
    }
}

#[cfg(unix)]
fn last_byte(file: &File, len: u64) -> std::io::Result<u8> {
    use std::os::unix::fs::FileExt;
    let mut byte = [0u8; 1];
    file.read_exact_at(&mut byte, len - 1)?;
    Ok(byte[0])
}

#[cfg(not(unix))]
fn last_byte(file: &File, len: u64) -> std::io::Result<u8> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = file;
    file.seek(SeekFrom::Start(len - 1))?;
    let mut byte = [0u8; 1];
    file.read_exact(&mut byte)?;
    Ok(byte[0])
}

/// Whether the vault folder `dir` holds a restore written down and not finished.
pub fn has_pending_restore(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join(super::PENDING_RESTORE_FILE)).is_ok_and(|meta| meta.is_file())
}

/// Forgets the restore written down in the vault folder `dir`, once it is finished (the
/// restored vault, which holds the folder's lock, may still be open).
pub fn clear_pending_restore(dir: &Path) -> Result<(), StorageError> {
    let path = dir.join(super::PENDING_RESTORE_FILE);
    match fs::remove_file(&path) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            return Err(StorageError::Io { action: "remove the finished restore's note", path, source: e });
        }
        _ => {}
    }
    sync_dir(dir).map_err(|source| StorageError::Io {
        action: "sync the vault folder",
        path: dir.to_owned(),
        source,
    })
}

/// The largest restore written down read back: a backup's own limit.
const MAX_PENDING_RESTORE_BYTES: u64 = 1024 * 1024 * 1024;

/// The largest `vault.ron` read: far above 10,000 keys (a few MB).
pub const MAX_VAULT_BYTES: u64 = 64 * 1024 * 1024;
/// The largest `audit.ron` read.
pub const MAX_AUDIT_BYTES: u64 = 512 * 1024 * 1024;

/// Why a bounded read did not happen.
pub enum Limited {
    /// The file is not one Keydesk reads (not a regular file, or too large).
    Refused(StorageError),
    Io(std::io::Error),
}

/// Reads `path` if it is a regular file of at most `max` bytes. A FIFO, a device or a
/// folder is refused before anything is read from it (a FIFO would hang, `/dev/zero` would
/// never end), and so is a file over the limit. What is checked is the opened handle, so the
/// file cannot be swapped between the look and the read; on Linux it is opened without
/// waiting, so a FIFO does not hang the open either.
pub fn read_limited(path: &Path, max: u64, file: &'static str) -> Result<Vec<u8>, Limited> {
    use std::io::Read;
    let refused =
        |detail: String| Limited::Refused(StorageError::Unreadable { file, detail, path: path.to_owned() });
    #[cfg(not(target_os = "linux"))]
    if !fs::metadata(path).map_err(Limited::Io)?.is_file() {
        return Err(refused("it is not a regular file".to_owned()));
    }
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits());
    }
    let opened = options.open(path).map_err(Limited::Io)?;
    let metadata = opened.metadata().map_err(Limited::Io)?;
    if !metadata.is_file() {
        return Err(refused("it is not a regular file".to_owned()));
    }
    if metadata.len() > max {
        return Err(refused(format!("it is larger than Keydesk reads ({} MiB)", max / 1024 / 1024)));
    }
    let mut bytes = Vec::new();
    opened.take(max + 1).read_to_end(&mut bytes).map_err(Limited::Io)?;
    if bytes.len() as u64 > max {
        return Err(refused(format!("it is larger than Keydesk reads ({} MiB)", max / 1024 / 1024)));
    }
    Ok(bytes)
}

/// How long a writer waits for another one to finish before giving up.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn take_lock(dir: &Path) -> Result<File, StorageError> {
    let path = dir.join(LOCK_FILE);
    let file = no_follow(private_options().read(true).write(true).create(true).truncate(false))
        .open(&path)
        .map_err(|source| StorageError::Io {
        action: "open the lock file",
        path: path.clone(),
        source,
    })?;
    // Another writer usually finishes within a moment (one save): wait for it a little.
    let waited_since = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) if waited_since.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(fs::TryLockError::WouldBlock) => return Err(StorageError::Locked { path }),
            Err(fs::TryLockError::Error(source)) => {
                return Err(StorageError::Io { action: "lock the vault", path, source });
            }
        }
    }
}

#[cfg(unix)]
fn make_private(dir: &Path) -> Result<(), StorageError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|source| StorageError::Io {
        action: "make the vault folder private",
        path: dir.to_owned(),
        source,
    })
}

#[cfg(not(unix))]
fn make_private(_dir: &Path) -> Result<(), StorageError> {
    Ok(())
}

/// A vault folder that other users may open is refused, with the command that fixes it.
#[cfg(unix)]
fn refuse_open_folder(dir: &Path) -> Result<(), StorageError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(dir)
        .map_err(|source| StorageError::Io {
            action: "look at the vault folder",
            path: dir.to_owned(),
            source,
        })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(StorageError::OpenToOthers { mode: mode & 0o777, path: dir.to_owned() });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_open_folder(_dir: &Path) -> Result<(), StorageError> {
    Ok(())
}

/// `options` made to refuse a symbolic link in place of the file (Linux: `O_NOFOLLOW`), so a
/// write meant for the vault folder never lands outside it.
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits());
    }
    options
}

/// The opened file's own metadata (fstat), when it is a regular file.
fn regular(file: &File) -> std::io::Result<fs::Metadata> {
    let metadata = file.metadata()?;
    if metadata.is_file() {
        Ok(metadata)
    } else {
        Err(std::io::Error::new(ErrorKind::InvalidInput, "not a regular file"))
    }
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Makes `dir` (and its parents) if it is not there, and makes it private to its user: a
/// folder chosen for a vault, local or team.
pub fn create_private_folder(dir: &Path) -> Result<(), StorageError> {
    create_private_dir(dir)?;
    make_private(dir)
}

fn create_private_dir(dir: &Path) -> Result<(), StorageError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| StorageError::Io {
        action: "create the vault folder",
        path: dir.to_owned(),
        source,
    })
}

/// Writes `bytes` to a new file at `path`, readable by the user alone, so that a crash at any
/// instant leaves either the whole file or nothing that holds any of `bytes`: on Linux the
/// file is written unnamed (`O_TMPFILE`) and linked at `path` once whole; elsewhere (or where
/// the file system cannot), under a temporary name next to it, which the next write to that
/// folder removes. An existing `path` is never replaced. For files that hold secrets in the
/// clear (an export).
pub fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let prefix = format!(".{name}.");
    remove_stale_private(dir, &prefix);
    #[cfg(target_os = "linux")]
    match write_unnamed(dir, path, bytes) {
        Ok(()) => return sync_dir(dir),
        // Linked, or refused because the name is taken: the answer either way.
        Err(Unnamed::Failed(error)) => return Err(error),
        Err(Unnamed::Unsupported) => {}
    }
    let mut temp = tempfile::Builder::new().prefix(&prefix).suffix(PRIVATE_TEMP_SUFFIX).tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist_noclobber(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// The end of the temporary names [`write_new_private`] uses where it cannot write unnamed.
const PRIVATE_TEMP_SUFFIX: &str = ".private-tmp";

/// Removes what a [`write_new_private`] of the same name left when it was killed. Best effort.
fn remove_stale_private(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(prefix) && name.ends_with(PRIVATE_TEMP_SUFFIX) {
            let _already_gone = fs::remove_file(entry.path());
        }
    }
}

#[cfg(target_os = "linux")]
enum Unnamed {
    /// The file system or kernel cannot make unnamed files (or `/proc` is missing): fall back.
    Unsupported,
    Failed(std::io::Error),
}

/// An unnamed file in `dir`, written whole and synced, then linked at `path` (through
/// `/proc/self/fd`, which needs no privilege); a kill before the link leaves nothing.
#[cfg(target_os = "linux")]
fn write_unnamed(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), Unnamed> {
    use nix::errno::Errno;
    use nix::fcntl::{AT_FDCWD, AtFlags, OFlag};
    use nix::unistd::linkat;
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let unsupported = |error: &std::io::Error| {
        error.raw_os_error().is_some_and(|code| {
            [Errno::EOPNOTSUPP, Errno::EISDIR, Errno::EINVAL, Errno::ENOENT].contains(&Errno::from_raw(code))
        })
    };
    let mut options = OpenOptions::new();
    options.write(true).mode(0o600).custom_flags(OFlag::O_TMPFILE.bits());
    let mut file = match options.open(dir) {
        Ok(file) => file,
        Err(error) if unsupported(&error) => return Err(Unnamed::Unsupported),
        Err(error) => return Err(Unnamed::Failed(error)),
    };
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(Unnamed::Failed)?;
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    match linkat(AT_FDCWD, proc_path.as_str(), AT_FDCWD, path, AtFlags::AT_SYMLINK_FOLLOW) {
        Ok(()) => Ok(()),
        Err(Errno::ENOENT) if !Path::new("/proc/self/fd").exists() => Err(Unnamed::Unsupported),
        Err(errno) => Err(Unnamed::Failed(std::io::Error::from(errno))),
    }
}

/// How an atomic replace failed.
#[derive(Debug)]
pub enum Replace {
    /// Before the rename: the old file is in place, nothing changed.
    NotReplaced(std::io::Error),
    /// After the rename: the new file is in place, but the folder was not made durable, so a
    /// crash could still bring the old one back. Whether the save "happened" is unknown.
    NotDurable(std::io::Error),
}

/// [`atomic_replace`], for callers that only need to know it failed.
pub fn atomic_write(path: &Path, bytes: &[u8], keep_backup: bool) -> std::io::Result<()> {
    atomic_replace(path, bytes, keep_backup).map_err(|failure| match failure {
        Replace::NotReplaced(error) | Replace::NotDurable(error) => error,
    })
}

/// Replaces `path` with `bytes` so that a crash at any instant leaves the old or the new file,
/// never a torn one: temp file in the same folder, fsync, (backup), rename, fsync the folder.
/// With `keep_backup`, the previous version stays as `<name>.bak`.
pub fn atomic_replace(path: &Path, bytes: &[u8], keep_backup: bool) -> Result<(), Replace> {
    replace_steps(path, bytes, keep_backup).map_err(Replace::NotReplaced)?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    sync_dir(dir).map_err(Replace::NotDurable)
}

/// Everything up to and including the rename.
fn replace_steps(path: &Path, bytes: &[u8], keep_backup: bool) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut temp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    if keep_backup && path.exists() {
        let backup = dir.join(format!("{name}.bak"));
        let staged = dir.join(format!(".{name}.bak.tmp"));
        let _already_gone = fs::remove_file(&staged);
        // A hard link keeps the old version without a moment where `path` is missing.
        if fs::hard_link(path, &staged).is_err() {
            fs::copy(path, &staged)?;
        }
        fs::rename(&staged, &backup)?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_keeps_backup() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f.ron");
        atomic_write(&path, b"one", true).expect("write");
        assert!(!dir.path().join("f.ron.bak").exists());
        atomic_write(&path, b"two", true).expect("write");
        atomic_write(&path, b"three", true).expect("write");
        assert_eq!(fs::read(&path).expect("read"), b"three");
        assert_eq!(fs::read(dir.path().join("f.ron.bak")).expect("read"), b"two");
        let names: Vec<_> =
            fs::read_dir(dir.path()).expect("list").flatten().map(|e| e.file_name()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_new_private_file_is_whole_owned_and_never_replaces_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys.csv");
        let stale = dir.path().join(".keys.csv.abc123.private-tmp");
        fs::write(&stale, "left by a kill").expect("write");
        write_new_private(&path, b"secret rows").expect("write");
        assert!(!stale.exists(), "what a killed write left is removed by the next");
        assert_eq!(fs::read(&path).expect("read"), b"secret rows");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(write_new_private(&path, b"other").is_err(), "an existing file is not replaced");
        assert_eq!(fs::read(&path).expect("read"), b"secret rows");
        let names: Vec<_> =
            fs::read_dir(dir.path()).expect("list").flatten().map(|e| e.file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn second_writer_is_refused_and_reader_is_not() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut first = VaultDir::create(dir.path()).expect("create");
        first.save("(format: 1)").expect("save");
        assert!(matches!(VaultDir::open(dir.path(), true), Err(StorageError::Locked { .. })));
        assert!(matches!(VaultDir::create(dir.path()), Err(StorageError::Locked { .. })));
        let reader = VaultDir::open(dir.path(), false).expect("readers need no lock");
        assert_eq!(reader.read_vault().expect("read"), "(format: 1)");
        drop(first);
        assert!(VaultDir::open(dir.path(), true).is_ok());
        assert!(matches!(VaultDir::create(dir.path()), Err(StorageError::AlreadyExists { .. })));
    }

    #[test]
    fn missing_vault_and_stale_temp_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(matches!(VaultDir::open(dir.path(), true), Err(StorageError::NoVault { .. })));
        fs::write(dir.path().join(VAULT_FILE), "x").expect("write");
        assert!(matches!(VaultDir::open(dir.path(), true), Err(StorageError::OpenToOthers { .. })));
        make_private(dir.path()).expect("chmod");
        fs::write(dir.path().join(".vault.ron.abc123.tmp"), "torn").expect("write");
        let opened = VaultDir::open(dir.path(), true).expect("open");
        assert!(!dir.path().join(".vault.ron.abc123.tmp").exists());
        let mut audit = opened;
        audit.append_audit("a").expect("append");
        audit.append_audit("b").expect("append");
        assert_eq!(audit.read_audit().expect("read"), "a\nb\n");
    }
}
