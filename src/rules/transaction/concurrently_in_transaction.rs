use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::session::Transaction;
use crate::statement::{AlterAction, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX ...
    /// CONCURRENTLY` and `DETACH PARTITION ... CONCURRENTLY` inside a transaction: an
    /// explicit `BEGIN`, or the one the migration framework wraps around each file.
    ///
    /// ## Why is this bad?
    /// PostgreSQL refuses these statements inside a transaction block
    /// (`cannot run inside a transaction block`), so the migration fails at deploy time.
    /// Flyway, sqlx, Diesel, dbmate and goose wrap each migration in a transaction unless
    /// the file opts out. This holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// BEGIN;
    /// CREATE INDEX CONCURRENTLY users_name_idx ON users (name);
    /// COMMIT;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE INDEX CONCURRENTLY users_name_idx ON users (name);
    /// ```
    /// Put the statement in a migration of its own that runs without a transaction, with
    /// the framework's marker: goose `-- +goose NO TRANSACTION`, dbmate
    /// `-- migrate:up transaction:false`, sqlx `-- no-transaction` on the first line, a
    /// Flyway `V3__x.sql.conf` with `executeInTransaction=false`.
    pub static RULE = Rule {
        id: "concurrently-in-transaction",
        group: Group::Transaction,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "CONCURRENTLY cannot run inside a transaction block",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let what = match &statement.kind {
        StatementKind::CreateIndex(i) if i.concurrently => "CREATE INDEX CONCURRENTLY",
        StatementKind::DropIndex {
            concurrently: true, ..
        } => "DROP INDEX CONCURRENTLY",
        StatementKind::Reindex {
            concurrently: true, ..
        } => "REINDEX CONCURRENTLY",
        StatementKind::Repack {
            concurrently: true, ..
        } => "REPACK (CONCURRENTLY)",
        StatementKind::AlterTable { actions, .. }
            if actions.iter().any(|a| {
                matches!(
                    a,
                    AlterAction::DetachPartition {
                        concurrently: true,
                        ..
                    }
                )
            }) =>
        {
            "DETACH PARTITION CONCURRENTLY"
        }
        _ => return,
    };
    let whose = match ctx.session.transaction {
        Transaction::None => return,
        Transaction::Explicit => "the transaction this file opens with BEGIN",
        Transaction::Implicit => "the transaction the migration framework wraps around this file",
    };
    ctx.report(
        Finding::new(&RULE, statement.span, format!("{what} cannot run inside {whose}: PostgreSQL refuses it"))
            .help("move it to a migration of its own that runs outside a transaction (the framework's no-transaction marker)"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    #[test]
    fn flags_concurrently_after_begin() {
        insta::assert_snapshot!(lint_err(
            "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;",
            &RULE
        ));
        lint_err("BEGIN;\nDROP INDEX CONCURRENTLY i;\nCOMMIT;", &RULE);
    }

    #[test]
    fn quiet_outside_a_transaction_and_after_commit() {
        lint_ok("CREATE INDEX CONCURRENTLY i ON t (a);", &RULE);
        lint_ok(
            "BEGIN;\nCREATE TABLE x (a int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (a);",
            &RULE,
        );
    }

    #[test]
    fn flags_reindex_and_detach_concurrently_in_a_transaction() {
        lint_err(
            "BEGIN;\nREINDEX (CONCURRENTLY) TABLE users;\nCOMMIT;",
            &RULE,
        );
        lint_err(
            "BEGIN;\nALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;\nCOMMIT;",
            &RULE,
        );
        lint_err("BEGIN;\nREPACK (CONCURRENTLY) users;\nCOMMIT;", &RULE);
    }

    /// Each framework's default transaction, and its opt-out marker.
    #[test]
    fn follows_the_implicit_transaction_of_each_framework() {
        let index = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n";
        let wrapped: [(&str, String); 4] = [
            // Flyway wraps a script unless all of it is what a transaction refuses.
            (
                "V3__idx.sql",
                format!("ALTER TABLE users ADD COLUMN n text;\n{index}"),
            ),
            ("20240101000000_idx.sql", format!("-- migrate:up\n{index}")),
            ("00003_idx.sql", format!("-- +goose Up\n{index}")),
            (
                "3_idx.up.sql",
                "REINDEX INDEX CONCURRENTLY users_email_idx;\n".to_string(),
            ),
        ];
        for (name, sql) in &wrapped {
            let found = lint_folder(&[(name, sql)], &RULE);
            let wanted = if name.ends_with(".up.sql") { 0 } else { 1 };
            assert_eq!(found.len(), wanted, "{name}: {found:?}");
        }
        let opted_out: [(&str, String); 2] = [
            (
                "20240101000000_idx.sql",
                format!("-- migrate:up transaction:false\n{index}"),
            ),
            (
                "00003_idx.sql",
                format!("-- +goose NO TRANSACTION\n-- +goose Up\n{index}"),
            ),
        ];
        for (name, sql) in &opted_out {
            let found = lint_folder(&[(name, sql)], &RULE);
            assert!(found.is_empty(), "{name}: {found:?}");
        }
    }

    #[test]
    fn flyway_runs_a_script_of_only_concurrent_statements_outside_a_transaction() {
        let only = "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\
                    DROP INDEX CONCURRENTLY users_old_idx;\n";
        assert!(lint_folder(&[("V2__index_email.sql", only)], &RULE).is_empty());
        // Mixed with a transactional statement, Flyway refuses the script (unless `mixed`).
        let mixed = "ALTER TABLE users ADD COLUMN nickname text;\n\
                     CREATE INDEX CONCURRENTLY users_nickname_idx ON users (nickname);\n";
        assert_eq!(lint_folder(&[("V3__nickname.sql", mixed)], &RULE).len(), 1);
    }

    #[test]
    fn a_goose_statement_block_of_several_statements_is_one_transaction() {
        // goose sends the block as one query string: PostgreSQL wraps it in a transaction,
        // even in a NO TRANSACTION file. A block of one statement is not wrapped.
        let block = "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\n\
                     CREATE INDEX CONCURRENTLY a ON users (email);\n\
                     CREATE INDEX CONCURRENTLY b ON users (name);\n-- +goose StatementEnd\n\
                     CREATE INDEX CONCURRENTLY c ON users (score);\n";
        let found = lint_folder(&[("00004_idx.sql", block)], &RULE);
        assert_eq!(found.len(), 2, "{found:?}");
        let single = "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\n\
                      CREATE INDEX CONCURRENTLY a ON users (email);\n-- +goose StatementEnd\n";
        assert!(lint_folder(&[("00005_idx.sql", single)], &RULE).is_empty());
    }
}
