use super::judged_changes;
use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::mysql::online_ddl::Algorithm;
use crate::rules::{Ctx, Group, MYSQL};
use crate::statement::Statement;

declare_rule! {
    /// ## What it does
    /// Flags an ALTER TABLE whose `ALGORITHM=` or `LOCK=` clause the operation cannot
    /// honour on the target server, judged from the InnoDB online-DDL matrix with its version
    /// gates (INSTANT from MySQL 8.0.12; ADD COLUMN anywhere and DROP COLUMN from 8.0.29;
    /// RENAME COLUMN from 8.0.28; none on 5.7). MySQL also refuses `ALGORITHM=INSTANT` next
    /// to any `LOCK=` but `DEFAULT`, whatever the clauses (MariaDB runs the pair).
    ///
    /// ## Why is this bad?
    /// The server refuses the statement with error 1845 or 1846 ("ALGORITHM=INSTANT is not
    /// supported for this operation", "LOCK=NONE is not supported"), or 1221 ("Incorrect
    /// usage of ALGORITHM=INSTANT and LOCK=NONE/SHARED/EXCLUSIVE"), so the migration fails
    /// at deploy time. Nothing is locked or copied: the pin did its job, but the migration
    /// as written cannot run.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD INDEX users_email (email), ALGORITHM=INSTANT;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET SESSION lock_wait_timeout = 5;
    /// ALTER TABLE users ADD INDEX users_email (email), ALGORITHM=INPLACE, LOCK=NONE;
    /// ```
    /// Pin the cheapest algorithm the operation supports: INSTANT for metadata changes,
    /// `INPLACE, LOCK=NONE` for online index builds and rebuilds. When only COPY remains, use
    /// an online schema-change tool instead of weakening the pin.
    pub static RULE = Rule {
        id: "mysql-alter-pin-refused",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: MYSQL,
        versions: "MySQL 5.7, 8.0, 8.4, 9.x; MariaDB with mysql-flavor",
        summary: "an ALGORITHM= or LOCK= pin the operation cannot honour, so the server refuses it",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    for (change, verdict) in judged_changes(ctx, statement) {
        let Some(reason) = verdict.refused else {
            continue;
        };
        let table = &change.table;
        let help = match (verdict.algorithm, verdict.concurrent_dml) {
            (Algorithm::Copy, _) | (_, false) => format!(
                "this change to `{table}` has no online path on this server: run it with gh-ost or pt-online-schema-change (mysql-alter-blocks-writes gives the command once the pin is gone)"
            ),
            (algorithm, true) => format!(
                "pin what the server can do: `ALGORITHM={}{}`",
                algorithm.name(),
                if algorithm == Algorithm::Instant { "" } else { ", LOCK=NONE" }
            ),
        };
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("the server refuses this ALTER of `{table}`: {reason}"),
            )
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
    fn flags_pins_the_operation_cannot_honour() {
        insta::assert_snapshot!(lint_err_in(
            Mysql,
            "CREATE TABLE users (id INT NOT NULL, email VARCHAR(50), bio TEXT);\n\
             ALTER TABLE users ADD INDEX users_email (email), ALGORITHM=INSTANT;\n\
             ALTER TABLE users MODIFY id BIGINT, ALGORITHM=INPLACE, LOCK=NONE;\n\
             ALTER TABLE users ADD FULLTEXT INDEX ft (bio), LOCK=NONE;",
            &RULE
        ));
    }

    #[test]
    fn instant_pins_follow_the_target_version() {
        let sql = "ALTER TABLE users DROP COLUMN legacy, ALGORITHM=INSTANT;";
        lint_ok_in(Mysql, sql, &RULE);
        let mut settings = crate::config::Settings::new(Mysql);
        settings.target.version = "8.0.28".parse().unwrap();
        let found = crate::engine::lint_source(sql, &settings);
        assert!(found.iter().any(|f| f.rule.id == RULE.id), "{found:?}");
    }

    #[test]
    fn flags_a_lock_pin_beside_instant_on_mysql() {
        let found = lint_err_in(
            Mysql,
            "ALTER TABLE users ALTER COLUMN total SET DEFAULT 5, ALGORITHM=INSTANT, LOCK=NONE;",
            &RULE,
        );
        assert!(found.contains("error 1221"), "{found}");
    }

    #[test]
    fn quiet_on_honoured_pins() {
        lint_ok_in(
            Mysql,
            "ALTER TABLE users ADD COLUMN c INT, ALGORITHM=INSTANT;",
            &RULE,
        );
        lint_ok_in(
            Mysql,
            "ALTER TABLE users MODIFY id BIGINT, ALGORITHM=COPY;",
            &RULE,
        );
        lint_ok_in(
            Mysql,
            "ALTER TABLE users ADD INDEX i (a), ALGORITHM=INPLACE, LOCK=NONE;",
            &RULE,
        );
    }
}
