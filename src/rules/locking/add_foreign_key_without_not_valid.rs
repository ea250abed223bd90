use super::{alter_of_existing_table, column_constraint_name, constraint_name};
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::locks::inline_foreign_key_validates;
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, ConstraintKind, ForeignTarget, Ident, ObjectName, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ADD CONSTRAINT ... FOREIGN KEY` without `NOT VALID` on an existing table, and
    /// `ADD COLUMN ... DEFAULT ... REFERENCES` (the inline form, which checks every row
    /// because of the default).
    ///
    /// ## Why is this bad?
    /// PostgreSQL takes SHARE ROW EXCLUSIVE locks on both the table and the referenced table
    /// and checks every existing row against the referenced table before it commits: writes
    /// to both tables wait for the whole scan. With `NOT VALID` the constraint is added
    /// without the scan and enforced for new rows; `VALIDATE CONSTRAINT` later checks the old
    /// rows under a SHARE UPDATE EXCLUSIVE lock, which blocks neither reads nor writes. A new
    /// column without a default needs no check (all its values are NULL) and is not flagged.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET lock_timeout = '2s';
    /// ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
    /// ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;
    /// ```
    /// Run the VALIDATE in its own transaction (or a later migration), so the brief lock of
    /// the add is released before the scan starts.
    pub static RULE = Rule {
        id: "add-foreign-key-without-not-valid",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "ADD FOREIGN KEY without NOT VALID blocks writes to both tables while every row is checked",
        lock: Some(LockClaim { mode: LockMode::ShareRowExclusive, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    for action in actions {
        if let AlterAction::EnforceConstraint { name } = action {
            report_enforce(ctx, statement, table, name);
            continue;
        }
        let Some(key) = validated_foreign_key(table, action) else {
            continue;
        };
        let (name, references) = (&key.name, key.references);
        let mut steps = Vec::new();
        if let Some(column) = &key.new_column {
            steps.push(format!(
                "add the column without REFERENCES, `ALTER TABLE {table} ADD COLUMN {column};`"
            ));
        }
        steps.push(format!(
            "`ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({cols}) REFERENCES {references}{refcols}{clauses} NOT VALID;`",
            cols = key.columns,
            refcols = key.referred_columns,
            clauses = key.clauses
        ));
        steps.push(format!(
            "in a separate transaction, `ALTER TABLE {table} VALIDATE CONSTRAINT {name};`"
        ));
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("adding foreign key `{name}` from `{table}` to `{references}` checks every row of `{table}` while writes to both tables wait"),
            )
            .lock(table, key.table_mode, TableEffect::Scan)
            .lock(references, LockMode::ShareRowExclusive, TableEffect::Scan)
            .help(steps.join(", then ")),
        );
    }
}

/// PostgreSQL 18's `ALTER CONSTRAINT name ENFORCED` on a `NOT ENFORCED` foreign key: it
/// checks every row under ACCESS EXCLUSIVE, where `VALIDATE` would take SHARE UPDATE
/// EXCLUSIVE. The way round is to add the key again `NOT VALID` and validate it.
fn report_enforce(ctx: &mut Ctx, statement: &Statement, table: &ObjectName, name: &Ident) {
    let key = name.key();
    let definition = ctx.catalog.table(table).and_then(|known| {
        known.constraints.iter().find_map(|c| match &c.kind {
            ConstraintKind::ForeignKey { columns, target } if c.name.as_deref() == Some(&*key) => {
                let ForeignTarget {
                    references,
                    referred_columns,
                    clauses,
                } = &**target;
                Some((columns, references, referred_columns, clauses))
            }
            _ => None,
        })
    });
    let mut finding = Finding::new(
        &RULE,
        statement.span,
        format!("enforcing foreign key `{name}` checks every row of `{table}` under ACCESS EXCLUSIVE: reads and writes of `{table}` wait until it ends"),
    )
    .lock(table, LockMode::AccessExclusive, TableEffect::Scan);
    let help = match definition {
        Some((columns, references, referred_columns, clauses)) => {
            finding = finding.lock(references, LockMode::ShareRowExclusive, TableEffect::Scan);
            format!(
                "replace it with a key that is checked later: `ALTER TABLE {table} DROP CONSTRAINT {name}, ADD CONSTRAINT {name} FOREIGN KEY ({}) REFERENCES {references}{}{} NOT VALID;`, then in a separate transaction `ALTER TABLE {table} VALIDATE CONSTRAINT {name};`",
                column_list(columns),
                parenthesised(&column_list(referred_columns)),
                spaced(&without_not_enforced(clauses))
            )
        }
        None => format!("drop `{name}` and add it again with NOT VALID, then VALIDATE CONSTRAINT it in a separate transaction"),
    };
    ctx.report(finding.help(help));
}

/// The key's clauses (`ON DELETE CASCADE DEFERRABLE ...`) without `NOT ENFORCED`.
fn without_not_enforced(clauses: &str) -> String {
    let words: Vec<&str> = clauses.split_whitespace().collect();
    let mut kept = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let pair = words
            .get(i..i + 2)
            .map(|w| w.join(" ").to_ascii_uppercase());
        if pair.as_deref() == Some("NOT ENFORCED") {
            i += 2;
        } else {
            kept.push(words[i]);
            i += 1;
        }
    }
    kept.join(" ")
}

/// A foreign key that checks the existing rows when it is added.
struct ValidatedKey<'a> {
    name: Ident,
    columns: String,
    references: &'a ObjectName,
    /// ` (id)`, or empty when the statement relies on the referenced primary key.
    referred_columns: String,
    /// ` ON DELETE CASCADE` and the like, kept in the advice.
    clauses: String,
    new_column: Option<String>,
    /// SHARE ROW EXCLUSIVE for the constraint; ADD COLUMN takes ACCESS EXCLUSIVE.
    table_mode: LockMode,
}

fn validated_foreign_key<'a>(
    table: &ObjectName,
    action: &'a AlterAction,
) -> Option<ValidatedKey<'a>> {
    match action {
        AlterAction::AddConstraint(c) if c.checks_existing_rows() => {
            let ConstraintKind::ForeignKey { columns, target } = &c.kind else {
                return None;
            };
            let ForeignTarget {
                references,
                referred_columns,
                clauses,
            } = &**target;
            Some(ValidatedKey {
                name: constraint_name(c, table, Some(columns), "fkey"),
                columns: column_list(columns),
                references,
                referred_columns: parenthesised(&column_list(referred_columns)),
                clauses: spaced(clauses),
                new_column: None,
                table_mode: LockMode::ShareRowExclusive,
            })
        }
        AlterAction::AddColumn { column, .. } if inline_foreign_key_validates(column) => {
            Some(ValidatedKey {
                name: column_constraint_name(table, &column.name, "fkey"),
                columns: column.name.to_string(),
                references: column.references.as_ref()?,
                referred_columns: String::new(),
                clauses: String::new(),
                new_column: Some(format!(
                    "{} {} DEFAULT {}",
                    column.name,
                    column.data_type.text,
                    column.default.as_ref()?.text
                )),
                table_mode: LockMode::AccessExclusive,
            })
        }
        _ => None,
    }
}

/// Columns as SQL writes them in a key: `a, b`.
fn column_list(columns: &[Ident]) -> String {
    columns
        .iter()
        .map(Ident::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn spaced(clauses: &str) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!(" {clauses}")
    }
}

fn parenthesised(columns: &str) -> String {
    if columns.is_empty() {
        String::new()
    } else {
        format!(" ({columns})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_err_at, lint_ok, lint_ok_at};

    #[test]
    fn flags_a_validating_foreign_key() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);",
            &RULE
        ));
        lint_err(
            "ALTER TABLE billing.invoices ADD FOREIGN KEY (user_id) REFERENCES users;",
            &RULE,
        );
    }

    #[test]
    fn the_advice_keeps_the_keys_actions_and_quoted_names() {
        let found = lint_err(
            "ALTER TABLE \"ProjectAlert\" ADD FOREIGN KEY (\"projectId\") REFERENCES \"Project\" (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;",
            &RULE,
        );
        assert!(
            found.contains("`ALTER TABLE \"ProjectAlert\" ADD CONSTRAINT \"ProjectAlert_projectId_fkey\" FOREIGN KEY (\"projectId\") REFERENCES \"Project\" (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;`"),
            "{found}"
        );
    }

    #[test]
    fn flags_an_inline_reference_with_a_default() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE users ADD COLUMN org_id bigint DEFAULT 1 REFERENCES orgs (id);",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_not_valid_new_nullable_columns_and_new_tables() {
        lint_ok(
            "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE users ADD COLUMN org_id bigint REFERENCES orgs (id);",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE orders (id int, user_id int);\nALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nCREATE TABLE app.\"Orders\" (id int, user_id int);\nALTER TABLE app.\"Orders\" ADD FOREIGN KEY (user_id) REFERENCES users (id);\nCOMMIT;",
            &RULE,
        );
    }

    #[test]
    fn flags_enforcing_a_not_enforced_key() {
        insta::assert_snapshot!(lint_err_at(
            "18",
            "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT ENFORCED;\n\
             ALTER TABLE orders ALTER CONSTRAINT orders_user_fk ENFORCED;",
            &RULE
        ));
        lint_ok_at(
            "18",
            "ALTER TABLE orders ALTER CONSTRAINT orders_user_fk NOT ENFORCED;\nALTER TABLE orders ALTER CONSTRAINT orders_user_fk DEFERRABLE;",
            &RULE,
        );
    }
}
