use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Notes an `ALTER TABLE` that directly follows another `ALTER TABLE` of the same
    /// existing table when both could be one statement (adding, dropping or retyping
    /// columns, dropping defaults or NOT NULL).
    ///
    /// ## Why is this bad?
    /// Each ALTER TABLE waits for its own ACCESS EXCLUSIVE lock, so traffic queues behind
    /// the table twice, and two type changes rewrite the table twice. One statement with
    /// several actions takes the lock once and rewrites at most once. This holds on every
    /// PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD COLUMN nickname text;
    /// ALTER TABLE users ADD COLUMN locale text;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET lock_timeout = '2s';
    /// ALTER TABLE users ADD COLUMN nickname text, ADD COLUMN locale text;
    /// ```
    pub static RULE = Rule {
        id: "combinable-alter-table",
        group: Group::Locking,
        default_severity: Severity::Note,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "consecutive ALTER TABLE statements on one table could be one",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::AlterTable { name, actions, .. } = &statement.kind else {
        return;
    };
    let Some(previous) = &ctx.session.previous_alter else {
        return;
    };
    let same_table = ctx.catalog.key(&previous.table) == ctx.catalog.key(name);
    if !same_table || ctx.is_new_table(name) || !actions.iter().all(AlterAction::merges_with_others)
    {
        return;
    }
    // The previous statement as written, then this one's actions: `ALTER TABLE` and the
    // name are the first three words.
    let merged_into = previous
        .span
        .text(ctx.source)
        .trim_end()
        .trim_end_matches(';')
        .trim_end();
    let rest = after_words(ctx.text(statement), leading_words(ctx.text(statement)))
        .trim_end()
        .trim_end_matches(';');
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("this ALTER TABLE on `{name}` follows another one on it: each waits for its own ACCESS EXCLUSIVE lock"),
        )
        .lock(name, LockMode::AccessExclusive, TableEffect::None)
        .help(format!("replace both statements with one: `{merged_into}, {rest};`")),
    );
}

/// How many words `ALTER TABLE [IF EXISTS] [ONLY] name` takes.
fn leading_words(text: &str) -> usize {
    let words: Vec<String> = text
        .split_whitespace()
        .take(6)
        .map(str::to_ascii_uppercase)
        .collect();
    let mut count = 2;
    if words.get(count).is_some_and(|w| w == "IF") {
        count += 2;
    }
    if words.get(count).is_some_and(|w| w == "ONLY") {
        count += 1;
    }
    count + 1
}

/// `text` after its first `count` whitespace-separated words, as written.
fn after_words(text: &str, count: usize) -> &str {
    let mut rest = text.trim_start();
    for _ in 0..count {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn notes_consecutive_alters_of_one_table() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE users ADD COLUMN nickname text;\nALTER TABLE public.users ALTER COLUMN score TYPE bigint;",
            &RULE
        ));
    }

    #[test]
    fn the_advice_is_the_merged_statement() {
        let found = lint_err(
            "ALTER TABLE users ADD COLUMN nickname text DEFAULT 'a  b';\nALTER TABLE IF EXISTS ONLY users ADD COLUMN locale text;",
            &RULE,
        );
        assert!(
            found.contains("`ALTER TABLE users ADD COLUMN nickname text DEFAULT 'a  b', ADD COLUMN locale text;`"),
            "{found}"
        );
    }

    #[test]
    fn quiet_when_they_cannot_or_should_not_merge() {
        lint_ok(
            "ALTER TABLE users ADD COLUMN nickname text;\nALTER TABLE orders ADD COLUMN note text;\nALTER TABLE users ADD COLUMN locale text;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE products ADD CONSTRAINT c CHECK (price > 0) NOT VALID;\nALTER TABLE products VALIDATE CONSTRAINT c;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE users ADD COLUMN k uuid;\nALTER TABLE users ALTER COLUMN k SET DEFAULT gen_random_uuid();",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE users ADD COLUMN a text;\nCOMMIT;\nBEGIN;\nALTER TABLE users ADD COLUMN b text;",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE users (id int);\nALTER TABLE users ADD COLUMN a text;\nALTER TABLE users ADD COLUMN b text;",
            &RULE,
        );
    }
}
