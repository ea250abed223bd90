use super::alter_of_existing_table;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, Statement, Volatility};

declare_rule! {
    /// ## What it does
    /// Flags `ADD COLUMN ... DEFAULT` on an existing table when the default is volatile
    /// (`random()`, `clock_timestamp()`, `gen_random_uuid()`, `uuid_generate_v4()`,
    /// `nextval(...)`, or a function lockstep does not know to be stable), and any default
    /// when the target is older than PostgreSQL 11.
    ///
    /// ## Why is this bad?
    /// Every existing row needs its own value, so PostgreSQL rewrites the whole table and its
    /// indexes while it holds an ACCESS EXCLUSIVE lock: reads and writes wait until the
    /// rewrite ends. Before PostgreSQL 11 every default did this. From 11 on, a constant or
    /// stable default (`true`, `0`, `now()`, `CURRENT_TIMESTAMP`, `ARRAY[]::text[]`, casts)
    /// is stored once in the catalogue and the lock is held only for an instant.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD COLUMN api_key uuid DEFAULT gen_random_uuid();
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET lock_timeout = '2s';
    /// ALTER TABLE users ADD COLUMN api_key uuid;
    /// ALTER TABLE users ALTER COLUMN api_key SET DEFAULT gen_random_uuid();
    /// ```
    /// `SET DEFAULT` applies to new rows only, so neither statement touches existing rows.
    /// Backfill them in batches, each in its own transaction, for example
    /// `UPDATE users SET api_key = gen_random_uuid() WHERE id BETWEEN 1 AND 10000 AND api_key IS NULL;`.
    pub static RULE = Rule {
        id: "add-column-volatile-default",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL 11+ for volatile defaults; every default before 11",
        summary: "ADD COLUMN with a volatile default (any default before PostgreSQL 11) rewrites the table",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    let fast_defaults = ctx.target.at_least(11, 0, 0);
    for action in actions {
        let AlterAction::AddColumn { column, .. } = action else {
            continue;
        };
        let Some(default) = &column.default else {
            continue;
        };
        let why = match default.volatility {
            Volatility::Volatile => {
                "its default is volatile, so every existing row gets its own value"
            }
            Volatility::Stable if !fast_defaults => {
                "before PostgreSQL 11 every default is written into every existing row"
            }
            Volatility::Stable => continue,
        };
        let col = &column.name;
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!(
                    "adding `{col}` with DEFAULT {} rewrites `{table}` under ACCESS EXCLUSIVE: {why}",
                    default.text
                ),
            )
            .lock(table, LockMode::AccessExclusive, TableEffect::Rewrite)
            .help(format!(
                "add it without a default, `ALTER TABLE {table} ADD COLUMN {col} {ty};`, then `ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {def};` for new rows, and backfill existing rows in batches",
                ty = column.data_type.text,
                def = default.text
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_err_at, lint_ok, lint_ok_at};

    #[test]
    fn flags_volatile_defaults() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE users ADD COLUMN api_key uuid DEFAULT gen_random_uuid();",
            &RULE
        ));
        for default in [
            "random()",
            "clock_timestamp()",
            "uuid_generate_v4()",
            "nextval('users_seq')",
        ] {
            lint_err(
                &format!("ALTER TABLE users ADD COLUMN c text DEFAULT {default};"),
                &RULE,
            );
        }
    }

    #[test]
    fn quiet_on_constant_and_stable_defaults_from_11() {
        for default in [
            "true",
            "0",
            "'new'",
            "now()",
            "CURRENT_TIMESTAMP",
            "ARRAY[]::text[]",
            "'0'::numeric",
        ] {
            let sql = format!("ALTER TABLE users ADD COLUMN c text DEFAULT {default};");
            lint_ok(&sql, &RULE);
            lint_ok_at("11", &sql, &RULE);
        }
        lint_ok("ALTER TABLE users ADD COLUMN c text;", &RULE);
    }

    #[test]
    fn any_default_rewrites_before_11() {
        insta::assert_snapshot!(lint_err_at(
            "10",
            "ALTER TABLE users ADD COLUMN active boolean DEFAULT true;",
            &RULE
        ));
        lint_err_at(
            "9.6",
            "ALTER TABLE users ADD COLUMN n int DEFAULT 0;",
            &RULE,
        );
    }

    #[test]
    fn quiet_on_tables_of_this_change_set() {
        lint_ok(
            "CREATE TABLE app.\"Users\" (id int);\nALTER TABLE app.\"Users\" ADD COLUMN k uuid DEFAULT gen_random_uuid();",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nCREATE TABLE users (id int);\nALTER TABLE public.users ADD COLUMN k uuid DEFAULT gen_random_uuid();\nCOMMIT;",
            &RULE,
        );
        lint_err(
            "CREATE TABLE \"Users\" (id int);\nALTER TABLE users ADD COLUMN k uuid DEFAULT gen_random_uuid();",
            &RULE,
        );
    }
}
