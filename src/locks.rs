//! The lock model: which table locks a statement takes, and what it does to the rows.
//!
//! One place answers "what lock does this take" for every rule and for the session
//! tracking, so a claim is written once and the real-server tests check it once.
//! PostgreSQL modes follow the "Explicit Locking" and "ALTER TABLE" chapters of the
//! PostgreSQL documentation (11 to 18).

use crate::catalog::Catalog;
use crate::diagnostic::{LockMode, TableEffect, TableLock};
use crate::dialect::{Dialect, Target};
use crate::statement::{
    AlterAction, ColumnDef, ConstraintKind, DataType, Generated, Ident, ObjectChange, ObjectKind,
    ObjectName, Partitioning, ReindexScope, Statement, StatementKind, Volatility,
};

/// The table locks `statement` takes, strongest per table, in statement order. MySQL's
/// come from the online-DDL matrix (`crate::mysql`), judged with `foreign_key_checks` on.
pub fn statement_locks(
    statement: &Statement,
    catalog: &Catalog,
    target: &Target,
) -> Vec<TableLock> {
    if target.dialect == Dialect::Mysql {
        return crate::mysql::clauses::statement_locks(statement, catalog, target);
    }
    let mut locks = Locks::default();
    use LockMode::*;
    use StatementKind as K;
    match &statement.kind {
        K::CreateTable {
            name,
            columns,
            constraints,
            partitioning,
            ..
        } => {
            // A new partition locks its parent ACCESS EXCLUSIVE, and a DEFAULT partition too,
            // which it reads for rows that now belong to the new one.
            if let Partitioning::Of { parent, default } = partitioning {
                locks.add(parent, AccessExclusive, TableEffect::None);
                if !default {
                    if let Some(fallback) = catalog.default_partition(parent) {
                        locks.add(fallback, AccessExclusive, TableEffect::Scan);
                    }
                }
            }
            // A new table is invisible to others; only the other tables it references are
            // locked (a key referencing the table itself locks nothing anyone can see).
            let referenced = columns
                .iter()
                .filter_map(|c| c.references.as_ref())
                .chain(constraints.iter().filter_map(|c| c.kind.referenced_table()));
            for r in referenced.filter(|r| catalog.key(r) != catalog.key(name)) {
                locks.add(r, ShareRowExclusive, TableEffect::None);
            }
        }
        K::CreateIndex(index) => {
            let mode = if index.concurrently {
                ShareUpdateExclusive
            } else {
                Share
            };
            let partitioned = catalog.table(&index.table).is_some_and(|t| t.partitioned);
            if partitioned && index.only {
                // The parent's own index, left invalid: a partitioned table has no rows.
                locks.add(&index.table, mode, TableEffect::None);
            } else {
                locks.add(&index.table, mode, TableEffect::Scan);
                // Without ONLY the index is built on every partition, under the same lock.
                if partitioned {
                    for partition in catalog.partitions(&index.table) {
                        locks.add(&partition.name, mode, TableEffect::Scan);
                    }
                }
            }
        }
        K::DropIndex {
            names,
            table,
            concurrently,
            ..
        } => {
            let mode = if *concurrently {
                ShareUpdateExclusive
            } else {
                AccessExclusive
            };
            match table {
                Some(t) => locks.add(t, mode, TableEffect::None),
                None => {
                    for n in names {
                        if let Some(t) = catalog.index_table(n) {
                            locks.add(&t, mode, TableEffect::None);
                        } else {
                            locks.add_named(
                                format!("the table of index {n}"),
                                mode,
                                TableEffect::None,
                            );
                        }
                    }
                }
            }
        }
        K::AlterTable { name, actions, .. } => {
            for action in actions {
                alter_action_locks(&mut locks, name, action, catalog, target);
            }
        }
        K::DropTable { names, .. } => {
            for n in names {
                locks.add(n, AccessExclusive, TableEffect::None);
                // Dropping a table with a foreign key removes the key's triggers from the
                // referenced table, under ACCESS EXCLUSIVE there too.
                for referenced in catalog.referenced_tables(n) {
                    locks.add(referenced, AccessExclusive, TableEffect::None);
                }
            }
        }
        K::Truncate { tables: names, .. } => {
            for n in names {
                locks.add(n, AccessExclusive, TableEffect::None);
            }
        }
        K::Update { table, .. } | K::Delete { table, .. } | K::Insert { table, .. } => {
            locks.add(table, RowExclusive, TableEffect::None)
        }
        K::Reindex {
            concurrently,
            scope,
            target: Some(target),
        } => {
            // The table is read to build the new index files; its own files stay. The index
            // itself is locked ACCESS EXCLUSIVE, which also stalls queries planned on it.
            let mode = if *concurrently {
                ShareUpdateExclusive
            } else {
                Share
            };
            match scope {
                ReindexScope::Table => locks.add(target, mode, TableEffect::Scan),
                ReindexScope::Index => match catalog.index_table(target) {
                    Some(t) => locks.add(&t, mode, TableEffect::Scan),
                    None => locks.add_named(
                        format!("the table of index {target}"),
                        mode,
                        TableEffect::Scan,
                    ),
                },
                ReindexScope::Many => {}
            }
        }
        K::Vacuum { full: true, tables } => {
            for t in tables {
                locks.add(t, AccessExclusive, TableEffect::Rewrite);
            }
        }
        K::Cluster { table: Some(t) } => locks.add(t, AccessExclusive, TableEffect::Rewrite),
        K::Repack {
            table: Some(t),
            concurrently,
        } => {
            // CONCURRENTLY copies under SHARE UPDATE EXCLUSIVE and takes ACCESS EXCLUSIVE
            // only to swap the files at the end (PostgreSQL 19 release notes and REPACK page):
            // that moment waits for, and queues readers behind, every open transaction.
            let effect = if *concurrently {
                TableEffect::None
            } else {
                TableEffect::Rewrite
            };
            locks.add(t, AccessExclusive, effect)
        }
        K::LockTable { tables, mode } => {
            let mode = lock_table_mode(mode);
            for t in tables {
                locks.add(t, mode, TableEffect::None);
            }
        }
        K::RefreshMaterializedView { name, concurrently } => {
            // The concurrent form diffs the new result into the existing files.
            let (mode, effect) = if *concurrently {
                (Exclusive, TableEffect::Scan)
            } else {
                (AccessExclusive, TableEffect::Rewrite)
            };
            locks.add(name, mode, effect);
        }
        K::CreateTrigger { table } => locks.add(table, ShareRowExclusive, TableEffect::None),
        K::DropTrigger { table } => locks.add(table, AccessExclusive, TableEffect::None),
        // Views and sequences are relations too: dropping, replacing or renaming one waits
        // for its readers and blocks them until commit; any other ALTER SEQUENCE (`AS
        // bigint`, `RESTART`, ...) takes SHARE ROW EXCLUSIVE, which blocks `nextval()`.
        // Measured in tests/db_postgres_versions.rs.
        K::DropObject { kind, names, .. } if kind.is_relation() => {
            for name in names {
                locks.add(name, AccessExclusive, TableEffect::None);
            }
        }
        K::CreateObject {
            kind: ObjectKind::View,
            name,
            or_replace: true,
            ..
        } => locks.add(name, AccessExclusive, TableEffect::None),
        K::AlterObject { kind, name, change } if kind.is_relation() => {
            match (kind, change) {
                (ObjectKind::Sequence, ObjectChange::Other) => {
                    locks.add(name, ShareRowExclusive, TableEffect::None)
                }
                // Owners, options and the like of views: not modelled.
                (_, ObjectChange::Other) => {}
                _ => locks.add(name, AccessExclusive, TableEffect::None),
            }
        }
        _ => {}
    }
    locks.0
}

fn alter_action_locks(
    locks: &mut Locks,
    table: &ObjectName,
    action: &AlterAction,
    catalog: &Catalog,
    target: &Target,
) {
    use LockMode::*;
    match action {
        AlterAction::AddColumn { column, .. } => {
            let domain = catalog.is_constrained_domain(&column.data_type);
            locks.add(
                table,
                AccessExclusive,
                add_column_effect(column, domain, target),
            );
            if let Some(r) = &column.references {
                let effect = if inline_foreign_key_validates(column) {
                    TableEffect::Scan
                } else {
                    TableEffect::None
                };
                locks.add(r, ShareRowExclusive, effect);
            }
        }
        AlterAction::AlterColumnType {
            column,
            data_type,
            using,
        } => {
            let change = TypeChange {
                old: catalog.column(table, column).map(|c| &*c.data_type),
                new: data_type,
                using: using.is_some(),
                has_check: catalog.column_has_check(table, column),
                // The session's time zone is unknown here; the rule that knows it asks
                // `type_change_effect` itself.
                utc_session: false,
            };
            locks.add(table, AccessExclusive, type_change_effect(&change, target));
        }
        AlterAction::SetNotNull { column } => {
            let effect = if not_null_proven(catalog, table, column, target) {
                TableEffect::None
            } else {
                TableEffect::Scan
            };
            locks.add(table, AccessExclusive, effect);
        }
        AlterAction::AddConstraint(constraint) => {
            let effect = if constraint.checks_existing_rows() {
                TableEffect::Scan
            } else {
                TableEffect::None
            };
            match &constraint.kind {
                // Validation joins the two tables, reading the referenced one as well.
                ConstraintKind::ForeignKey { target, .. } => {
                    locks.add(table, ShareRowExclusive, effect);
                    locks.add(&target.references, ShareRowExclusive, effect);
                }
                // Its nullable columns become NOT NULL, read as SET NOT NULL reads them.
                ConstraintKind::PrimaryKey {
                    using_index: Some(index),
                    ..
                } => {
                    let scans = catalog
                        .nullable_index_columns(table, index)
                        .into_iter()
                        .any(|column| !not_null_proven(catalog, table, column, target));
                    let effect = if scans {
                        TableEffect::Scan
                    } else {
                        TableEffect::None
                    };
                    locks.add(table, AccessExclusive, effect)
                }
                ConstraintKind::Unique {
                    using_index: Some(_),
                    ..
                } => locks.add(table, AccessExclusive, TableEffect::None),
                _ => locks.add(table, AccessExclusive, effect),
            }
        }
        AlterAction::ValidateConstraint { .. } => {
            locks.add(table, ShareUpdateExclusive, TableEffect::Scan)
        }
        AlterAction::EnforceConstraint { name } => {
            // Unlike VALIDATE, enforcing a NOT ENFORCED foreign key checks every row under
            // ACCESS EXCLUSIVE (measured on 18), reading the referenced table as well.
            locks.add(table, AccessExclusive, TableEffect::Scan);
            if let Some(referenced) = catalog.foreign_key_target(table, name) {
                locks.add(referenced, ShareRowExclusive, TableEffect::Scan);
            }
        }
        AlterAction::SetExpression { column } => {
            // A stored column is computed again for every row; a virtual one (18+) is not.
            let generated = catalog
                .column(table, column)
                .and_then(|c| c.generated.clone());
            let virtual_column = match generated {
                Some(Generated::Virtual) => true,
                Some(Generated::Unspecified) => target.at_least(18, 0, 0),
                _ => false,
            };
            let effect = if virtual_column {
                TableEffect::None
            } else {
                TableEffect::Rewrite
            };
            locks.add(table, AccessExclusive, effect);
        }
        AlterAction::SetLogged | AlterAction::SetUnlogged | AlterAction::SetTablespace => {
            locks.add(table, AccessExclusive, TableEffect::Rewrite)
        }
        AlterAction::EnableTrigger | AlterAction::DisableTrigger => {
            locks.add(table, ShareRowExclusive, TableEffect::None)
        }
        AlterAction::AttachPartition { partition, default } => {
            let mode = if target.at_least(12, 0, 0) {
                ShareUpdateExclusive
            } else {
                AccessExclusive
            };
            locks.add(table, mode, TableEffect::None);
            // The attached table is read to prove its rows fit the bound (unless a valid
            // CHECK already implies it), and the default partition for rows that would now
            // belong to the new one.
            if let Some(partition) = partition {
                locks.add(partition, AccessExclusive, TableEffect::Scan);
            }
            if !default {
                if let Some(fallback) = catalog.default_partition(table) {
                    locks.add(fallback, AccessExclusive, TableEffect::Scan);
                }
            }
        }
        AlterAction::DetachPartition {
            partition,
            concurrently,
        } => {
            // CONCURRENTLY holds SHARE UPDATE EXCLUSIVE on both through its long phase, then
            // takes ACCESS EXCLUSIVE on the partition for a moment in its second transaction
            // (measured in tests/db_postgres_locks.rs): readers of the partition queue then.
            let parent_mode = if *concurrently {
                ShareUpdateExclusive
            } else {
                AccessExclusive
            };
            locks.add(table, parent_mode, TableEffect::None);
            if let Some(p) = partition {
                locks.add(p, AccessExclusive, TableEffect::None);
            }
        }
        AlterAction::MergePartitions { partitions, .. } => {
            // PostgreSQL 19 holds ACCESS EXCLUSIVE on the parent while it copies every row of
            // the old partitions into the new one, and drops the old ones.
            locks.add(table, AccessExclusive, TableEffect::None);
            for p in partitions {
                locks.add(p, AccessExclusive, TableEffect::Rewrite);
            }
        }
        AlterAction::SplitPartition { partition, .. } => {
            locks.add(table, AccessExclusive, TableEffect::None);
            locks.add(partition, AccessExclusive, TableEffect::Rewrite);
        }
        AlterAction::DropConstraint { name, .. } => {
            locks.add(table, AccessExclusive, TableEffect::None);
            // A foreign key's triggers live on the referenced table too.
            if let Some(referenced) = catalog.foreign_key_target(table, name) {
                locks.add(referenced, AccessExclusive, TableEffect::None);
            }
        }
        AlterAction::TableSetting { user_catalog_table } => {
            let mode = if *user_catalog_table {
                AccessExclusive
            } else {
                ShareUpdateExclusive
            };
            locks.add(table, mode, TableEffect::None)
        }
        _ => locks.add(table, AccessExclusive, TableEffect::None),
    }
}

/// Whether a generated column is written into every row (stored, identity) rather than
/// computed on read. PostgreSQL 18 made virtual the default; before it only STORED exists.
pub fn fills_every_row(generated: &Generated, target: &Target) -> bool {
    match generated {
        Generated::Stored | Generated::Identity { .. } => true,
        Generated::Virtual => false,
        Generated::Unspecified => target.dialect == Dialect::Postgres && !target.at_least(18, 0, 0),
    }
}

/// Adding a column rewrites the table when every existing row needs a computed value.
/// What adding `column` does to the rows. `constrained_domain`: its type is a domain with a
/// constraint, which PostgreSQL before 19 checks by rewriting every row (19 checks the
/// default once, unless it is volatile).
pub fn add_column_effect(
    column: &ColumnDef,
    constrained_domain: bool,
    target: &Target,
) -> TableEffect {
    let rewrites = column.is_serial()
        || (constrained_domain && !target.at_least(19, 0, 0))
        || column
            .generated
            .as_ref()
            .is_some_and(|generated| fills_every_row(generated, target))
        || match &column.default {
            Some(d) => d.volatility == Volatility::Volatile || !target.at_least(11, 0, 0),
            None => false,
        };
    if rewrites {
        TableEffect::Rewrite
    } else if column.check.is_some()
        || column.primary_key
        || column.unique
        || column.not_null
        || inline_foreign_key_validates(column)
    {
        TableEffect::Scan
    } else {
        TableEffect::None
    }
}

/// An inline `REFERENCES` on a new column is checked against existing rows only when the
/// column gets a default: without one every row holds NULL and PostgreSQL skips the check.
pub fn inline_foreign_key_validates(column: &ColumnDef) -> bool {
    column.references.is_some() && column.default.is_some()
}

/// An `ALTER COLUMN ... TYPE` as the lock model needs it.
pub struct TypeChange<'a> {
    /// The current type, when the replay saw the column created.
    pub old: Option<&'a DataType>,
    pub new: &'a DataType,
    pub using: bool,
    /// The column appears in a CHECK constraint, which is re-checked against every row.
    pub has_check: bool,
    /// The session's `timezone` is UTC, so `timestamp` and `timestamptz` store the same bytes.
    pub utc_session: bool,
}

impl TypeChange<'_> {
    /// Whether the stored bytes stay valid, so no row is rewritten.
    pub fn keeps_rows(&self, target: &Target) -> bool {
        let Some(old) = self.old else {
            return false;
        };
        !self.using
            && (crate::types::binary_coercible(old, self.new)
                || (self.utc_session
                    && target.at_least(12, 0, 0)
                    && crate::types::timestamp_time_zone_swap(old, self.new)))
    }
}

/// A type change rewrites the table unless the stored bytes stay valid; then it still reads
/// every row when a CHECK constraint on the column must be re-checked.
pub fn type_change_effect(change: &TypeChange, target: &Target) -> TableEffect {
    if !change.keeps_rows(target) {
        TableEffect::Rewrite
    } else if change.has_check {
        TableEffect::Scan
    } else {
        TableEffect::None
    }
}

/// Whether making `column` NOT NULL reads no row: it is NOT NULL already, or PostgreSQL 12+
/// trusts a validated `CHECK (column IS NOT NULL)` instead.
fn not_null_proven(catalog: &Catalog, table: &ObjectName, column: &Ident, target: &Target) -> bool {
    catalog.column_is_not_null(table, column)
        || target.at_least(12, 0, 0) && catalog.has_validated_not_null_check(table, column)
}

fn lock_table_mode(mode: &str) -> LockMode {
    use LockMode::*;
    match mode
        .to_uppercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .as_str()
    {
        "ACCESS SHARE" => AccessShare,
        "ROW SHARE" => RowShare,
        "ROW EXCLUSIVE" => RowExclusive,
        "SHARE UPDATE EXCLUSIVE" => ShareUpdateExclusive,
        "SHARE" => Share,
        "SHARE ROW EXCLUSIVE" => ShareRowExclusive,
        "EXCLUSIVE" => Exclusive,
        _ => AccessExclusive,
    }
}

/// Locks collected for one statement: the strongest mode and effect per table.
#[derive(Default)]
struct Locks(Vec<TableLock>);

impl Locks {
    fn add(&mut self, table: &ObjectName, mode: LockMode, effect: TableEffect) {
        self.merge(table.to_string(), Some(table), mode, effect)
    }

    /// A lock on a table the model can only describe (the table of an unknown index).
    fn add_named(&mut self, table: String, mode: LockMode, effect: TableEffect) {
        self.merge(table, None, mode, effect)
    }

    fn merge(
        &mut self,
        table: String,
        object: Option<&ObjectName>,
        mode: LockMode,
        effect: TableEffect,
    ) {
        match self.0.iter_mut().find(|l| l.table == table) {
            Some(l) => {
                l.mode = l.mode.max(mode);
                l.effect = l.effect.max(effect);
            }
            None => self.0.push(TableLock {
                table,
                mode,
                effect,
                object: object.cloned().map(Box::new),
            }),
        }
    }
}
