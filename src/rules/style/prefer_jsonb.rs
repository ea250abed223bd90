use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::rules::style::{typed_columns, with_base};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::Statement;

declare_rule! {
    /// ## What it does
    /// Flags `json` columns. Off by default, in the `style` group.
    ///
    /// ## Why is this bad?
    /// `json` stores the text as written and re-parses it on every access. It has no
    /// equality operator, so `SELECT DISTINCT`, `GROUP BY` and `UNION` on it fail, and it
    /// cannot use GIN indexes. `jsonb` is parsed once, indexable and comparable; it drops
    /// duplicate keys and key order, which applications rarely rely on. Changing the type
    /// later rewrites the table. This holds on PostgreSQL 9.4+.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN metadata json;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN metadata jsonb;
    /// ```
    pub static RULE = Rule {
        id: "prefer-jsonb",
        group: Group::Style,
        default_severity: Severity::Note,
        enabled_by_default: false,
        dialects: POSTGRES,
        versions: "PostgreSQL 9.4+",
        summary: "jsonb is indexable and comparable; json is not",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    for column in typed_columns(statement) {
        if column.data_type.base != "json" {
            continue;
        }
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!(
                    "`{}` is `{}`: it has no equality operator and no GIN index support",
                    column.name(),
                    column.data_type.text
                ),
            )
            .help(format!(
                "declare `{} {}`",
                column.column,
                with_base(column.data_type, "jsonb")
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_json_columns() {
        insta::assert_snapshot!(lint_err(
            "CREATE TABLE events_raw (body json, parts json[]);",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_jsonb() {
        lint_ok("CREATE TABLE events_raw (body jsonb);", &RULE);
    }
}
