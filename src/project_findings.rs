//! Findings about the project rather than one file, folded from the per-file ones.
//!
//! The timeout rules are right on every file that requests a blocking lock without a
//! timeout, but a project whose files never set one usually sets it in the runner (the
//! connection string, `ALTER ROLE ... SET lock_timeout`) or not at all: either way the
//! same warning on every file says nothing new after the first. When no reported file
//! mentions the setting, the first finding stays, says how many files share it, and the
//! others are dropped. A project that sets it in some files and not in others keeps every
//! finding: there the files without it are the exception.

use crate::report::FileReport;
use crate::text::contains_ignore_ascii_case;

/// A timeout rule and the session setting that quiets it.
struct TimeoutRule {
    rule: &'static str,
    setting: &'static str,
    /// Whether `[session]` in lockstep.toml can say the runner sets it.
    in_session_config: bool,
}

const TIMEOUT_RULES: [TimeoutRule; 3] = [
    TimeoutRule {
        rule: "missing-lock-timeout",
        setting: "lock_timeout",
        in_session_config: true,
    },
    TimeoutRule {
        rule: "mysql-missing-lock-wait-timeout",
        setting: "lock_wait_timeout",
        in_session_config: true,
    },
    TimeoutRule {
        rule: "missing-statement-timeout",
        setting: "statement_timeout",
        in_session_config: false,
    },
];

/// Keeps one finding per timeout rule when no file of `files` sets that timeout.
pub fn fold_timeout_findings(files: &mut [FileReport]) {
    for timeout in &TIMEOUT_RULES {
        let with_finding: Vec<usize> = files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.findings.iter().any(|x| x.rule.id == timeout.rule))
            .map(|(i, _)| i)
            .collect();
        // Only a project with the finding in several files needs the (whole-text) search.
        if with_finding.len() < 2
            || files
                .iter()
                .any(|f| contains_ignore_ascii_case(&f.source, timeout.setting))
        {
            continue;
        }
        // The first file at the highest severity keeps it (a rollback's note must not
        // stand for the deploys' warnings).
        let severity_in = |i: usize| {
            files[i]
                .findings
                .iter()
                .filter(|x| x.rule.id == timeout.rule)
                .map(|x| x.severity)
                .max()
        };
        let highest = with_finding.iter().map(|&i| severity_in(i)).max().flatten();
        let Some(first) = with_finding
            .iter()
            .copied()
            .find(|&i| severity_in(i) == highest)
        else {
            continue;
        };
        let rest: Vec<usize> = with_finding.into_iter().filter(|&i| i != first).collect();
        for &i in &rest {
            files[i].findings.retain(|x| x.rule.id != timeout.rule);
        }
        if let Some(kept) = files[first]
            .findings
            .iter_mut()
            .filter(|x| x.rule.id == timeout.rule)
            .max_by_key(|x| x.severity)
        {
            let others = match rest.len() {
                1 => "1 more file has".to_string(),
                n => format!("{n} more files have"),
            };
            kept.message.push_str(&format!(
                " (no migration sets {}; {others} statements like this one, reported here once)",
                timeout.setting
            ));
            if timeout.in_session_config {
                let help = kept.help.take().unwrap_or_default();
                kept.help = Some(format!(
                    "{help}; if the migration runner sets {setting} for every session (connection string, ALTER ROLE ... SET), say so with `{setting}` in lockstep.toml's [session] table",
                    setting = timeout.setting
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::locking::missing_lock_timeout::RULE;
    use crate::rules::testing::lint_folder;

    const ALTER: &str = "ALTER TABLE users ADD COLUMN note text;\n";

    #[test]
    fn a_project_that_never_sets_the_timeout_hears_it_once() {
        let found = lint_folder(
            &[
                ("V1__a.sql", ALTER),
                ("V2__b.sql", ALTER),
                ("V3__c.sql", ALTER),
            ],
            &RULE,
        );
        let files: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(files, ["V1__a.sql"]);
        let message = &found[0].1.message;
        assert!(
            message.contains("no migration sets lock_timeout; 2 more files"),
            "{message}"
        );
    }

    #[test]
    fn a_rollbacks_note_does_not_stand_for_the_deploys_warnings() {
        let found = lint_folder(
            &[
                ("1_a.up.sql", ALTER),
                ("1_a.down.sql", "ALTER TABLE users DROP COLUMN note;\n"),
                ("2_b.up.sql", ALTER),
            ],
            &RULE,
        );
        let kept: Vec<(&str, crate::diagnostic::Severity)> = found
            .iter()
            .map(|(f, x)| (f.as_str(), x.severity))
            .collect();
        assert_eq!(kept, [("1_a.up.sql", crate::diagnostic::Severity::Warning)]);
    }

    #[test]
    fn files_that_skip_a_timeout_others_set_each_hear_it() {
        let set = "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN a text;\n";
        let found = lint_folder(
            &[
                ("V1__a.sql", set),
                ("V2__b.sql", ALTER),
                ("V3__c.sql", ALTER),
            ],
            &RULE,
        );
        let files: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(files, ["V2__b.sql", "V3__c.sql"]);
        assert!(!found[0].1.message.contains("more files"));
    }
}
