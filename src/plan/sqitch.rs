//! Plans as sqitch changes: each phase is a change with `deploy/<change>.sql`,
//! `revert/<change>.sql` (its rollback) and `verify/<change>.sql`, and a line appended to
//! `sqitch.plan` that `requires` the phase before it.
//!
//! sqitch's PostgreSQL engine hands each script to `psql` as it is, in autocommit mode
//! and with `ON_ERROR_STOP`: it opens no transaction. A transactional phase therefore
//! carries its own `BEGIN`/`COMMIT` (so `SET LOCAL lock_timeout` holds, and an error
//! leaves nothing half done), and a `CONCURRENTLY` build or a batched backfill runs bare,
//! as it must.
//!
//! `sqitch verify` runs the verify script of every deployed change, long after it was
//! deployed: the check of an expand phase would fail once its contract phase has dropped
//! what it checks. So a verify script checks its phase's condition only while no later
//! phase of the same plan is in sqitch's registry (`sqitch.changes`, its default
//! location); `sqitch deploy --verify` runs it before the change is recorded, when the
//! condition must hold.
//!
//! Change names derive from identifiers in the input (`[a-z0-9_]` only, see
//! [`super::sql::derived_ident`]) and are checked against sqitch's rules anyway before a
//! line is written; notes are escaped the way sqitch reads them back, so nothing from
//! the input can add a line to the plan.

use super::render::{comment_line, OutFile, PhaseContext, Role};
use super::sql;
use super::PlanError;
use std::fmt::Write;
use std::path::Path;

/// The plan file beside `deploy/`, `revert/` and `verify/`.
pub const PLAN_FILE: &str = "sqitch.plan";

/// The change name of a phase file stem (`expand_orders_code`).
pub fn change_name(stem: &str) -> Result<String, PlanError> {
    if valid_change_name(stem) {
        Ok(stem.to_string())
    } else {
        Err(PlanError(format!(
            "`{}` is not a sqitch change name",
            stem.escape_default()
        )))
    }
}

/// sqitch's rules for a change name (`sqitchchanges`): no blanks, none of `:@#\`, no
/// punctuation (other than `_`) first or last, no `~^/=%` followed by digits at the end,
/// not `ROOT` or `HEAD`, and not something that could be read as a SHA1 id. Stricter than
/// sqitch: ASCII letters, digits, `_` and `-` only, so that a name is also a plain file
/// name.
pub fn valid_change_name(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let looks_like_sha1 = name.len() >= 40
        && name[..40]
            .chars()
            .all(|c| matches!(c, '0'..='9' | 'a'..='f'));
    !name.is_empty()
        && name.chars().all(allowed)
        && edge(name.chars().next())
        && edge(name.chars().last())
        && !matches!(name, "ROOT" | "HEAD")
        && !looks_like_sha1
}

/// The verify script and the plan line of the phase of `context`, named `change`.
pub fn change_files(
    context: &PhaseContext,
    change: &str,
    index: usize,
) -> Result<Vec<OutFile>, PlanError> {
    let plan = context.plan;
    let stem_of = |position: usize| change_name(&plan.phase_stem(position));
    let later = (context.position + 1..plan.phases.len())
        .map(stem_of)
        .collect::<Result<Vec<_>, _>>()?;
    let requires = context.position.checked_sub(1).map(stem_of).transpose()?;
    let note = format!(
        "lockstep plan: {}, phase {} of {} ({})",
        plan.title,
        context.position + 1,
        plan.phases.len(),
        context.phase.kind.name()
    );
    Ok(vec![
        OutFile {
            name: format!("verify/{change}.sql"),
            text: verify_script(context, change, &later),
            role: Role::Verify,
            phase: index,
        },
        OutFile {
            name: PLAN_FILE.to_string(),
            text: plan_line(change, requires.as_deref(), &note, &Planner::from_env()),
            role: Role::PlanEntry,
            phase: index,
        },
    ])
}

/// A `DO` block that raises unless the phase's verify query gives the expected answer,
/// skipped once one of `later` (the plan's later phases) is deployed.
fn verify_script(context: &PhaseContext, change: &str, later: &[String]) -> String {
    let verify = &context.phase.verify;
    let mut text = String::new();
    comment_line(
        &mut text,
        format_args!("-- lockstep plan: {}", context.plan.title),
    );
    comment_line(
        &mut text,
        format_args!(
            "-- Verify of phase {} of {}, {}: {} gives {}.",
            context.position + 1,
            context.plan.phases.len(),
            context.phase.kind.name(),
            verify.query,
            verify.expected
        ),
    );
    let expected = sql::literal(&verify.expected);
    let check = format!(
        "  IF ({query}) IS DISTINCT FROM {expected} THEN\n    RAISE EXCEPTION 'verify of %: expected %, got %', {change}, {expected}, ({query});\n  END IF;\n",
        query = verify.query,
        change = sql::literal(change),
    );
    let body = if later.is_empty() {
        format!("\nBEGIN\n{check}END\n")
    } else {
        comment_line(
            &mut text,
            format_args!("-- Once a later phase of this plan is deployed ({}), what this phase checks has moved on: the check is skipped.", later.join(", ")),
        );
        let names: Vec<String> = later.iter().map(|n| sql::literal(n)).collect();
        format!(
            "\nDECLARE\n  later_phase_deployed boolean := false;\nBEGIN\n  IF to_regclass('sqitch.changes') IS NOT NULL THEN\n    EXECUTE 'SELECT EXISTS (SELECT 1 FROM sqitch.changes WHERE change = ANY ($1))'\n      INTO later_phase_deployed USING ARRAY[{}]::text[];\n  END IF;\n  -- Planned only when reached: the query may name what a later phase dropped.\n  IF later_phase_deployed THEN\n    RETURN;\n  END IF;\n{check}END\n",
            names.join(", ")
        )
    };
    let _ = writeln!(text, "DO {};", sql::dollar_quoted(&body));
    text
}

/// Who the plan lines name as their planner: sqitch's own `SQITCH_FULLNAME` and
/// `SQITCH_EMAIL` when set, else lockstep.
struct Planner {
    name: String,
    email: String,
}

impl Planner {
    fn from_env() -> Planner {
        // sqitch reads the name up to `<` and the email up to `>`.
        let clean = |value: String, bad: &[char]| -> Option<String> {
            let value: String = value
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .filter(|c| !bad.contains(c))
                .collect();
            let value = value.trim().to_string();
            (!value.is_empty()).then_some(value)
        };
        let var = |name: &str, bad: &[char]| std::env::var(name).ok().and_then(|v| clean(v, bad));
        Planner {
            name: var("SQITCH_FULLNAME", &['<', '>', '#', '\\'])
                .unwrap_or_else(|| "lockstep".into()),
            email: var("SQITCH_EMAIL", &['<', '>', '#', '\\', ' '])
                .unwrap_or_else(|| "lockstep@localhost".into()),
        }
    }
}

/// `name [requires] timestamp planner <email> # note`, one line.
fn plan_line(change: &str, requires: Option<&str>, note: &str, planner: &Planner) -> String {
    let requires = requires.map(|r| format!(" [{r}]")).unwrap_or_default();
    format!(
        "{change}{requires} {} {} <{}> # {}\n",
        utc_timestamp(now()),
        planner.name,
        planner.email,
        escape_note(note)
    )
}

/// A note as sqitch reads it back: `\\`, `\n` and `\r` are its escapes; any other control
/// character becomes a space.
fn escape_note(note: &str) -> String {
    let mut out = String::new();
    for c in note.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Seconds since the epoch: `SOURCE_DATE_EPOCH` when set (reproducible output, as in
/// reproducible builds), else the clock.
fn now() -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
}

/// `2024-01-15T10:30:00Z`, the timestamp format of a plan line.
fn utc_timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// `entries` (plan lines) with each line that requires nothing (a plan's first phase)
/// requiring `change` too: the change that held the planned statement, so that sqitch
/// deploys the phases after it and reverts them before it.
pub fn require_change(entries: &str, change: &str) -> String {
    let mut out = String::new();
    for line in entries.lines() {
        match line.split_once(' ') {
            Some((name, rest)) if !rest.starts_with('[') => {
                let _ = writeln!(out, "{name} [{change}] {rest}");
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// Whether the plan text `plan` holds the change `name`.
pub fn is_planned(plan: &str, name: &str) -> bool {
    planned_changes(plan).contains(&name)
}

/// The change names a plan file already holds.
fn planned_changes(plan: &str) -> Vec<&str> {
    plan.lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|first| !first.starts_with(['%', '#', '@']))
        .map(|first| first.trim_start_matches(['+', '-']))
        .collect()
}

/// The lines of `entries` to append to the plan at `path`: refused when a change is
/// already planned there, unless `force` (which keeps the plan's own line for it and
/// leaves that change out of the append).
pub fn lines_to_append(path: &Path, entries: &str, force: bool) -> Result<String, PlanError> {
    // A link planted at the plan's name is neither read nor written through.
    crate::write_file::check_replaceable(path, true).map_err(PlanError)?;
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(PlanError(format!("{}: cannot read: {e}", path.display()))),
    };
    let planned = planned_changes(&existing);
    let mut out = String::new();
    for line in entries.lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        if planned.contains(&name) {
            if force {
                continue;
            }
            return Err(PlanError(format!(
                "{}: change `{name}` is planned already; pass --force to keep that line and write its scripts again",
                path.display()
            )));
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

/// Appends `lines` to the plan at `path`, atomically: the new file is the old one byte for
/// byte (with a final newline added when it lacks one), then the lines. A missing plan
/// (`--out` into an empty folder) starts as a fragment saying where the lines go.
pub fn append(path: &Path, lines: &str) -> Result<(), PlanError> {
    crate::write_file::check_replaceable(path, true).map_err(PlanError)?;
    let mut text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            b"# lockstep plan: append these changes to the project's sqitch.plan\n".to_vec()
        }
        Err(e) => return Err(PlanError(format!("{}: cannot read: {e}", path.display()))),
    };
    if lines.is_empty() {
        return Ok(());
    }
    if !text.is_empty() && !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text.extend_from_slice(lines.as_bytes());
    crate::write_file::write_atomically(path, &text, true).map_err(PlanError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_names_follow_sqitch_rules() {
        assert!(valid_change_name("expand_orders_code"));
        assert!(valid_change_name("_foo"));
        for bad in [
            "", "-foo", "foo-", "foo bar", "foo:bar", "foo@bar", "foo#x", "foo\\x", "HEAD",
            "foo\nbar", "foo^6",
        ] {
            assert!(!valid_change_name(bad), "{bad:?}");
        }
        assert!(!valid_change_name(&"a".repeat(40)));
    }

    #[test]
    fn notes_cannot_add_a_line() {
        assert_eq!(escape_note("a\nb\\n\rc\u{7}"), "a\\nb\\\\n\\rc ");
        let planner = Planner {
            name: "lockstep".into(),
            email: "lockstep@localhost".into(),
        };
        let line = plan_line("contract_x", Some("expand_x"), "x\n@evil", &planner);
        assert_eq!(line.lines().count(), 1);
        assert!(line.starts_with("contract_x [expand_x] "), "{line}");
    }

    #[test]
    fn the_first_phase_requires_the_planned_change() {
        let entries = "expand_x 2024-01-01T00:00:00Z a <a@b> # n\nbackfill_x [expand_x] 2024-01-01T00:00:00Z a <a@b> # n\n";
        assert_eq!(
            require_change(entries, "change_orders"),
            "expand_x [change_orders] 2024-01-01T00:00:00Z a <a@b> # n\nbackfill_x [expand_x] 2024-01-01T00:00:00Z a <a@b> # n\n"
        );
        let plan = "%project=x\n\n+change_orders 2024-01-01T00:00:00Z a <a@b> # n\n";
        assert!(is_planned(plan, "change_orders"));
        assert!(!is_planned(plan, "x"));
    }

    #[test]
    fn timestamps_are_utc_dates() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_704_112_496), "2024-01-01T12:34:56Z");
    }

    #[cfg(unix)]
    #[test]
    fn a_plan_that_is_a_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "precious").unwrap();
        let plan = dir.path().join(PLAN_FILE);
        std::os::unix::fs::symlink(&target, &plan).unwrap();
        assert!(lines_to_append(&plan, "x 2024-01-01T00:00:00Z a <a@b> # n\n", true).is_err());
        assert!(append(&plan, "x 2024-01-01T00:00:00Z a <a@b> # n\n").is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
    }

    #[test]
    fn a_planned_change_is_not_planned_twice() {
        let dir = tempfile::tempdir().unwrap();
        let plan = dir.path().join(PLAN_FILE);
        std::fs::write(
            &plan,
            "%project=x\n\nexpand_x 2024-01-01T00:00:00Z a <a@b> # n",
        )
        .unwrap();
        let entries = "expand_x 2024-01-02T00:00:00Z a <a@b> # n\ncontract_x [expand_x] 2024-01-02T00:00:00Z a <a@b> # n\n";
        assert!(lines_to_append(&plan, entries, false).is_err());
        let lines = lines_to_append(&plan, entries, true).unwrap();
        append(&plan, &lines).unwrap();
        let text = std::fs::read_to_string(&plan).unwrap();
        assert_eq!(
            text,
            "%project=x\n\nexpand_x 2024-01-01T00:00:00Z a <a@b> # n\ncontract_x [expand_x] 2024-01-02T00:00:00Z a <a@b> # n\n"
        );
    }
}
