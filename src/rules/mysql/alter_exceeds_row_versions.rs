use super::judged_changes;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::mysql::online_ddl::{labels, server_name, Algorithm};
use crate::mysql::row_versions::exhausted;
use crate::rules::{Ctx, Group, MYSQL};
use crate::statement::Statement;

declare_rule! {
    /// ## What it does
    /// Flags an instant ADD COLUMN or DROP COLUMN on a MySQL table that has used all its
    /// row versions: 64 (255 from MySQL 9.1) instant add/drop statements since the table was
    /// created or last rebuilt, as counted by replaying the migrations (a rebuild, `FORCE`,
    /// `OPTIMIZE TABLE` or `TRUNCATE TABLE` starts the count again).
    ///
    /// ## Why is this bad?
    /// Each instant ADD/DROP COLUMN (MySQL 8.0.29+) writes a new row version. Past the
    /// limit MySQL refuses `ALGORITHM=INSTANT` (ERROR 4092, "Maximum row versions reached")
    /// and an unpinned statement quietly rebuilds the whole table in place: hours of I/O
    /// and replication lag where the migration expected a metadata change. MariaDB counts
    /// no row versions. Only MySQL proper shows this (the tests run MariaDB); the limit and
    /// the refusal are in the manual:
    /// <https://dev.mysql.com/doc/refman/8.4/en/innodb-online-ddl-operations.html#online-ddl-column-operations>.
    ///
    /// ## Example
    /// ```sql
    /// -- the 65th instant column change of `events` since it was created
    /// ALTER TABLE events ADD COLUMN source VARCHAR(40), ALGORITHM=INSTANT;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- rebuild once, online, in a quiet hour; the count starts again from none
    /// ALTER TABLE events FORCE, ALGORITHM=INPLACE, LOCK=NONE;
    /// ALTER TABLE events ADD COLUMN source VARCHAR(40), ALGORITHM=INSTANT;
    /// ```
    pub static RULE = Rule {
        id: "mysql-alter-exceeds-row-versions",
        group: Group::Locking,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: MYSQL,
        versions: "MySQL 8.0.29+ (64 row versions; 255 from 9.1)",
        summary: "an instant ADD/DROP COLUMN past the table's row versions, which rebuilds the table or is refused",
        lock: Some(LockClaim { mode: LockMode::MysqlNone, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    for (change, verdict) in judged_changes(ctx, statement) {
        let Some((used, limit)) = exhausted(ctx.catalog, &change, &verdict, &ctx.target) else {
            continue;
        };
        let table = &change.table;
        let pinned = change.pins.algorithm == Some(Algorithm::Instant);
        // A table this change set created holds no rows: its rebuild costs nothing.
        if !pinned && ctx.is_new_table(table) {
            continue;
        }
        let outcome = if pinned {
            "the server refuses ALGORITHM=INSTANT (ERROR 4092) and the migration fails"
        } else {
            "the server rebuilds the whole table in place instead"
        };
        let finding = Finding::new(
            &RULE,
            statement.span,
            format!(
                "{} needs a row version, but `{table}` has used {used} of its {limit} on {} since it was created or rebuilt: {outcome}",
                labels(&change.clauses),
                server_name(&ctx.target)
            ),
        );
        // A refused statement takes no lock and rewrites nothing.
        let finding = if pinned {
            finding
        } else {
            finding.lock(table, LockMode::MysqlNone, TableEffect::Rewrite)
        };
        ctx.report(
            finding.help(format!(
                "rebuild `{table}` first, when a rebuild can take its time (`ALTER TABLE {table} FORCE, ALGORITHM=INPLACE, LOCK=NONE` or an online schema-change tool), or fold several column changes into one ALTER: one statement takes one row version"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect::Mysql;
    use crate::rules::testing::{lint_err_in_at, lint_ok_in_at};

    /// `count` instant ADD COLUMN statements on `events`, one column each.
    fn instant_adds(count: u32) -> String {
        (0..count)
            .map(|i| format!("ALTER TABLE events ADD COLUMN c{i} INT, ALGORITHM=INSTANT;\n"))
            .collect()
    }

    #[test]
    fn flags_the_65th_instant_column_change_and_the_256th_on_9_1() {
        let past_64 = format!("{}ALTER TABLE events DROP COLUMN c0;", instant_adds(64));
        let found = lint_err_in_at(Mysql, "8.4", &past_64, &RULE);
        assert!(found.contains("has used 64 of its 64"), "{found}");
        assert!(found.contains("rebuilds the whole table"), "{found}");
        lint_ok_in_at(Mysql, "9.1", &past_64, &RULE);
        let past_255 = format!(
            "{}ALTER TABLE events ADD COLUMN late INT, ALGORITHM=INSTANT;",
            instant_adds(255)
        );
        let found = lint_err_in_at(Mysql, "9.1", &past_255, &RULE);
        assert!(found.contains("has used 255 of its 255"), "{found}");
        assert!(found.contains("refuses ALGORITHM=INSTANT"), "{found}");
    }

    #[test]
    fn one_statement_takes_one_row_version_and_a_rebuild_starts_again() {
        let many_in_one = format!(
            "ALTER TABLE events ADD COLUMN a INT, ADD COLUMN b INT, DROP COLUMN c;\n{}",
            instant_adds(63)
        );
        lint_ok_in_at(Mysql, "8.4", &many_in_one, &RULE);
        for rebuild in [
            "OPTIMIZE TABLE events;",
            "ALTER TABLE events FORCE;",
            "ALTER TABLE events ADD INDEX i (c1);\nALTER TABLE events ADD COLUMN x INT, MODIFY c2 BIGINT;",
            "TRUNCATE TABLE events;",
            "DROP TABLE events;\nCREATE TABLE events (id INT);",
        ] {
            let sql = format!(
                "{}{rebuild}\nALTER TABLE events ADD COLUMN late INT, ALGORITHM=INSTANT;",
                instant_adds(64)
            );
            lint_ok_in_at(Mysql, "8.4", &sql, &RULE);
        }
    }

    #[test]
    fn virtual_columns_metadata_changes_and_servers_before_8_0_29_take_no_row_version() {
        let sql = format!(
            "{}ALTER TABLE events ADD COLUMN v INT AS (c1 + 1) VIRTUAL;\n\
             ALTER TABLE events ALTER COLUMN c1 SET DEFAULT 1;\n\
             ALTER TABLE events RENAME COLUMN c2 TO c2_renamed;",
            instant_adds(64)
        );
        lint_ok_in_at(Mysql, "8.4", &sql, &RULE);
        // Before 8.0.29 only ADD COLUMN as the last column was instant, and nothing counted.
        lint_ok_in_at(Mysql, "8.0.28", &instant_adds(70), &RULE);
    }
}
