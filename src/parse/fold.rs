//! PostgreSQL folds unquoted identifiers to lower case: `CREATE TABLE Users` creates
//! `users`. Folding every name of a statement once, right after parsing, lets messages,
//! help and fixes name each object as the server knows it, while quoted names stay exact.
//! (MySQL keeps names as written; the catalogue compares them case-insensitively.)

use crate::statement::{
    fold_unquoted, AlterAction, ColumnDef, ColumnPosition, Constraint, ConstraintKind, Ident,
    IndexDef, ObjectChange, ObjectName, Partitioning, StatementKind,
};
use std::borrow::Cow;

/// Folds every unquoted identifier of `kind` to lower case.
pub fn fold_unquoted_names(kind: &mut StatementKind) {
    use StatementKind as K;
    match kind {
        K::CreateTable {
            name,
            columns,
            constraints,
            partitioning,
            search_indexes,
            like,
            ..
        } => {
            object(name);
            columns.iter_mut().for_each(column);
            constraints.iter_mut().for_each(constraint);
            search_indexes.iter_mut().for_each(index_def);
            like.iter_mut().for_each(object);
            match partitioning {
                Partitioning::Of { parent, .. } => object(parent),
                Partitioning::Parent { key } => key.iter_mut().for_each(ident),
                Partitioning::None => {}
            }
        }
        K::RenameIndex { name, to } => {
            object(name);
            ident(to);
        }
        K::AlterTable { name, actions, .. } => {
            object(name);
            actions.iter_mut().for_each(action);
        }
        K::CreateIndex(index) => index_def(index),
        K::DropIndex { names, table, .. } => {
            names.iter_mut().for_each(object);
            table.iter_mut().for_each(object);
        }
        K::DropTable { names, .. }
        | K::Truncate { tables: names, .. }
        | K::Vacuum { tables: names, .. }
        | K::LockTable { tables: names, .. }
        | K::OptimizeTable { tables: names } => names.iter_mut().for_each(object),
        K::DropSchema { names, .. } => names.iter_mut().for_each(ident),
        K::DropDatabase { name } => ident(name),
        K::AlterSchemaRename { from, to } => {
            ident(from);
            ident(to);
        }
        K::RenameTables { pairs } => {
            for (from, to) in pairs {
                object(from);
                object(to);
            }
        }
        K::Update { table, copies, .. } => {
            object(table);
            for copy in copies {
                ident(&mut copy.to);
                ident(&mut copy.from);
            }
        }
        K::Insert { table, from } => {
            object(table);
            from.iter_mut().for_each(object);
        }
        K::Delete { table, .. } | K::CreateTrigger { table } | K::DropTrigger { table } => {
            object(table)
        }
        K::Reindex { target, .. } => target.iter_mut().for_each(object),
        K::Cluster { table } | K::Repack { table, .. } => table.iter_mut().for_each(object),
        K::DropObject { names, .. } => names.iter_mut().for_each(object),
        K::AlterObject { name, change, .. } => {
            object(name);
            match change {
                ObjectChange::RenameTo(to) | ObjectChange::SetSchema(to) => ident(to),
                ObjectChange::RenameColumn { from, to } => {
                    ident(from);
                    ident(to);
                }
                ObjectChange::Other => {}
            }
        }
        K::CreateMaterializedView { name, query }
        | K::CreateObject {
            name,
            view: Some(query),
            ..
        } => {
            object(name);
            query.relations.iter_mut().for_each(object);
            query.names.iter_mut().for_each(ident);
        }
        K::CreateObject { name, .. }
        | K::CreateDomain { name, .. }
        | K::AlterDomain { name, .. }
        | K::RefreshMaterializedView { name, .. }
        | K::AlterType { name, .. } => object(name),
        K::Begin
        | K::Commit
        | K::Rollback
        | K::Set { .. }
        | K::Other { .. }
        | K::Unparsed { .. } => {}
    }
}

fn ident(name: &mut Ident) {
    if name.is_quoted() {
        return;
    }
    if let Cow::Owned(folded) = fold_unquoted(&name.value) {
        name.value = folded;
    }
}

fn object(name: &mut ObjectName) {
    name.schema.iter_mut().for_each(ident);
    ident(&mut name.name);
}

fn column(def: &mut ColumnDef) {
    ident(&mut def.name);
    def.references.iter_mut().for_each(object);
    def.referred_columns.iter_mut().for_each(ident);
}

fn constraint(c: &mut Constraint) {
    c.name.iter_mut().for_each(ident);
    match &mut c.kind {
        ConstraintKind::PrimaryKey {
            columns,
            using_index,
        }
        | ConstraintKind::Unique {
            columns,
            using_index,
        } => {
            columns.iter_mut().for_each(ident);
            using_index.iter_mut().for_each(|index| ident(index));
        }
        ConstraintKind::ForeignKey { columns, target } => {
            columns.iter_mut().for_each(ident);
            object(&mut target.references);
            target.referred_columns.iter_mut().for_each(ident);
        }
        ConstraintKind::NotNull { column } => ident(column),
        ConstraintKind::Check { .. } | ConstraintKind::Exclude => {}
    }
}

fn index_def(index: &mut IndexDef) {
    index.name.iter_mut().for_each(ident);
    object(&mut index.table);
}

fn position(at: &mut Option<ColumnPosition>) {
    if let Some(ColumnPosition::After(column)) = at {
        ident(column);
    }
}

fn action(a: &mut AlterAction) {
    use AlterAction as A;
    match a {
        A::AddColumn {
            column: def,
            position: at,
            ..
        } => {
            column(def);
            position(at);
        }
        A::RedefineColumn {
            old,
            column: def,
            position: at,
        } => {
            ident(old);
            column(def);
            position(at);
        }
        A::DropColumn { column, .. }
        | A::AlterColumnType { column, .. }
        | A::SetNotNull { column }
        | A::DropNotNull { column }
        | A::SetDefault { column, .. }
        | A::DropDefault { column }
        | A::ChangeIdentity { column, .. } => ident(column),
        A::RenameColumn { from, to }
        | A::RenameConstraint { from, to }
        | A::RenameIndex { from, to } => {
            ident(from);
            ident(to);
        }
        A::RenameTable { to } => object(to),
        A::SetSchema { schema } => ident(schema),
        A::AddConstraint(c) => constraint(c),
        A::ValidateConstraint { name }
        | A::EnforceConstraint { name }
        | A::DropConstraint { name, .. }
        | A::DropIndex { name }
        | A::SetExpression { column: name } => ident(name),
        A::AddIndex(index) => index_def(index),
        A::AttachPartition { partition, .. } | A::DetachPartition { partition, .. } => {
            partition.iter_mut().for_each(object)
        }
        A::MergePartitions { partitions, into } => {
            partitions.iter_mut().for_each(object);
            object(into);
        }
        A::SplitPartition { partition, into } => {
            object(partition);
            into.iter_mut().for_each(|(name, _)| object(name));
        }
        A::DropPrimaryKey
        | A::SetLogged
        | A::SetUnlogged
        | A::SetTablespace
        | A::EnableTrigger
        | A::DisableTrigger
        | A::TableSetting { .. }
        | A::Algorithm(_)
        | A::Lock(_)
        | A::Repartition { .. }
        | A::Other(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::parse::parse_text;
    use crate::statement::StatementKind;

    fn names_of(sql: &str, dialect: Dialect) -> (String, String) {
        let parsed = parse_text(sql, dialect);
        match &parsed.statements[0].kind {
            StatementKind::AlterTable { name, actions, .. } => {
                (name.to_string(), format!("{:?}", actions[0]))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn postgres_folds_unquoted_names_and_keeps_quoted_ones() {
        let (table, action) = names_of(
            "ALTER TABLE Billing.Invoices RENAME COLUMN \"DueAt\" TO PaidAt",
            Dialect::Postgres,
        );
        assert_eq!(table, "billing.invoices");
        assert!(
            action.contains("\"DueAt\"") && action.contains("\"paidat\""),
            "{action}"
        );
    }

    #[test]
    fn mysql_keeps_names_as_written() {
        let (table, action) = names_of(
            "ALTER TABLE Invoices RENAME COLUMN DueAt TO PaidAt",
            Dialect::Mysql,
        );
        assert_eq!(table, "Invoices");
        assert!(action.contains("\"PaidAt\""), "{action}");
    }
}
