use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::dialect::Dialect;
use crate::rules::{Ctx, Group, BOTH};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `DROP DATABASE` (and MySQL `DROP SCHEMA`, its synonym) in a migration.
    ///
    /// ## Why is this bad?
    /// Every table and row of the database is gone, and every application connected to it
    /// fails. PostgreSQL refuses to drop a database with open connections (and inside a
    /// transaction block); MySQL drops it at once. A migration set has no business
    /// dropping a database: it is an operations task. This holds on every PostgreSQL and
    /// MySQL version.
    ///
    /// ## Example
    /// ```sql
    /// DROP DATABASE IF EXISTS legacy;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- Retire a database by hand, after a final backup, outside the migration set.
    /// ```
    /// Take a final backup, make sure nothing connects to it any more, and drop it as a
    /// one-off operations task, not as a migration every environment replays.
    pub static RULE = Rule {
        id: "drop-database",
        group: Group::DataLoss,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "dropping a database in a migration loses all of its data",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let name = match &statement.kind {
        StatementKind::DropDatabase { name } => name,
        // In MySQL a schema is a database.
        StatementKind::DropSchema { names, .. } if ctx.target.dialect == Dialect::Mysql => {
            match names.first() {
                Some(name) => name,
                None => return,
            }
        }
        _ => return,
    };
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("dropping database `{name}` deletes all of its tables and rows"),
        )
        .help(format!(
            "retire `{name}` by hand after a final backup, outside the migration set that every environment replays"
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_err_in, lint_ok};

    #[test]
    fn flags_drop_database() {
        insta::assert_snapshot!(lint_err("DROP DATABASE IF EXISTS legacy;", &RULE));
        lint_err_in(Dialect::Mysql, "DROP SCHEMA legacy;", &RULE);
    }

    #[test]
    fn quiet_on_drop_schema_in_postgres() {
        lint_ok("DROP SCHEMA legacy;", &RULE);
    }
}
