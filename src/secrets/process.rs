//! The process that holds keys: no core dump of it. A crash while a key is in memory (a copy,
//! a reveal, the data key of an unlocked vault) must not write that memory to disk.

/// Turns core dumps off for this process: not dumpable (which also keeps other processes of
/// the same user from attaching a debugger) and a core size limit of 0. Returns why it could
/// not, in words; the caller says it and goes on.
#[cfg(target_os = "linux")]
pub fn forbid_core_dumps() -> Result<(), String> {
    use nix::sys::resource::{Resource, setrlimit};
    setrlimit(Resource::RLIMIT_CORE, 0, 0)
        .map_err(|error| format!("the core size limit could not be set to 0 ({error})"))?;
    nix::sys::prctl::set_dumpable(false)
        .map_err(|error| format!("the process could not be made undumpable ({error})"))
}

/// Elsewhere the operating system's own settings apply.
#[cfg(not(target_os = "linux"))]
pub fn forbid_core_dumps() -> Result<(), String> {
    Ok(())
}

/// Whether core dumps are off for this process (Linux: not dumpable and a core limit of 0).
#[cfg(target_os = "linux")]
pub fn core_dumps_forbidden() -> bool {
    let limit = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_CORE);
    nix::sys::prctl::get_dumpable() == Ok(false) && limit == Ok((0, 0))
}
