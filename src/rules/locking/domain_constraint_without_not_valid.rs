use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER DOMAIN ... ADD CONSTRAINT` without `NOT VALID`, and `ALTER DOMAIN ... SET
    /// NOT NULL`.
    ///
    /// ## Why is this bad?
    /// PostgreSQL checks the new constraint against every stored value of the domain: it
    /// takes a SHARE lock on each table with a column of that domain (writes blocked, reads
    /// continue) and scans it, all in one statement. A domain used by a large table, or by
    /// many tables, stops writes to all of them for the whole scan. `NOT VALID` (for CHECK
    /// constraints) skips the scan: the constraint then applies to new and updated values
    /// only. Measured on PostgreSQL 14 to 18.
    ///
    /// ## Example
    /// ```sql
    /// ALTER DOMAIN amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER DOMAIN amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0) NOT VALID;
    /// ```
    /// New and changed values are checked from then on without locking any table. `ALTER
    /// DOMAIN amount VALIDATE CONSTRAINT amount_positive` checks the old values later, but
    /// it scans the same tables under the same SHARE lock, so run it when a pause in writes
    /// is acceptable. For NOT NULL, add `CHECK (VALUE IS NOT NULL) NOT VALID` instead of
    /// `SET NOT NULL`.
    pub static RULE = Rule {
        id: "domain-constraint-without-not-valid",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "ALTER DOMAIN ADD CONSTRAINT without NOT VALID (or SET NOT NULL) scans every table using the domain under SHARE",
        lock: Some(LockClaim { mode: LockMode::Share, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::Other { keyword } = &statement.kind else {
        return;
    };
    if keyword != "ALTER DOMAIN" {
        return;
    }
    let words = words(ctx.text(statement));
    let Some(domain) = words.get(2) else {
        return;
    };
    let action = &words[3.min(words.len())..];
    let what = match action {
        [add, ..] if add == "ADD" => {
            if action.ends_with(&["NOT".to_string(), "VALID".to_string()]) {
                return;
            }
            "adding a constraint to"
        }
        [set, not, null, ..] if set == "SET" && not == "NOT" && null == "NULL" => "SET NOT NULL on",
        _ => return,
    };
    let domain = domain.to_lowercase();
    if created_earlier_in_file(ctx, statement, &domain) {
        return;
    }
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("{what} domain `{domain}` checks every stored value: each table with a column of that domain is scanned under a SHARE lock, which blocks its writes"),
        )
        .help("add the constraint as `CHECK (...) NOT VALID` (for NOT NULL: `CHECK (VALUE IS NOT NULL) NOT VALID`); it then applies to new and changed values without a scan"),
    );
}

/// A domain this file created holds no stored values yet (no existing table uses it).
fn created_earlier_in_file(ctx: &Ctx, statement: &Statement, domain: &str) -> bool {
    ctx.statements_before(statement).iter().any(|earlier| {
        matches!(&earlier.kind, StatementKind::Other { keyword } if keyword == "CREATE DOMAIN")
            && words(earlier.span.text(ctx.source))
                .get(2)
                .is_some_and(|name| name.to_lowercase() == domain)
    })
}

/// The statement's words outside comments and quoted literals, upper-cased; `(`, `)`, `,`
/// and `;` separate words.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    let flush = |word: &mut String, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(std::mem::take(word).to_uppercase());
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'-') => {
                flush(&mut word, &mut words);
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                flush(&mut word, &mut words);
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            '\'' => {
                flush(&mut word, &mut words);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                }
                words.push("'...'".to_string());
            }
            c if c.is_whitespace() || "(),;".contains(c) => flush(&mut word, &mut words),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut words);
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_a_validating_domain_constraint() {
        insta::assert_snapshot!(lint_err(
            "ALTER DOMAIN amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0);",
            &RULE
        ));
        lint_err("ALTER DOMAIN amount ADD CHECK (VALUE <> '');", &RULE);
        lint_err("ALTER DOMAIN amount SET NOT NULL;", &RULE);
    }

    #[test]
    fn quiet_on_not_valid_and_other_domain_changes() {
        lint_ok(
            "ALTER DOMAIN amount ADD CONSTRAINT p CHECK (VALUE > 0) NOT VALID;",
            &RULE,
        );
        lint_ok("ALTER DOMAIN amount DROP NOT NULL;", &RULE);
        lint_ok("ALTER DOMAIN amount DROP CONSTRAINT p;", &RULE);
        lint_ok("ALTER DOMAIN amount RENAME TO money;", &RULE);
        lint_ok(
            "CREATE DOMAIN amount AS int;\nALTER DOMAIN amount ADD CHECK (VALUE > 0);",
            &RULE,
        );
    }
}
