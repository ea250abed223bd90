//! Statements that take locks blocking reads or writes, or rewrite or scan a table.
pub mod add_check_without_not_valid;
pub mod add_column_constrained_domain;
pub mod add_column_volatile_default;
pub mod add_exclusion_constraint;
pub mod add_foreign_key_without_not_valid;
pub mod add_serial_or_generated_column;
pub mod add_unique_constraint_without_index;
pub mod attach_partition_without_check;
pub mod change_column_type;
pub mod cluster;
pub mod combinable_alter_table;
pub mod create_index_non_concurrently;
pub mod detach_partition_non_concurrently;
pub mod domain_constraint_without_not_valid;
pub mod drop_index_non_concurrently;
pub mod lock_table;
pub mod merge_or_split_partitions;
pub mod missing_lock_timeout;
pub mod missing_statement_timeout;
pub mod partition_beside_default;
pub mod refresh_materialized_view_non_concurrently;
pub mod reindex_non_concurrently;
pub mod repack_non_concurrently;
pub mod set_generated_expression;
pub mod set_logged_unlogged_or_tablespace;
pub mod set_not_null_without_check;
pub mod statement_after_access_exclusive;
pub mod trigger_on_existing_table;
pub mod vacuum_full;

use crate::diagnostic::TableLock;
use crate::names;
use crate::rules::Ctx;
use crate::statement::{AlterAction, Constraint, Ident, ObjectName, Statement, StatementKind};

/// The table and actions of an ALTER TABLE on a table that existed before this change set.
/// A table created in the change set is empty and read by nobody yet, and one emptied
/// earlier in the transaction has no rows to rewrite or scan, so locking rules stay quiet
/// on them.
fn alter_of_existing_table<'s>(
    ctx: &Ctx,
    statement: &'s Statement,
) -> Option<(&'s ObjectName, &'s [AlterAction])> {
    let StatementKind::AlterTable { name, actions, .. } = &statement.kind else {
        return None;
    };
    (!ctx.holds_no_rows(name)).then_some((name, actions.as_slice()))
}

/// The constraint's own name, or the name PostgreSQL would give it (`users_email_key`):
/// the table's and the columns' stored names, then `label`.
fn constraint_name(
    constraint: &Constraint,
    table: &ObjectName,
    columns: Option<&[Ident]>,
    label: &str,
) -> Ident {
    match &constraint.name {
        Some(n) => n.clone(),
        None => {
            let columns = columns.map(names::column_list_name);
            names::postgres_name(&table.name.key(), columns.as_deref(), label)
        }
    }
}

/// The name PostgreSQL gives a constraint it derives from one column (`orders_total_check`).
fn column_constraint_name(table: &ObjectName, column: &Ident, label: &str) -> Ident {
    names::postgres_name(&table.name.key(), Some(&column.key()), label)
}

/// The locked tables for a message: `` `users` ``, or a description such as "the table of
/// index users_email_idx" when the replay never saw the index created.
fn shown_tables(locks: &[TableLock]) -> String {
    locks
        .iter()
        .map(|l| match l.object {
            Some(_) => format!("`{}`", l.table),
            None => l.table.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
