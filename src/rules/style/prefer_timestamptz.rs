use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::rules::style::{typed_columns, with_base};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::Statement;

declare_rule! {
    /// ## What it does
    /// Flags `timestamp` (`timestamp without time zone`) columns. Off by default, in the
    /// `style` group.
    ///
    /// ## Why is this bad?
    /// A `timestamp` stores a wall-clock reading without its offset, so the same value
    /// means different instants to sessions in different time zones, and daylight-saving
    /// changes make some values ambiguous. `timestamptz` stores an instant (as UTC) and
    /// converts on output; it takes the same eight bytes. Converting later with `ALTER
    /// COLUMN ... TYPE timestamptz` rewrites the table unless the session time zone is UTC
    /// (PostgreSQL 12+). This holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN shipped_at timestamp;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
    /// ```
    pub static RULE = Rule {
        id: "prefer-timestamptz",
        group: Group::Style,
        default_severity: Severity::Note,
        enabled_by_default: false,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "timestamptz stores an instant; timestamp loses the time zone",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    for column in typed_columns(statement) {
        if column.data_type.base != "timestamp" {
            continue;
        }
        let precision = column
            .data_type
            .args
            .first()
            .map(|p| format!("({p})"))
            .unwrap_or_default();
        let safe = with_base(column.data_type, &format!("timestamptz{precision}"));
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!(
                    "`{}` is `{}`: it stores no time zone, so its instant depends on who reads it",
                    column.name(),
                    column.data_type.text
                ),
            )
            .help(format!("declare `{} {safe}`", column.column)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_timestamp_without_time_zone() {
        insta::assert_snapshot!(lint_err(
            "CREATE TABLE visits (seen_at timestamp without time zone, left_at timestamp(3));",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_timestamptz() {
        lint_ok(
            "CREATE TABLE visits (seen_at timestamptz, left_at timestamp with time zone);",
            &RULE,
        );
    }
}
