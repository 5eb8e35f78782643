//! The `gcsync` binary: everything lives in the library; this only maps the exit code.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(gcsync::cli::main_with_args(std::env::args_os().collect()))
}
