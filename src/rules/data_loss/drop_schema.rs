use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `DROP SCHEMA ... CASCADE`. Rollback files are not flagged: lockstep does not
    /// track schemas, and a rollback usually drops the schema its migration created.
    ///
    /// ## Why is this bad?
    /// `CASCADE` drops every table, view, function and type in the schema with it: all
    /// their rows are gone, and the application version still running fails on every
    /// query that reaches them. It takes an ACCESS EXCLUSIVE lock on each of those tables.
    /// Without `CASCADE`, PostgreSQL refuses to drop a schema that still holds objects, so
    /// no data can be lost and lockstep stays quiet. This holds on every PostgreSQL
    /// version.
    ///
    /// ## Example
    /// ```sql
    /// DROP SCHEMA billing CASCADE;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE SCHEMA archive;
    /// DROP SCHEMA archive;
    /// ```
    /// Drop the schema's tables one by one in a contract phase, each after no running
    /// release uses it and with a backup taken (`drop-table` asks for the same), then drop
    /// the empty schema without `CASCADE`: PostgreSQL then refuses if anything was missed.
    pub static RULE = Rule {
        id: "drop-schema",
        group: Group::DataLoss,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "DROP SCHEMA CASCADE loses every table in the schema",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::DropSchema {
        names,
        cascade: true,
    } = &statement.kind
    else {
        return;
    };
    if ctx.is_rollback() {
        return;
    }
    for schema in names {
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("DROP SCHEMA `{schema}` CASCADE deletes every table in `{schema}` with its rows, and breaks running queries that use them"),
            )
            .help(format!(
                "in a contract phase, drop the tables of `{schema}` one by one after no release uses them and with a backup taken, then `DROP SCHEMA {schema};` without CASCADE, which refuses if anything was missed"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    #[test]
    fn flags_drop_schema_cascade() {
        insta::assert_snapshot!(lint_err(
            "DROP SCHEMA IF EXISTS billing, audit CASCADE;",
            &RULE
        ));
    }

    #[test]
    fn quiet_without_cascade_and_in_rollbacks() {
        lint_ok("DROP SCHEMA billing;", &RULE);
        let found = lint_folder(
            &[
                ("1_archive.up.sql", "CREATE SCHEMA archive;\n"),
                ("1_archive.down.sql", "DROP SCHEMA archive CASCADE;\n"),
            ],
            &RULE,
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
