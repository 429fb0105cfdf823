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

/// The glibc tunable every command that derives a key runs with: malloc asks the kernel for
/// transparent huge pages (`MADV_HUGEPAGE`) for its large mappings, among them Argon2id's
/// 64 MiB of working memory. Filling it with 4 KiB pages costs 16,384 page faults and a TLB
/// miss on most of Argon2's random reads; with 2 MiB pages the derivation takes ≈ 60 ms instead
/// of ≈ 97 ms on a two-core machine (the median of 15 fresh processes each; see BENCHMARKS.md).
/// Where the kernel has huge pages turned off, glibc leaves it as it was.
pub const KDF_TUNABLES: &str = "glibc.malloc.hugetlb=1";

/// Starts this program again, under the same process id and with the same arguments, with
/// `tunables` in `GLIBC_TUNABLES` — glibc reads them only when a process starts (`mallopt`
/// or `madvise` on Argon2's memory would need `unsafe`). Called before anything is read from
/// the user (a password on standard input must reach the restarted program). Nothing happens
/// when `GLIBC_TUNABLES` is set already (by the first start, or by the user), or when the
/// program cannot be started again: it then goes on as it is, only slower.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn restart_with_tunables(tunables: &str) {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("GLIBC_TUNABLES").is_some() {
        return;
    }
    let Ok(program) = std::env::current_exe() else { return };
    // `exec` returns only when it failed.
    let _failed = std::process::Command::new(program)
        .args(std::env::args_os().skip(1))
        .env("GLIBC_TUNABLES", tunables)
        .exec();
}

/// Other C libraries have no such tunables.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn restart_with_tunables(_tunables: &str) {}
