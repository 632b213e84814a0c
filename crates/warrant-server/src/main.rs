//! `warrant`: the Warrant authorization server and its administration CLI.

#![forbid(unsafe_code)]

/// glibc's allocator measured about 15 % of the server's time under load (many small
/// allocations per request across two threads); mimalloc does the same work faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    warrant_server::Warrant::new().main()
}
