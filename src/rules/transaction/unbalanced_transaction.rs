use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::session::Transaction;
use crate::span::Span;
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags transaction control that does not pair up: a `BEGIN` while a transaction is
    /// already open (one the file opened, or the one the migration framework wraps around
    /// it), a `COMMIT` or `ROLLBACK` inside the framework's transaction or with no
    /// transaction open, and a `BEGIN` the file never commits. A `COMMIT` or `ROLLBACK`
    /// inside the framework's transaction with statements after it is an error; the rest
    /// are warnings.
    ///
    /// ## Why is this bad?
    /// PostgreSQL does not nest transactions. A second `BEGIN` only prints `WARNING: there
    /// is already a transaction in progress`; the first `COMMIT` then commits everything,
    /// and the statements after it run outside any transaction, so a failure there leaves
    /// half the migration applied. Inside a file that Flyway, sqlx, Diesel, dbmate or goose
    /// wraps in a transaction, the file's own `COMMIT` ends the framework's transaction
    /// early in the same way. A `BEGIN` that is never committed leaves the transaction
    /// open when the file ends: the server rolls it back when the connection closes, while
    /// the tool may already have recorded the migration as applied. This holds on every
    /// PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// BEGIN;
    /// ALTER TABLE labels ADD COLUMN colour text;
    /// BEGIN;
    /// ALTER TABLE labels ADD COLUMN weight int;
    /// COMMIT;
    /// ALTER TABLE labels ADD COLUMN size int;
    /// COMMIT;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// BEGIN;
    /// ALTER TABLE labels ADD COLUMN colour text;
    /// ALTER TABLE labels ADD COLUMN weight int;
    /// ALTER TABLE labels ADD COLUMN size int;
    /// COMMIT;
    /// ```
    /// One `BEGIN` and one `COMMIT` per file, and none at all in a file the framework
    /// already runs in a transaction. Statements that must commit separately belong in
    /// migrations of their own.
    pub static RULE = Rule {
        id: "unbalanced-transaction",
        group: Group::Transaction,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "BEGIN inside an open transaction, COMMIT outside the file's own, or BEGIN never committed",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let session = ctx.session;
    // Inside one multi-statement query string, PostgreSQL turns its implicit transaction
    // into the file's own at BEGIN and ends it at COMMIT: both are allowed there.
    let framework = session.transaction == Transaction::Implicit && !session.one_query;
    let finding = match (&statement.kind, session.transaction) {
        (StatementKind::Begin, Transaction::Explicit) => Finding::new(
            &RULE,
            statement.span,
            "BEGIN inside a transaction the file already opened: PostgreSQL ignores it, the first COMMIT commits both, and what follows runs outside any transaction",
        )
        .help("remove the inner BEGIN and its COMMIT; split the file if parts must commit separately"),
        (StatementKind::Begin, Transaction::Implicit) if framework => Finding::new(
            &RULE,
            statement.span,
            "BEGIN inside the transaction the migration framework wraps around this file: PostgreSQL ignores it, and the file's COMMIT ends the framework's transaction early",
        )
        .help("remove BEGIN and COMMIT from the file: the framework already runs it in one transaction"),
        (StatementKind::Commit | StatementKind::Rollback, Transaction::Implicit) if framework => {
            let word = control_word(statement);
            if statements_follow(ctx, statement) {
                Finding::new(
                    &RULE,
                    statement.span,
                    format!("{word} inside the transaction the migration framework wraps around this file ends it early: the rest of the file runs outside a transaction, and a failure there leaves half the migration applied"),
                )
                .severity(Severity::Error)
                .help("remove it, or move the statements after it to a migration of their own")
            } else {
                Finding::new(
                    &RULE,
                    statement.span,
                    format!("{word} inside the transaction the migration framework wraps around this file ends it before the framework records the migration"),
                )
                .help(format!("remove this {word}: the framework commits the file itself"))
            }
        }
        (StatementKind::Commit | StatementKind::Rollback, Transaction::None) => {
            let word = control_word(statement);
            Finding::new(
                &RULE,
                statement.span,
                format!("{word} with no transaction open: PostgreSQL ignores it here, and where a runner wraps the file it ends that transaction early"),
            )
            .help(format!("remove this {word}, or add the BEGIN it was meant to close"))
        }
        _ => return,
    };
    ctx.report(finding);
}

/// Whether any statement follows `statement` in the file.
fn statements_follow(ctx: &Ctx, statement: &Statement) -> bool {
    !ctx.statements_after(statement).is_empty()
}

/// `COMMIT` or `ROLLBACK`, as the statement spells it (`END`, `ABORT`).
fn control_word(statement: &Statement) -> &'static str {
    match statement.kind {
        StatementKind::Rollback => "ROLLBACK",
        _ => "COMMIT",
    }
}

/// The finding for a `BEGIN` still open when its file (or section) ends; the engine
/// reports it, since no statement follows to carry it.
pub fn never_committed(begin: Span) -> Finding {
    Finding::new(
        &RULE,
        begin,
        "this transaction is never committed: it is still open when the file ends, and the server rolls it back when the connection closes",
    )
    .help("end the file with COMMIT")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    #[test]
    fn flags_a_begin_inside_an_open_transaction() {
        insta::assert_snapshot!(lint_err(
            "BEGIN;\nBEGIN;\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\nCOMMIT;",
            &RULE
        ));
    }

    #[test]
    fn flags_a_begin_never_committed() {
        insta::assert_snapshot!(lint_err(
            "BEGIN;\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\nSTART TRANSACTION;\nALTER TABLE t ADD COLUMN b int;",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_paired_transactions() {
        lint_ok(
            "BEGIN;\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\nBEGIN;\nALTER TABLE t ADD COLUMN b int;\nROLLBACK;",
            &RULE,
        );
        lint_ok("ALTER TABLE t ADD COLUMN a int;", &RULE);
    }

    #[test]
    fn flags_commit_inside_a_framework_transaction() {
        // Flyway wraps each migration in a transaction.
        let findings = lint_folder(
            &[(
                "V1__a.sql",
                "ALTER TABLE t ADD COLUMN a int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
            )],
            &RULE,
        );
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].1.severity, Severity::Error);
    }

    #[test]
    fn a_final_commit_inside_a_framework_transaction_is_a_warning() {
        let findings = lint_folder(
            &[
                (
                    "V1__a.sql",
                    "ALTER TABLE t ADD COLUMN a int;\nCOMMIT;\n-- done\n",
                ),
                // The file's own BEGIN ... COMMIT: one warning, at the BEGIN.
                (
                    "V2__b.sql",
                    "BEGIN;\nALTER TABLE t ADD COLUMN b int;\nCOMMIT;\n",
                ),
            ],
            &RULE,
        );
        let found: Vec<(&str, Severity, u32)> = findings
            .iter()
            .map(|(file, f)| (file.as_str(), f.severity, f.span.start))
            .collect();
        assert_eq!(
            found,
            [
                ("V1__a.sql", Severity::Warning, 32),
                ("V2__b.sql", Severity::Warning, 0)
            ]
        );
    }

    #[test]
    fn quiet_on_begin_and_commit_in_one_query_string() {
        // golang-migrate sends the file as one query: BEGIN and COMMIT are the file's own.
        let findings = lint_folder(
            &[(
                "1_a.up.sql",
                "BEGIN;\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\n",
            )],
            &RULE,
        );
        assert!(findings.is_empty(), "{findings:?}");
    }
}
