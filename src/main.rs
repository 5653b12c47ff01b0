//! The `anchord` binary: see `anchord --help`.

fn main() -> std::process::ExitCode {
    anchord::cli::main()
}
