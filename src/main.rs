use clap::Parser;
use std::ffi::{c_int, c_long};
use std::process::ExitCode;

/// A check allocates and frees many small values (statements, names, findings) from several
/// threads; glibc's allocator spent about a third of the CPU of a 2,000-file run. With
/// mimalloc the bench's one-folder run takes about a quarter less CPU and a fifth less wall
/// time, for about 15% more peak memory (`no_thp`: transparent huge pages would add more).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (mimalloc.h of the v3 sources that
/// libmimalloc-sys builds); the test below checks it against the option's default.
const MI_OPTION_PURGE_DELAY: c_int = 15;

extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
}

/// mimalloc gives freed memory back to the system 1,000 ms after it is freed, longer than a
/// whole check of a long folder takes, so all that the parse frees stays resident to the
/// end. After 10 ms the one-folder bench peaks about 3 MiB lower at no measurable CPU cost
/// (1 ms saves a little more for a few percent more CPU). `MIMALLOC_PURGE_DELAY` still
/// decides when it is set.
fn shorten_purge_delay() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain store to mimalloc's option table, made at the start of `main`
        // before any other thread exists to read it.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
    }
}

/// Stack for every thread that parses: a statement of tens of thousands of chained operators
/// is a syntax tree that deep, and building or dropping it recurses once per level. The
/// memory is only reserved; pages are used as deep as a statement actually goes.
const PARSER_STACK_BYTES: usize = 512 << 20;

fn main() -> ExitCode {
    shorten_purge_delay();
    let cli = match lockstep::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; everything else is a usage error (2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // The worker threads that lint files get the same stack; failing to configure them only
    // leaves rayon's default.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(PARSER_STACK_BYTES)
        .build_global();
    let run = std::thread::Builder::new()
        .name("lockstep".into())
        .stack_size(PARSER_STACK_BYTES)
        .spawn(move || lockstep::cli::run(cli).code());
    match run.map(|handle| handle.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        // The run panicked (its message is already printed) or could not start: an I/O error.
        _ => ExitCode::from(2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" {
        fn mi_option_get(option: c_int) -> c_long;
    }

    #[test]
    fn the_purge_delay_option_is_the_one_mimalloc_defaults_to_a_second() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            eprintln!("skipped: MIMALLOC_PURGE_DELAY is set, so the default cannot be seen");
            return;
        }
        // SAFETY: reads and sets one integer option.
        unsafe {
            assert_eq!(mi_option_get(MI_OPTION_PURGE_DELAY), 1000);
            shorten_purge_delay();
            assert_eq!(mi_option_get(MI_OPTION_PURGE_DELAY), 10);
        }
    }
}
