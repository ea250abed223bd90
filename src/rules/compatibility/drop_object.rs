use super::creates_object;
use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::rules::{Ctx, Follows, Group, BOTH};
use crate::statement::{ObjectKind, ObjectName, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags dropping a view, materialized view, function, procedure, type, sequence,
    /// domain or extension that existed before this change. A function the migrations
    /// created as `RETURNS trigger` is left alone (only triggers call it), and so are an
    /// object the same file creates again (it is replaced, not removed) and a type or
    /// domain the migrations created that no column uses any more (dropping the columns was
    /// the breaking change, and their rules said so).
    ///
    /// ## Why is this bad?
    /// If the application version still running uses the object, its queries fail from
    /// the moment the drop commits, and a rollback of the migration cannot bring back what
    /// a materialized view held. Dropping is the contract step of a change: it belongs in a
    /// release after every running version has stopped using the object. lockstep cannot
    /// see the application, so this is a warning to confirm that.
    ///
    /// ## Example
    /// ```sql
    /// DROP MATERIALIZED VIEW order_totals;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- lockstep:ignore drop-object -- no release since 2.4 reads order_totals
    /// DROP MATERIALIZED VIEW order_totals;
    /// ```
    /// Drop it in a release after the last one that used it, and say so in an ignore
    /// comment.
    pub static RULE = Rule {
        id: "drop-object",
        group: Group::Compatibility,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "dropping a view, function, type, sequence, domain or extension the running release may use",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::DropObject { kind, names, .. } = &statement.kind else {
        return;
    };
    // A trigger function is called by its triggers, never by the application; an object
    // the file creates again is replaced, not removed.
    let existing: Vec<&ObjectName> = names
        .iter()
        .filter(|n| !ctx.catalog.object_created_in(*kind, n, ctx.file.change_set))
        .filter(|n| !(*kind == ObjectKind::Function && ctx.catalog.is_trigger_function(n)))
        // A type whose columns are all gone: their drops were the breaking change.
        .filter(|n| !ctx.catalog.type_unused(*kind, n))
        .filter(|n| {
            ctx.follows(statement, |later| creates_object(ctx, later, *kind, n))
                == Follows::NotInFile
        })
        .collect();
    if existing.is_empty() {
        return;
    }
    let shown: Vec<String> = existing.iter().map(|n| format!("`{n}`")).collect();
    let what = kind.name();
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("dropping {what} {} breaks every running query that still uses it", shown.join(", ")),
        )
        .help(format!(
            "drop it in a release after the last one that uses it, and say so: `-- lockstep:ignore drop-object -- <which release stopped using the {what}>`"
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    #[test]
    fn flags_drops_of_existing_objects() {
        insta::assert_snapshot!(lint_err(
            "DROP VIEW IF EXISTS active_users, recent_orders;\nDROP FUNCTION order_total(bigint);\nDROP EXTENSION pgcrypto;",
            &RULE
        ));
        lint_err("DROP TYPE order_status CASCADE;", &RULE);
        lint_err("DROP MATERIALIZED VIEW order_totals;", &RULE);
    }

    #[test]
    fn quiet_on_objects_created_in_this_change() {
        lint_ok(
            "CREATE VIEW v AS SELECT 1;\nCREATE TYPE t AS ENUM ('a');\nDROP VIEW v;\nDROP TYPE t;",
            &RULE,
        );
        lint_ok(
            "CREATE MATERIALIZED VIEW m AS SELECT 1;\nDROP MATERIALIZED VIEW m;",
            &RULE,
        );
        lint_ok(
            "CREATE DOMAIN d AS int;\nALTER DOMAIN d RENAME TO e;\nDROP DOMAIN e;",
            &RULE,
        );
    }

    /// The enum rebuild idiom: the old type renamed aside, then dropped once the columns use
    /// the new one. No release ever named the aside name.
    #[test]
    fn quiet_on_a_name_this_change_gave_by_renaming() {
        lint_ok(
            "ALTER TYPE sort_type RENAME TO sort_type__;\nCREATE TYPE sort_type AS ENUM ('new');\nDROP TYPE sort_type__;",
            &RULE,
        );
    }

    #[test]
    fn quiet_on_a_type_no_column_uses_any_more() {
        let found = lint_folder(
            &[
                (
                    "1_create.sql",
                    "CREATE TYPE \"Status\" AS ENUM ('A');\nCREATE TYPE mood AS ENUM ('happy');\nCREATE TABLE jobs (id int, status \"Status\", feeling mood);",
                ),
                (
                    "2_drop.sql",
                    "ALTER TABLE jobs DROP COLUMN status;\nDROP TYPE \"Status\";\nDROP TYPE mood;",
                ),
            ],
            &RULE,
        );
        let messages: Vec<&str> = found.iter().map(|(_, f)| f.message.as_str()).collect();
        assert_eq!(
            messages,
            ["dropping type `mood` breaks every running query that still uses it"]
        );
    }

    #[test]
    fn quiet_when_the_file_creates_the_object_again() {
        lint_ok(
            "DROP VIEW IF EXISTS active_users;\nCREATE VIEW active_users AS SELECT 1 AS id;",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nDROP FUNCTION order_total(bigint);\nCOMMIT;\nCREATE FUNCTION order_total(bigint) RETURNS int LANGUAGE sql AS 'SELECT 1';",
            &RULE,
        );
        lint_err(
            "DROP VIEW active_users;\nCREATE VIEW current_users AS SELECT 1 AS id;",
            &RULE,
        );
    }

    #[test]
    fn quiet_on_trigger_functions() {
        let found = lint_folder(
            &[
                (
                    "1_sync.sql",
                    "CREATE FUNCTION users_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;",
                ),
                ("2_drop.sql", "DROP FUNCTION users_sync();\nDROP FUNCTION users_total();"),
            ],
            &RULE,
        );
        let messages: Vec<&str> = found.iter().map(|(_, f)| f.message.as_str()).collect();
        assert_eq!(
            messages,
            ["dropping function `users_total` breaks every running query that still uses it"]
        );
    }

    /// The rollback of the migration that created a view drops it: nothing else used it.
    #[test]
    fn quiet_on_the_rollback_of_a_creation() {
        let found = lint_folder(
            &[
                ("1_view.up.sql", "CREATE VIEW v AS SELECT 1;"),
                ("1_view.down.sql", "DROP VIEW v;"),
                ("2_drop.up.sql", "DROP VIEW v;"),
                ("2_drop.down.sql", "CREATE VIEW v AS SELECT 1;"),
            ],
            &RULE,
        );
        let names: Vec<&str> = found.iter().map(|(file, _)| file.as_str()).collect();
        assert_eq!(names, ["2_drop.up.sql"]);
    }
}
