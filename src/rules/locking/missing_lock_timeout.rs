use crate::declare_rule;
use crate::diagnostic::{Blocks, Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::Statement;

declare_rule! {
    /// ## What it does
    /// Flags the first statement of a file that takes a lock blocking reads or writes on an
    /// existing table while no `lock_timeout` is set in the session. `SET lock_timeout = 0`
    /// means no timeout. Reported once per file.
    ///
    /// ## Why is this bad?
    /// A lock request waits behind every transaction that holds a conflicting lock, and
    /// while it waits every later query on the table queues behind it. One long-running
    /// report query then turns an instant `ADD COLUMN` (ACCESS EXCLUSIVE) into an outage of
    /// the table. A short `lock_timeout` makes the migration fail fast instead, so it can be
    /// retried. This holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD COLUMN nickname text;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET lock_timeout = '2s';
    /// ALTER TABLE users ADD COLUMN nickname text;
    /// ```
    /// Retry the migration when it times out. `SET LOCAL` inside a transaction works too.
    pub static RULE = Rule {
        id: "missing-lock-timeout",
        group: Group::Locking,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "a lock that blocks reads or writes is requested with no lock_timeout set",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    if ctx.session.lock_timeout_set {
        return;
    }
    let blocking: Vec<_> = ctx
        .locks(statement)
        .into_iter()
        .filter(|l| l.blocks() != Blocks::Nothing && !ctx.locks_new_table(l))
        .collect();
    let Some(strongest) = blocking.iter().max_by_key(|l| l.mode) else {
        return;
    };
    let message = format!(
        "this statement waits for {} on `{}` with no lock_timeout: while it waits, {} on the table queue behind it",
        strongest.mode,
        strongest.table,
        match strongest.blocks() {
            Blocks::ReadsAndWrites => "reads and writes",
            _ => "writes",
        }
    );
    ctx.report_once_per_file(
        Finding::new(&RULE, statement.span, message)
            .locks(blocking)
            .help("start the migration with `SET lock_timeout = '2s';` (or `SET LOCAL` inside its transaction) and retry when it times out"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;
    use crate::rules::testing::{lint, lint_err, lint_err_after, lint_ok};

    /// Dropping a foreign key takes ACCESS EXCLUSIVE on the table it references too
    /// (measured: `db_postgres_versions::dropping_a_foreign_key_locks_the_referenced_table_too`).
    #[test]
    fn a_foreign_key_drop_names_the_referenced_table() {
        let history = "CREATE TABLE parents (id bigint PRIMARY KEY);
\
                       CREATE TABLE children (id bigint, parent_id bigint REFERENCES parents (id));";
        for drop in [
            "ALTER TABLE children DROP CONSTRAINT children_parent_id_fkey;",
            "DROP TABLE children;",
        ] {
            let found = lint_err_after(Dialect::Postgres, history, drop, &RULE);
            assert!(found.contains("children, parents"), "{drop}: {found}");
        }
    }

    #[test]
    fn flags_the_first_blocking_statement_once() {
        let sql = "ALTER TABLE users ADD COLUMN nickname text;\nCREATE INDEX orders_status_idx ON orders (status);";
        insta::assert_snapshot!(lint_err(sql, &RULE));
        let count = lint(Dialect::Postgres, sql)
            .iter()
            .filter(|f| f.rule.id == RULE.id)
            .count();
        assert_eq!(count, 1);
    }

    #[test]
    fn quiet_when_the_runner_sets_the_timeout() {
        let sql = "ALTER TABLE users ADD COLUMN nickname text;";
        let mut settings = crate::config::Settings::new(Dialect::Postgres);
        let fired = |settings: &crate::config::Settings| {
            crate::engine::lint_source(sql, settings)
                .iter()
                .any(|f| f.rule.id == RULE.id)
        };
        assert!(fired(&settings));
        settings.runner_sets_lock_timeout = true;
        assert!(!fired(&settings));
        let session: crate::config::Options =
            toml::from_str("[session]\nlock_timeout = \"2s\"\n").unwrap();
        assert!(session.session.sets_lock_timeout());
        let zero: crate::config::Options =
            toml::from_str("[session]\nlock_timeout = \"0\"\n").unwrap();
        assert!(!zero.session.sets_lock_timeout());
    }

    #[test]
    fn a_new_table_referencing_itself_waits_for_nobody() {
        lint_ok(
            "CREATE TABLE nodes (id bigint PRIMARY KEY, parent_id bigint REFERENCES nodes (id));",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE tree (id bigint PRIMARY KEY, parent_id bigint,\n  FOREIGN KEY (parent_id) REFERENCES public.tree (id));",
            &RULE,
        );
        // Referencing another, existing table still waits for it.
        lint_err(
            "CREATE TABLE notes (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));",
            &RULE,
        );
    }

    #[test]
    fn a_zero_timeout_is_no_timeout() {
        lint_err(
            "SET lock_timeout = 0;\nALTER TABLE users ADD COLUMN nickname text;",
            &RULE,
        );
        lint_err(
            "SET lock_timeout = '2s';\nSET lock_timeout TO '0';\nALTER TABLE users ADD COLUMN nickname text;",
            &RULE,
        );
    }

    #[test]
    fn quiet_with_a_timeout_non_blocking_statements_and_new_tables() {
        lint_ok(
            "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN nickname text;",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nSET LOCAL lock_timeout = '1s';\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;",
            &RULE,
        );
        lint_ok(
            "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nUPDATE users SET name = 'x' WHERE id = 1;",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE app.\"Users\" (id int);\nALTER TABLE app.\"Users\" ADD COLUMN nickname text;\nCREATE INDEX users_id_idx ON app.\"Users\" (id);",
            &RULE,
        );
    }
}
