use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, Ident, Statement, StatementKind};

/// PostgreSQL's `NAMEDATALEN - 1`: longer identifiers are cut to this many bytes.
const MAX_BYTES: usize = 63;

declare_rule! {
    /// ## What it does
    /// Flags table, column, index and constraint names longer than 63 bytes. Off by
    /// default, in the `style` group.
    ///
    /// ## Why is this bad?
    /// PostgreSQL truncates longer identifiers to 63 bytes with only a NOTICE, so the
    /// object gets a different name than the migration says. A later migration or query
    /// that uses the full name still works (it is truncated the same way), but two long
    /// names sharing their first 63 bytes collide, and tools comparing names see a
    /// mismatch. Multi-byte characters count by their bytes. This holds on every
    /// PostgreSQL version built with the default `NAMEDATALEN`.
    ///
    /// ## Example
    /// ```sql
    /// CREATE INDEX users_email_lower_for_case_insensitive_login_lookups_by_support_idx ON users (lower(email));
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE INDEX CONCURRENTLY users_email_lower_idx ON users (lower(email));
    /// ```
    pub static RULE = Rule {
        id: "identifier-too-long",
        group: Group::Style,
        default_severity: Severity::Note,
        enabled_by_default: false,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "identifiers over 63 bytes are silently truncated",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    for ident in declared_names(&statement.kind) {
        if ident.value.len() <= MAX_BYTES {
            continue;
        }
        let kept = truncated(&ident.value);
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!(
                    "`{}` is {} bytes: PostgreSQL silently truncates it to `{kept}`",
                    ident.value,
                    ident.value.len()
                ),
            )
            .help(format!(
                "choose a name of at most {MAX_BYTES} bytes, for example `{kept}` or a shorter one"
            )),
        );
    }
}

/// The names this statement gives to new tables, columns, indexes and constraints.
fn declared_names(kind: &StatementKind) -> Vec<&Ident> {
    match kind {
        StatementKind::CreateTable {
            name,
            columns,
            constraints,
            ..
        } => std::iter::once(&name.name)
            .chain(columns.iter().map(|c| &c.name))
            .chain(constraints.iter().filter_map(|c| c.name.as_ref()))
            .collect(),
        StatementKind::CreateIndex(index) => index.name.iter().collect(),
        StatementKind::AlterTable { actions, .. } => actions
            .iter()
            .filter_map(|a| match a {
                AlterAction::AddColumn { column, .. } => Some(&column.name),
                AlterAction::RenameColumn { to, .. } | AlterAction::RenameConstraint { to, .. } => {
                    Some(to)
                }
                AlterAction::RenameTable { to } => Some(&to.name),
                AlterAction::AddConstraint(c) => c.name.as_ref(),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The first 63 bytes, cut back to a character boundary as PostgreSQL does.
fn truncated(name: &str) -> &str {
    let mut end = MAX_BYTES.min(name.len());
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_long_names() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE users ADD COLUMN preferred_notification_channel_for_marketing_messages_in_europe_eu text, ADD CONSTRAINT users_preferred_notification_channel_for_marketing_messages_check CHECK (true) NOT VALID;",
            &RULE
        ));
    }

    #[test]
    fn counts_bytes_and_cuts_at_character_boundaries() {
        let name = "é".repeat(32);
        assert_eq!(name.len(), 64);
        assert_eq!(truncated(&name).len(), 62);
        lint_err(&format!("CREATE TABLE \"{name}\" (id bigint);"), &RULE);
        lint_ok(
            &format!("CREATE TABLE \"{}\" (id bigint);", "é".repeat(31)),
            &RULE,
        );
    }

    #[test]
    fn quiet_on_names_of_63_bytes() {
        lint_ok(
            &format!("CREATE TABLE {} (id bigint);", "t".repeat(63)),
            &RULE,
        );
    }
}
