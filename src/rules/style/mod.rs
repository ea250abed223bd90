//! Type and naming advice, off by default (`[rules] style = "on"`).
pub mod identifier_too_long;
pub mod prefer_bigint;
pub mod prefer_identity;
pub mod prefer_jsonb;
pub mod prefer_text;
pub mod prefer_timestamptz;

use crate::statement::{
    AlterAction, ConstraintKind, DataType, Ident, ObjectName, Statement, StatementKind,
};
use std::borrow::Cow;

/// A column type this statement writes: a column of `CREATE TABLE`, an added column, or
/// the new type of `ALTER COLUMN ... TYPE`.
pub(crate) struct TypedColumn<'a> {
    pub table: &'a ObjectName,
    pub column: &'a Ident,
    pub data_type: &'a DataType,
    /// Part of the primary key or of a foreign key, as declared in this statement.
    pub is_key: bool,
    /// Declared `serial` / `bigserial` / `smallserial`.
    pub is_serial: bool,
}

impl TypedColumn<'_> {
    /// `users.id`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.table, self.column)
    }
}

pub(crate) fn typed_columns(statement: &Statement) -> Vec<TypedColumn<'_>> {
    match &statement.kind {
        StatementKind::CreateTable {
            name,
            columns,
            constraints,
            ..
        } => {
            let keyed: Vec<Cow<str>> = constraints
                .iter()
                .flat_map(|c| match &c.kind {
                    ConstraintKind::PrimaryKey { columns, .. }
                    | ConstraintKind::ForeignKey { columns, .. } => columns.as_slice(),
                    _ => &[],
                })
                .map(Ident::key)
                .collect();
            columns
                .iter()
                .map(|c| TypedColumn {
                    table: name,
                    column: &c.name,
                    data_type: &c.data_type,
                    is_key: c.primary_key
                        || c.references.is_some()
                        || keyed.contains(&c.name.key()),
                    is_serial: c.is_serial(),
                })
                .collect()
        }
        StatementKind::AlterTable { name, actions, .. } => actions
            .iter()
            .filter_map(|a| match a {
                AlterAction::AddColumn { column: c, .. } => Some(TypedColumn {
                    table: name,
                    column: &c.name,
                    data_type: &c.data_type,
                    is_key: c.primary_key || c.references.is_some(),
                    is_serial: c.is_serial(),
                }),
                AlterAction::AlterColumnType {
                    column, data_type, ..
                } => Some(TypedColumn {
                    table: name,
                    column,
                    data_type,
                    is_key: false,
                    is_serial: false,
                }),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `data_type` with its base name replaced, keeping the array suffix: `int[]` -> `bigint[]`.
pub(crate) fn with_base(data_type: &DataType, base: &str) -> String {
    if data_type.array {
        format!("{base}[]")
    } else {
        base.to_string()
    }
}
