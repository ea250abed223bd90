use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::rules::style::{typed_columns, with_base};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::Statement;

declare_rule! {
    /// ## What it does
    /// Flags `varchar(n)` and `char(n)` (`character`, `bpchar`) columns. Off by default, in
    /// the `style` group.
    ///
    /// ## Why is this bad?
    /// In PostgreSQL `text`, `varchar` and `varchar(n)` are stored the same way and are
    /// equally fast; the length limit is only a check. Raising it later is cheap, but
    /// lowering it, or changing `varchar(n)` to a domain or another type, rewrites the
    /// table under an ACCESS EXCLUSIVE lock. A `CHECK (char_length(col) <= n)` says the
    /// same and can be replaced with `NOT VALID` + `VALIDATE` without blocking. `char(n)`
    /// pads values with spaces, compares in surprising ways and is never faster. This holds
    /// on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE tags (id bigint PRIMARY KEY, name varchar(50), code char(3));
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE TABLE tags (id bigint PRIMARY KEY, name text CHECK (char_length(name) <= 50), code text);
    /// ```
    pub static RULE = Rule {
        id: "prefer-text",
        group: Group::Style,
        default_severity: Severity::Note,
        enabled_by_default: false,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "text with a CHECK is more flexible than varchar(n) or char(n)",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    for column in typed_columns(statement) {
        let data_type = column.data_type;
        let text = with_base(data_type, "text");
        let (why, help) = match (data_type.base.as_str(), data_type.args.first()) {
            ("varchar", Some(n)) => (
                "a length limit that is costly to change later",
                if data_type.array {
                    format!("declare `{} {text}`", column.column)
                } else {
                    format!(
                        "declare `{col} {text}`, with `CHECK (char_length({col}) <= {n})` if the limit matters",
                        col = column.column
                    )
                },
            ),
            ("char", _) => (
                "blank-padded, which makes comparisons and lengths surprising",
                format!("declare `{} {text}`", column.column),
            ),
            _ => continue,
        };
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("`{}` is `{}`: {why}", column.name(), data_type.text),
            )
            .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_bounded_varchar_and_char() {
        insta::assert_snapshot!(lint_err(
            "CREATE TABLE tags (name character varying(50), code character(3), flag char, aliases varchar(20)[]);",
            &RULE
        ));
        lint_err(
            "ALTER TABLE users ALTER COLUMN name TYPE varchar(200);",
            &RULE,
        );
    }

    #[test]
    fn quiet_on_text_and_unbounded_varchar() {
        lint_ok("CREATE TABLE tags (name text, other varchar);", &RULE);
    }
}
