use super::{copy_tools_help, judged_changes};
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::mysql::clauses::{effect, table_changes};
use crate::mysql::online_ddl::{labels, server_name, Algorithm, LockPin};
use crate::rules::{Ctx, Group, MYSQL};
use crate::statement::Statement;

declare_rule! {
    /// ## What it does
    /// Flags an ALTER TABLE (or CREATE INDEX, OPTIMIZE TABLE) on an existing MySQL table
    /// that the server can only run with ALGORITHM=COPY or without concurrent writes, judged
    /// clause by clause from the InnoDB online-DDL matrix: the statement is as bad as its
    /// worst clause.
    ///
    /// ## Why is this bad?
    /// With ALGORITHM=COPY, InnoDB builds a new table row by row while holding at least
    /// LOCK=SHARED: reads continue, but every INSERT, UPDATE and DELETE waits until the copy
    /// ends, minutes to hours on a large table, and replicas lag behind. Some in-place
    /// operations (FULLTEXT and SPATIAL indexes, an AUTO_INCREMENT column, partition
    /// reorganisation) also refuse concurrent writes, and `LOCK=SHARED` / `LOCK=EXCLUSIVE`
    /// block writes (or reads and writes) whatever the operation. Copy-only on MySQL 8.0:
    /// changing a column's type or character set, VARCHAR growth across 255 bytes (63
    /// characters of utf8mb4) or any shrink, inserting or reordering ENUM/SET members or
    /// crossing their storage size, dropping the primary key alone, `CONVERT TO CHARACTER
    /// SET`, adding a STORED generated column, a CHECK constraint, or a FOREIGN KEY while
    /// `foreign_key_checks` is on, partitioning changes, `ENCRYPTION`. Column character sets
    /// are taken from the column, then the table, else utf8mb4. A table's indexes count too:
    /// with a FULLTEXT index, MySQL makes every rebuild a copy (ADD and DROP COLUMN included,
    /// which are not instant there) and MariaDB rebuilds with writes blocked; with a SPATIAL
    /// index, a rebuild blocks writes on both.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders MODIFY total DECIMAL(12,2) NOT NULL;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- lockstep:ignore mysql-alter-blocks-writes -- run by gh-ost, see runbook
    /// ALTER TABLE orders MODIFY total DECIMAL(12,2) NOT NULL;
    /// ```
    /// Run the change with an online schema-change tool that copies the table in chunks
    /// while writes continue: gh-ost (reads the binlog; refuses tables with foreign keys) or
    /// pt-online-schema-change (mirrors writes with triggers; handles foreign keys). The help
    /// gives the command for the table and change at hand. Where an online path exists
    /// (expand/contract with a new column, `LOCK=NONE` instead of `LOCK=SHARED`), take it.
    pub static RULE = Rule {
        id: "mysql-alter-blocks-writes",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: MYSQL,
        versions: "MySQL 5.7, 8.0, 8.4, 9.x; MariaDB with mysql-flavor",
        summary: "an ALTER that copies the table or blocks writes while it works",
        lock: Some(LockClaim { mode: LockMode::MysqlShared, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    for (change, verdict) in judged_changes(ctx, statement) {
        if ctx.is_new_table(&change.table) || verdict.refused.is_some() || !verdict.blocks_dml() {
            continue;
        }
        let table = &change.table;
        let server = server_name(&ctx.target);
        let how = match (verdict.algorithm, change.pins.lock) {
            (_, Some(pin @ (LockPin::Shared | LockPin::Exclusive))) if verdict.concurrent_dml => {
                format!("LOCK={} blocks writes to `{table}` although the change allows LOCK=NONE", pin.name())
            }
            (Algorithm::Copy, _) => format!(
                "{} makes {server} copy `{table}` with ALGORITHM=COPY, blocking writes until the copy ends",
                labels(&verdict.deciding)
            ),
            _ => format!(
                "{} runs in place on {server} but blocks writes to `{table}` while it works",
                labels(&verdict.deciding)
            ),
        };
        let help = if verdict.concurrent_dml {
            format!("use `LOCK=NONE`: the change to `{table}` does not need to block writes")
        } else {
            copy_tools_help(ctx, statement, table)
        };
        ctx.report(
            Finding::new(&RULE, statement.span, how)
                .lock(table, verdict.lock, effect(&verdict))
                .help(help),
        );
    }
    unknown_definitions(ctx, statement);
}

/// MODIFY/CHANGE of a column whose definition the replay never saw: the cost depends on it.
fn unknown_definitions(ctx: &mut Ctx, statement: &Statement) {
    let changes = table_changes(statement, ctx.catalog, ctx.session.foreign_key_checks_off);
    for change in changes {
        let pinned = matches!(
            change.pins.algorithm,
            Some(Algorithm::Instant | Algorithm::Inplace)
        ) && change.pins.lock != Some(LockPin::Shared);
        if change.unknown_columns.is_empty() || pinned || ctx.is_new_table(&change.table) {
            continue;
        }
        let table = &change.table;
        let columns = change.unknown_columns.join("`, `");
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("the current definition of `{table}`.`{columns}` is unknown to lockstep: if this changes its type, character set, nullability or crosses 255 bytes, MySQL copies `{table}` and blocks writes"),
            )
            .severity(Severity::Warning)
            .help(format!("pin `ALGORITHM=INPLACE, LOCK=NONE` on the ALTER of `{table}` so the server refuses instead of copying, or add the migration that created `{table}` to the linted paths")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect::Mysql;
    use crate::rules::testing::{lint_err_after, lint_err_in, lint_ok_in};

    #[test]
    fn flags_copy_only_clauses_with_the_tool_commands() {
        insta::assert_snapshot!(lint_err_after(
            Mysql,
            "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(60) NOT NULL);",
            "ALTER TABLE users ADD COLUMN nickname VARCHAR(20), MODIFY email VARCHAR(100) NOT NULL;\n\
             ALTER TABLE users ADD FULLTEXT INDEX users_email_ft (email);\n\
             ALTER TABLE users ADD INDEX users_email (email), LOCK=SHARED;\n\
             ALTER TABLE users MODIFY nickname TEXT;",
            &RULE
        ));
    }

    #[test]
    fn unknown_column_definitions_are_a_warning_until_pinned() {
        insta::assert_snapshot!(lint_err_in(
            Mysql,
            "ALTER TABLE users MODIFY email VARCHAR(300);",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_online_changes_and_new_tables() {
        lint_ok_in(
            Mysql,
            "ALTER TABLE users ADD INDEX users_email (email), ALGORITHM=INPLACE, LOCK=NONE;",
            &RULE,
        );
        lint_ok_in(Mysql, "ALTER TABLE users ADD COLUMN c INT;", &RULE);
        lint_ok_in(
            Mysql,
            "CREATE TABLE t (a INT);\nALTER TABLE t MODIFY a BIGINT;",
            &RULE,
        );
        lint_ok_in(
            Mysql,
            "ALTER TABLE users MODIFY email VARCHAR(300), ALGORITHM=INPLACE, LOCK=NONE;",
            &RULE,
        );
    }

    #[test]
    fn foreign_keys_copy_unless_checks_are_off() {
        lint_err_in(Mysql, "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id);", &RULE);
        lint_ok_in(Mysql, "SET foreign_key_checks = 0;\nALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id);", &RULE);
    }
}
