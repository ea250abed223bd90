use super::judged_changes;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::mysql::online_ddl::{instant_row_versions, labels, Algorithm};
use crate::mysql::row_versions::{exhausted, takes_row_version};
use crate::rules::{Ctx, Group, MYSQL};
use crate::statement::Statement;

declare_rule! {
    /// ## What it does
    /// Notes an ALTER TABLE on an existing MySQL table that is INSTANT on the target
    /// server but does not say `ALGORITHM=INSTANT`.
    ///
    /// ## Why is this bad?
    /// Nothing is wrong today: INSTANT changes only metadata, under a brief exclusive
    /// metadata lock. But MySQL chooses the algorithm silently. A table allows at most 64
    /// row versions (255 from MySQL 9.1; instant ADD/DROP COLUMN each add one, MySQL
    /// 8.0.29+, and a rebuild starts again from none); past that, and on
    /// ROW_FORMAT=COMPRESSED tables, tables with a FULLTEXT index (or that had one and were
    /// not rebuilt since), or an older server, the
    /// same statement quietly falls back to a rebuild or a copy. With the pin the server
    /// refuses instead, and the migration fails fast rather than locking a table for hours.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD COLUMN nickname VARCHAR(40);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET SESSION lock_wait_timeout = 5;
    /// ALTER TABLE users ADD COLUMN nickname VARCHAR(40), ALGORITHM=INSTANT;
    /// ```
    pub static RULE = Rule {
        id: "mysql-alter-unpinned-instant",
        group: Group::Locking,
        default_severity: Severity::Note,
        enabled_by_default: true,
        dialects: MYSQL,
        versions: "MySQL 8.0.12+ (64 row versions from 8.0.29, 255 from 9.1); MariaDB with mysql-flavor",
        summary: "an instant ALTER without ALGORITHM=INSTANT, which may silently fall back to a copy",
        lock: Some(LockClaim { mode: LockMode::MysqlNone, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    for (change, verdict) in judged_changes(ctx, statement) {
        if verdict.algorithm != Algorithm::Instant
            || change.pins.algorithm.is_some()
            || ctx.is_new_table(&change.table)
        {
            continue;
        }
        // Past the row versions it is not instant at all: mysql-alter-exceeds-row-versions.
        if exhausted(ctx.catalog, &change, &verdict, &ctx.target).is_some() {
            continue;
        }
        let table = &change.table;
        let limit = match instant_row_versions(&ctx.target) {
            Some(versions) if takes_row_version(&change, &verdict) => format!(" (each instant ADD/DROP COLUMN uses one of the {versions} row versions of `{table}`; past them MySQL rebuilds)"),
            _ => String::new(),
        };
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("{} on `{table}` is instant, but nothing stops the server from falling back to a copy{limit}", labels(&change.clauses)),
            )
            .lock(table, LockMode::MysqlNone, TableEffect::None)
            .help("add `ALGORITHM=INSTANT` so the server refuses rather than copies when it cannot run it instantly"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect::Mysql;
    use crate::rules::testing::{lint_err_in, lint_err_in_at, lint_ok_in};

    #[test]
    fn notes_unpinned_instant_changes() {
        insta::assert_snapshot!(lint_err_in(
            Mysql,
            "ALTER TABLE users ADD COLUMN nickname VARCHAR(40);\n\
             ALTER TABLE users RENAME COLUMN name TO full_name;",
            &RULE
        ));
    }

    #[test]
    fn states_the_row_version_limit_of_the_target() {
        let add = "ALTER TABLE users ADD COLUMN nickname VARCHAR(40);";
        assert!(lint_err_in_at(Mysql, "8.4", add, &RULE).contains("one of the 64 row versions"));
        assert!(lint_err_in_at(Mysql, "9.1", add, &RULE).contains("one of the 255 row versions"));
        assert!(!lint_err_in_at(Mysql, "8.0.20", add, &RULE).contains("row versions"));
    }

    #[test]
    fn quiet_when_pinned_or_not_instant() {
        lint_ok_in(
            Mysql,
            "ALTER TABLE users ADD COLUMN c INT, ALGORITHM=INSTANT;",
            &RULE,
        );
        lint_ok_in(Mysql, "ALTER TABLE users ADD INDEX i (c);", &RULE);
        lint_ok_in(
            Mysql,
            "CREATE TABLE t (a INT);\nALTER TABLE t ADD COLUMN b INT;",
            &RULE,
        );
    }
}
