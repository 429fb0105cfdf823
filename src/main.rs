//! The `keydesk` binary: glue only. Everything lives in the library.

fn main() -> std::process::ExitCode {
    keydesk::cli::main()
}
