use super::{alter_of_existing_table, column_constraint_name, constraint_name};
use crate::catalog::Catalog;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::names;
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, ConstraintKind, Ident, ObjectName, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ADD CONSTRAINT ... UNIQUE` and `ADD PRIMARY KEY` without `USING INDEX` on an
    /// existing table, and `ADD COLUMN ... UNIQUE` / `PRIMARY KEY` (the inline form).
    ///
    /// ## Why is this bad?
    /// PostgreSQL builds the unique index while it holds an ACCESS EXCLUSIVE lock on the
    /// table: it reads every row, and reads and writes wait until the build ends. A primary
    /// key also sets its columns NOT NULL, which scans the table again unless they already
    /// are. This holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
    /// SET lock_timeout = '2s';
    /// ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;
    /// ```
    /// Build the index concurrently (outside a transaction), then attach it: attaching only
    /// updates the catalogue. For a primary key, make the columns NOT NULL first (through a
    /// validated `CHECK (col IS NOT NULL)`), then `ADD CONSTRAINT ... PRIMARY KEY USING INDEX`.
    pub static RULE = Rule {
        id: "add-unique-constraint-without-index",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "ADD UNIQUE or PRIMARY KEY without USING INDEX builds the index under ACCESS EXCLUSIVE",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    for action in actions {
        let Some(key) = built_key(ctx.catalog, table, action) else {
            continue;
        };
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!(
                    "adding {} `{}` on `{table}` ({}) builds its unique index under ACCESS EXCLUSIVE, blocking reads and writes while every row is read",
                    key.kind, key.name, key.columns
                ),
            )
            .lock(table, LockMode::AccessExclusive, TableEffect::Scan)
            .help(key.safe_form(table)),
        );
    }
}

/// A UNIQUE or PRIMARY KEY constraint that builds its own index.
struct BuiltKey {
    kind: &'static str,
    name: Ident,
    columns: String,
    /// A primary key on columns the replay does not show NOT NULL: they must be made NOT NULL
    /// first, or the key reads the table again to check them.
    not_null_first: bool,
    /// Added inline with a new column, which must be added first.
    new_column: Option<String>,
}

fn built_key(catalog: &Catalog, table: &ObjectName, action: &AlterAction) -> Option<BuiltKey> {
    let list = |cols: &[Ident]| {
        cols.iter()
            .map(Ident::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match action {
        AlterAction::AddConstraint(c) => {
            let (primary, columns) = match &c.kind {
                ConstraintKind::Unique {
                    columns,
                    using_index: None,
                } => (false, columns),
                ConstraintKind::PrimaryKey {
                    columns,
                    using_index: None,
                } => (true, columns),
                _ => return None,
            };
            Some(BuiltKey {
                kind: if primary { "PRIMARY KEY" } else { "UNIQUE" },
                name: if primary {
                    constraint_name(c, table, None, "pkey")
                } else {
                    constraint_name(c, table, Some(columns), "key")
                },
                columns: list(columns),
                not_null_first: primary
                    && columns
                        .iter()
                        .any(|c| catalog.column(table, c).is_none_or(|known| !known.not_null)),
                new_column: None,
            })
        }
        AlterAction::AddColumn { column, .. } if column.unique || column.primary_key => {
            let primary = column.primary_key;
            Some(BuiltKey {
                kind: if primary { "PRIMARY KEY" } else { "UNIQUE" },
                name: if primary {
                    names::postgres_name(&table.name.key(), None, "pkey")
                } else {
                    column_constraint_name(table, &column.name, "key")
                },
                columns: column.name.to_string(),
                not_null_first: primary,
                new_column: Some(format!("{} {}", column.name, column.data_type.text)),
            })
        }
        _ => None,
    }
}

impl BuiltKey {
    fn safe_form(&self, table: &ObjectName) -> String {
        let mut steps = Vec::new();
        if let Some(column) = &self.new_column {
            steps.push(format!("`ALTER TABLE {table} ADD COLUMN {column};`"));
        }
        if self.not_null_first {
            steps.push(format!(
                "set `{}` NOT NULL through a validated CHECK (col IS NOT NULL)",
                self.columns
            ));
        }
        let index = &self.name;
        steps.push(format!(
            "`CREATE UNIQUE INDEX CONCURRENTLY {index} ON {table} ({});` outside a transaction",
            self.columns
        ));
        steps.push(format!(
            "`ALTER TABLE {table} ADD CONSTRAINT {index} {} USING INDEX {index};`",
            self.kind
        ));
        format!(
            "build the index first, then attach it: {}",
            steps.join(", then ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_unique_and_primary_key_constraints() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\nALTER TABLE accounts ADD PRIMARY KEY (id);",
            &RULE
        ));
    }

    #[test]
    fn a_primary_key_on_not_null_columns_needs_no_not_null_step() {
        let found = crate::engine::lint_source_after(
            "CREATE TABLE accounts (id bigint NOT NULL, ref bigint);",
            "ALTER TABLE accounts ADD PRIMARY KEY (id);\nALTER TABLE accounts ADD PRIMARY KEY (ref);",
            &crate::config::Settings::new(crate::dialect::Dialect::Postgres),
        );
        let helps: Vec<bool> = found
            .iter()
            .filter(|f| f.rule.id == RULE.id)
            .map(|f| f.help.as_deref().unwrap_or_default().contains("NOT NULL"))
            .collect();
        assert_eq!(helps, [false, true]);
    }

    #[test]
    fn flags_the_inline_forms() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE users ADD COLUMN code text UNIQUE;",
            &RULE
        ));
        lint_err(
            "ALTER TABLE users ADD COLUMN uid bigint PRIMARY KEY;",
            &RULE,
        );
    }

    #[test]
    fn quiet_with_using_index_and_on_new_tables() {
        lint_ok(
            "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_key;",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE users (id int, email text);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nCREATE TABLE billing.\"Invoices\" (id int);\nALTER TABLE billing.\"Invoices\" ADD PRIMARY KEY (id);\nCOMMIT;",
            &RULE,
        );
    }
}
