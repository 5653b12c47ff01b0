//! The `anchord` binary: see `anchord --help`.

/// mimalloc, not glibc malloc. A resolver interleaves small long-lived
/// cache entries with each resolution's short-lived blocks; glibc's arenas
/// keep the holes between them (measured after 100,000 cached answers:
/// 26 MB in use, 64 MiB resident), mimalloc's size-segregated pages do not
/// (31 MiB resident for the same fill). `no_thp`: no transparent huge pages
/// for its arenas, which cost ~12 MiB of resident size here for nothing.
/// See README, "Memory".
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    anchord::cli::main()
}
