//! Secrets handed to the command line in a file or on stdin (a password file, a token file,
//! a key piped in): read whole, up to [`SECRET_INPUT_MAX`], into one buffer allocated at full
//! size and wiped when dropped. A pipe (`--password-file <(pass show …)`) is read as a file
//! is; `/dev/zero` or a huge file stops at the limit instead of filling the memory.

use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

/// The most a password, token or key read from a file or stdin may be.
pub const SECRET_INPUT_MAX: usize = 64 * 1024;

/// Why a secret was not read.
pub enum Bounded {
    /// More than [`SECRET_INPUT_MAX`] bytes.
    TooLong,
    Io(std::io::Error),
}

/// The whole of the file (or pipe) at `path`.
pub fn read_secret_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, Bounded> {
    let opened = std::fs::File::open(path).map_err(Bounded::Io)?;
    read_secret(opened)
}

/// Everything `reader` gives, up to [`SECRET_INPUT_MAX`] bytes (growing the buffer would
/// leave copies of the secret in freed memory, so it is allocated once).
pub fn read_secret(reader: impl Read) -> Result<Zeroizing<Vec<u8>>, Bounded> {
    let mut raw = Zeroizing::new(Vec::with_capacity(SECRET_INPUT_MAX + 1));
    reader.take(SECRET_INPUT_MAX as u64 + 1).read_to_end(&mut raw).map_err(Bounded::Io)?;
    if raw.len() > SECRET_INPUT_MAX {
        return Err(Bounded::TooLong);
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_kept_and_a_secret_at_it_is_whole() {
        let at_limit = vec![b'k'; SECRET_INPUT_MAX];
        assert_eq!(read_secret(&at_limit[..]).ok().map(|r| r.len()), Some(SECRET_INPUT_MAX));
        let over = vec![b'k'; SECRET_INPUT_MAX + 1];
        assert!(matches!(read_secret(&over[..]), Err(Bounded::TooLong)));
        assert!(matches!(read_secret(std::io::repeat(0)), Err(Bounded::TooLong)), "an endless source stops");
    }
}
