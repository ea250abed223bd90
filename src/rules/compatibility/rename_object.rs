use super::creates_object;
use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::rules::{Ctx, Follows, Group, BOTH};
use crate::statement::{ObjectChange, ObjectKind, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags renaming a view, materialized view, function, procedure, type, sequence or
    /// domain, moving one to another schema (`SET SCHEMA`, extensions too), and renaming a
    /// view's column, when the object existed before this change.
    ///
    /// ## Why is this bad?
    /// The application version still running names these objects in its queries (a view
    /// it reads, a function it calls, a type it casts to, a sequence it draws from). The
    /// moment the rename commits those queries fail, until every instance runs the new
    /// release. The statement itself is quick; the outage is in the application. A
    /// sequence rename is a warning: column defaults hold their sequence by identity and go
    /// on working; only code that names the sequence breaks.
    ///
    /// ## Example
    /// ```sql
    /// ALTER MATERIALIZED VIEW order_totals RENAME TO order_sums;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE VIEW order_sums AS SELECT * FROM order_totals;
    /// ```
    /// Expand and contract: make the new name available beside the old one (a view over
    /// the old view, a function that calls the old one, a new type or sequence), move the
    /// application to the new name, and remove the old name in a later release.
    pub static RULE = Rule {
        id: "rename-object",
        group: Group::Compatibility,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "renaming a view, function, type, sequence or domain breaks the application version still running",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::AlterObject { kind, name, change } = &statement.kind else {
        return;
    };
    if ctx.is_rollback()
        || ctx
            .catalog
            .object_created_in(*kind, name, ctx.file.change_set)
    {
        return;
    }
    // Triggers call their function by its identity, the application never.
    if *kind == ObjectKind::Function && ctx.catalog.is_trigger_function(name) {
        return;
    }
    // Renamed aside and created again under its name in the same transaction (an enum
    // rebuilt with new values): the running release finds the name at every moment.
    if matches!(change, ObjectChange::RenameTo(_))
        && ctx.follows(statement, |later| creates_object(ctx, later, *kind, name))
            == Follows::InTransaction
    {
        return;
    }
    let what = kind.name();
    let (message, help) = match change {
        ObjectChange::RenameTo(to) => {
            let beside = match kind {
                ObjectKind::View | ObjectKind::MaterializedView => {
                    format!("create `{to}` beside it: `CREATE VIEW {to} AS SELECT * FROM {name};`")
                }
                ObjectKind::Function | ObjectKind::Procedure => {
                    format!("create a {what} `{to}` that calls `{name}`")
                }
                _ => format!("create a {what} `{to}` beside it"),
            };
            (
                format!("renaming {what} `{name}` to `{to}` breaks every running query that uses `{name}`"),
                format!("{beside}; move the application to `{to}`, and drop `{name}` in a later release"),
            )
        }
        ObjectChange::SetSchema(schema) if *kind == ObjectKind::Extension => (
            format!("moving extension `{name}` to schema `{schema}` moves its functions and types: running queries that find them through the search path fail"),
            "leave the extension where it is, or first make the running release qualify its names with the new schema".to_string(),
        ),
        ObjectChange::SetSchema(schema) => (
            format!("moving {what} `{name}` to schema `{schema}` breaks every running query that names it where it was"),
            format!("create the {what} in `{schema}` beside the old one, move the application to it, and drop the old one in a later release"),
        ),
        ObjectChange::RenameColumn { from, to } => (
            format!("renaming column `{from}` of {what} `{name}` to `{to}` breaks every running query that reads `{from}`"),
            format!("add `{to}` to the view beside `{from}` (CREATE OR REPLACE VIEW may add columns at the end), move the application to it, and drop `{from}` in a later release"),
        ),
        ObjectChange::Other => return,
    };
    let finding = Finding::new(&RULE, statement.span, message).help(help);
    // A column default holds its sequence by identity, so inserts go on; only code that
    // names the sequence (`nextval('...')` in a query, an ORM's sequence generator) breaks.
    ctx.report(if *kind == ObjectKind::Sequence {
        finding.severity(Severity::Warning)
    } else {
        finding
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    #[test]
    fn flags_renames_of_objects_the_application_names() {
        insta::assert_snapshot!(lint_err(
            "ALTER VIEW active_users RENAME TO current_users;\n\
             ALTER FUNCTION order_total(bigint) RENAME TO order_sum;\n\
             ALTER TYPE order_status SET SCHEMA sales;\n\
             ALTER VIEW active_users RENAME COLUMN email TO mail;\n\
             ALTER EXTENSION pgcrypto SET SCHEMA crypto;",
            &RULE
        ));
        lint_err("ALTER SEQUENCE order_seq RENAME TO order_id_seq;", &RULE);
        lint_err("ALTER DOMAIN amount RENAME TO money;", &RULE);
    }

    #[test]
    fn quiet_when_the_name_is_created_again_in_the_same_transaction() {
        lint_ok(
            "BEGIN;\nALTER TYPE sort_type RENAME TO sort_type__;\nCREATE TYPE sort_type AS ENUM ('new', 'old');\nALTER TABLE posts ALTER COLUMN sort TYPE sort_type USING sort::text::sort_type;\nDROP TYPE sort_type__;\nCOMMIT;",
            &RULE,
        );
        lint_err(
            "BEGIN;\nALTER TYPE sort_type RENAME TO sort_type__;\nCOMMIT;\nCREATE TYPE sort_type AS ENUM ('new', 'old');",
            &RULE,
        );
        // Prisma's enum swap: the new type takes the name by a rename.
        lint_ok(
            "BEGIN;\nCREATE TYPE \"Status_new\" AS ENUM ('A');\nALTER TABLE \"Job\" ALTER COLUMN \"status\" TYPE \"Status_new\" USING (\"status\"::text::\"Status_new\");\nALTER TYPE \"Status\" RENAME TO \"Status_old\";\nALTER TYPE \"Status_new\" RENAME TO \"Status\";\nDROP TYPE \"Status_old\";\nCOMMIT;",
            &RULE,
        );
    }

    #[test]
    fn quiet_on_objects_of_this_change_and_other_alters() {
        lint_ok(
            "CREATE VIEW v AS SELECT 1;\nALTER VIEW v RENAME TO w;\nALTER VIEW w RENAME COLUMN a TO b;",
            &RULE,
        );
        lint_ok(
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\nALTER FUNCTION f() RENAME TO g;",
            &RULE,
        );
        lint_ok("ALTER SEQUENCE order_seq RESTART WITH 10;", &RULE);
        lint_ok("ALTER VIEW v OWNER TO app;", &RULE);
    }

    #[test]
    fn quiet_when_a_rollback_undoes_a_rename() {
        let found = lint_folder(
            &[
                ("1_rename.up.sql", "ALTER VIEW a RENAME TO b;"),
                ("1_rename.down.sql", "ALTER VIEW b RENAME TO a;"),
            ],
            &RULE,
        );
        let names: Vec<&str> = found.iter().map(|(file, _)| file.as_str()).collect();
        assert_eq!(names, ["1_rename.up.sql"]);
    }

    #[test]
    fn quiet_on_trigger_functions() {
        let found = lint_folder(
            &[
                (
                    "1_create.sql",
                    "CREATE FUNCTION user_delete ()\n    RETURNS TRIGGER\n    LANGUAGE plpgsql\n    AS $$\nBEGIN\n    RETURN NULL;\nEND\n$$;\n",
                ),
                (
                    "2_rename.sql",
                    "ALTER FUNCTION user_delete () RENAME TO person_delete;",
                ),
            ],
            &RULE,
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
