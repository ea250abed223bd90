use super::judged_changes;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::mysql::clauses::effect;
use crate::mysql::online_ddl::{labels, server_name, Algorithm, LockPin};
use crate::rules::{Ctx, Group, MYSQL};
use crate::statement::Statement;

declare_rule! {
    /// ## What it does
    /// Flags an ALTER TABLE on an existing MySQL table that rebuilds the table in place
    /// (ALGORITHM=INPLACE with a table rebuild) while letting writes continue, unless the
    /// statement pins `ALGORITHM=INPLACE, LOCK=NONE`, which says the rebuild is intended.
    ///
    /// ## Why is this bad?
    /// Reads and writes continue (LOCK=NONE) apart from a brief exclusive metadata lock at
    /// the start and end, but InnoDB rewrites every row and index: hours of I/O on a large
    /// table, the rows changed meanwhile are buffered in the online log (the ALTER fails if
    /// it overflows `innodb_online_alter_log_max_size`), and replicas apply the ALTER only
    /// after it finishes, so they lag by its whole duration. Rebuilds on MySQL 8.0: adding a
    /// primary key, NULL / NOT NULL changes, moving a column with FIRST/AFTER, ADD COLUMN
    /// with FIRST/AFTER before 8.0.29, ADD/DROP COLUMN on 5.7 or when another clause forces
    /// INPLACE, `FORCE`, `ENGINE=InnoDB`, `OPTIMIZE TABLE`, ROW_FORMAT and KEY_BLOCK_SIZE;
    /// and ADD/DROP COLUMN on a table whose last FULLTEXT index was dropped, since InnoDB
    /// keeps that index's hidden FTS_DOC_ID column until the table is rebuilt.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD COLUMN nickname VARCHAR(40), ADD INDEX users_email (email);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET SESSION lock_wait_timeout = 5;
    /// ALTER TABLE users ADD COLUMN nickname VARCHAR(40), ALGORITHM=INSTANT;
    /// ALTER TABLE users ADD INDEX users_email (email), ALGORITHM=INPLACE, LOCK=NONE;
    /// ```
    /// Split instant clauses from in-place ones (an instant ADD COLUMN next to an ADD INDEX
    /// makes the whole statement rebuild), and pin `ALGORITHM=INPLACE, LOCK=NONE` where a
    /// rebuild is really intended, after checking disk space and replica lag budget.
    pub static RULE = Rule {
        id: "mysql-alter-rebuilds-table",
        group: Group::Locking,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: MYSQL,
        versions: "MySQL 5.7, 8.0, 8.4, 9.x; MariaDB with mysql-flavor",
        summary: "an ALTER that rebuilds the whole table in place (writes continue)",
        lock: Some(LockClaim { mode: LockMode::MysqlNone, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    for (change, verdict) in judged_changes(ctx, statement) {
        let pinned = change.pins.algorithm == Some(Algorithm::Inplace)
            && change.pins.lock == Some(LockPin::None);
        let rebuilds_online = verdict.rebuilds && !verdict.blocks_dml();
        if !rebuilds_online
            || pinned
            || verdict.refused.is_some()
            || ctx.is_new_table(&change.table)
        {
            continue;
        }
        let table = &change.table;
        let instant_beside = verdict
            .deciding
            .iter()
            .any(|c| c.operation.capability(&ctx.target, &change.traits).0);
        let help = if instant_beside && change.clauses.len() > 1 {
            format!("{} is instant on its own: run it in its own ALTER with `ALGORITHM=INSTANT`, and the rest with `ALGORITHM=INPLACE, LOCK=NONE`", labels(&verdict.deciding))
        } else {
            format!("if the rebuild of `{table}` is intended, pin `ALGORITHM=INPLACE, LOCK=NONE` and run it when replica lag and disk space allow")
        };
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!(
                    "{} rebuilds `{table}` in place on {}: writes continue, but every row is rewritten and replicas lag",
                    labels(&verdict.deciding),
                    server_name(&ctx.target)
                ),
            )
            .lock(table, verdict.lock, effect(&verdict))
            .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect::Mysql;
    use crate::rules::testing::{lint_err_in, lint_ok_in};

    #[test]
    fn flags_in_place_rebuilds() {
        insta::assert_snapshot!(lint_err_in(
            Mysql,
            "ALTER TABLE users ADD COLUMN nickname VARCHAR(40), ADD INDEX users_email (email);\n\
             ALTER TABLE users ENGINE=InnoDB;\n\
             ALTER TABLE users ADD PRIMARY KEY (id);\n\
             OPTIMIZE TABLE users;",
            &RULE
        ));
    }

    #[test]
    fn a_correct_pin_silences_it() {
        lint_ok_in(
            Mysql,
            "ALTER TABLE users FORCE, ALGORITHM=INPLACE, LOCK=NONE;",
            &RULE,
        );
        lint_ok_in(Mysql, "ALTER TABLE users ADD COLUMN c INT AFTER id;", &RULE);
    }

    #[test]
    fn positioned_add_column_rebuilds_before_8_0_29() {
        let mut settings = crate::config::Settings::new(Mysql);
        settings.target.version = "8.0.28".parse().unwrap();
        let found =
            crate::engine::lint_source("ALTER TABLE users ADD COLUMN c INT AFTER id;", &settings);
        assert!(found.iter().any(|f| f.rule.id == RULE.id), "{found:?}");
    }
}
