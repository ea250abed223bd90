use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::dialect::Dialect;
use crate::rules::{Ctx, Group, BOTH};
use crate::span::Span;
use crate::statement::{AlterAction, Origin, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Reports a statement that neither `sqlparser` nor lockstep's fallback recogniser
    /// understands, with the parser's message and position.
    ///
    /// ## Why is this bad?
    /// No rule can check a statement lockstep cannot read, so a risky change inside it
    /// would pass unnoticed. The rest of the file is still checked.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users FROBNICATE everything;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER TABLE users ADD COLUMN nickname text;
    /// ```
    /// If the statement is valid SQL for your server, report it so lockstep learns it; to
    /// silence the note, add `-- lockstep:ignore unparsed-statement` above it.
    pub static RULE = Rule {
        id: "unparsed-statement",
        group: Group::Meta,
        default_severity: Severity::Note,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "a statement lockstep could not parse, so no rule checked it",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    if let Some(actions) = unknown_fallback_actions(statement, ctx.target.dialect) {
        let message = format!("only partly understood, so some of it was not checked: unknown ALTER TABLE action `{actions}`");
        ctx.report(Finding::new(&RULE, statement.span, message));
        return;
    }
    let StatementKind::Unparsed { message, at } = &statement.kind else {
        return;
    };
    let start = at
        .unwrap_or(statement.span.start)
        .clamp(statement.span.start, statement.span.end);
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("could not parse this statement, so no rule checked it: {message}"),
        )
        .at(Span::new(start as usize, statement.span.end as usize)),
    );
}

/// The actions the fallback could only label, in a statement `sqlparser` rejected. MySQL
/// table options the online-DDL matrix judges count as understood.
fn unknown_fallback_actions(statement: &Statement, dialect: Dialect) -> Option<String> {
    let (Origin::Fallback { .. }, StatementKind::AlterTable { actions, .. }) =
        (&statement.origin, &statement.kind)
    else {
        return None;
    };
    let unknown: Vec<&str> = actions
        .iter()
        .filter_map(|a| match a {
            AlterAction::Other(words)
                if !(dialect == Dialect::Mysql
                    && crate::mysql::clauses::understood_action(words)) =>
            {
                Some(words.as_str())
            }
            _ => None,
        })
        .collect();
    (!unknown.is_empty()).then(|| unknown.join("`, `"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::lint_err;

    #[test]
    fn reports_the_parser_message() {
        insta::assert_snapshot!(lint_err(
            "FROBNICATE the users table;\nALTER TABLE users FROBNICATE everything;",
            &RULE
        ));
    }
}
