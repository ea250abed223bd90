//! The indexes of a column that a rename replaces with a new one: MySQL drops them with the
//! old column in the contract phase, where the plain `RENAME COLUMN` keeps them. Each is
//! built again on the new column (in place, writes continue) after the backfill, and takes
//! its old name in the contract phase once the old index is gone. A key, a foreign key, or
//! an index whose items are not plain columns makes the plan refuse, naming each.

use super::super::dependants::{carry_indexes, IndexUse};
use super::super::{PlanError, PlanOptions, Rollback, Step};
use super::{pin, sql};
use crate::catalog::{Catalog, Table};
use crate::mysql::online_ddl::Operation;
use crate::statement::{Ident, ObjectName};

/// An index of the old column, built again on the new one under a temporary name.
pub struct CarriedIndex {
    name: String,
    temporary: String,
    columns: String,
    unique: bool,
}

/// The indexes to carry from `column` to `replacement`, or why the plan cannot move what
/// uses `column`.
pub fn carried_indexes(
    catalog: &Catalog,
    known: &Table,
    column: &Ident,
    replacement: &Ident,
) -> Result<Vec<CarriedIndex>, PlanError> {
    let key = column.key();
    carry_indexes(catalog, known, column, |name, index| {
        if !index.columns.iter().any(|c| c.key() == key) {
            return IndexUse::Unused;
        }
        // A prefix (`note(10)`) or an expression is no column the plan can rewrite.
        if index.columns.iter().any(|c| known.column(c).is_none()) {
            return IndexUse::Blocks(format!("the index {}", name.name));
        }
        let columns: Vec<String> = index
            .columns
            .iter()
            .map(|c| sql::ident(if c.key() == key { replacement } else { c }))
            .collect();
        let original = Ident::quoted(name.name.clone());
        IndexUse::Carried(CarriedIndex {
            name: sql::ident(&original),
            temporary: sql::ident(&Ident::quoted(sql::derived(&[&name.name, "new"]))),
            columns: columns.join(", "),
            unique: index.unique,
        })
    })
}

impl CarriedIndex {
    /// Builds the index on the new column, after the backfill.
    pub fn build(&self, table: &ObjectName, options: &PlanOptions) -> Result<Step, PlanError> {
        let unique = if self.unique { "UNIQUE " } else { "" };
        Ok(sql::pinned_alter(
            table,
            &format!("ADD {unique}INDEX {} ({})", self.temporary, self.columns),
            pin(Operation::AddIndex, &options.target)?,
        ))
    }

    /// Undoes [`Self::build`].
    pub fn drop_built(&self, table: &ObjectName, options: &PlanOptions) -> Result<Step, PlanError> {
        Ok(sql::pinned_alter(
            table,
            &format!("DROP INDEX {}", self.temporary),
            pin(Operation::DropIndex, &options.target)?,
        ))
    }

    /// Drops the old column's index, before the column goes.
    pub fn drop_old(&self, table: &ObjectName, options: &PlanOptions) -> Result<Step, PlanError> {
        Ok(sql::pinned_alter(
            table,
            &format!("DROP INDEX {}", self.name),
            pin(Operation::DropIndex, &options.target)?,
        ))
    }

    /// Gives the rebuilt index the old one's name.
    pub fn take_name(&self, table: &ObjectName, options: &PlanOptions) -> Result<Step, PlanError> {
        Ok(sql::pinned_alter(
            table,
            &format!("RENAME INDEX {} TO {}", self.temporary, self.name),
            pin(Operation::RenameIndex, &options.target)?,
        ))
    }
}

/// A backfill phase's `steps` followed by the builds of `carried`, and its rollback: the
/// builds dropped, or nothing to undo (`copied_values` says where the copies go).
pub fn then_build(
    carried: &[CarriedIndex],
    table: &ObjectName,
    mut steps: Vec<Step>,
    copied_values: String,
    options: &PlanOptions,
) -> Result<(Vec<Step>, Rollback), PlanError> {
    let mut rollback = Vec::new();
    for index in carried {
        steps.push(index.build(table, options)?);
        rollback.push(index.drop_built(table, options)?);
    }
    let rollback = if rollback.is_empty() {
        Rollback::Nothing(copied_values)
    } else {
        Rollback::Steps(rollback)
    };
    Ok((steps, rollback))
}
