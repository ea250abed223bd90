//! Runs a child to its end and reads the resource usage that is its own: shared by the
//! benchmark and the test that checks lockstep's growth.

use std::process::Command;

/// Runs `command` to its end: its exit status (as `wait4` gives it) and its resource usage.
/// The child is started with fork: one started with vfork (std's default) inherits this
/// process's peak memory as its own when it execs, one started with fork counts only the
/// pages it copies. A pre-exec hook makes std fork.
// The child is reaped by `wait4` below, which std's `Child::wait` cannot replace: it does
// not return resource usage.
#[allow(clippy::zombie_processes)]
pub fn run_to_end(mut command: Command) -> Result<(i32, libc::rusage), String> {
    // SAFETY: the hook does nothing, so it is safe between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || Ok(()));
    }
    let child = command
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", command.get_program().to_string_lossy()))?;
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: waiting on our own child pid, which std never waits for because the `Child`
    // handle is not used again, with valid pointers.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if waited != pid {
        return Err(format!("wait4 on {pid} failed"));
    }
    Ok((status, usage))
}
