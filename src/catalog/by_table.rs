//! The catalogue's lookups by table: the indexes on a table, and the tables that may hold a
//! foreign key to it, be a partition of it or be a view reading it. A long migration folder
//! leaves thousands of tables and indexes in the replay, and rules and plans ask about one
//! table for each flagged statement, so answering by scanning them all made a run quadratic
//! in the folder.
//!
//! `indexes` is exact. `referencing`, `partitions` and `readers` may also name tables that
//! have since dropped the key, been renamed, detached or replaced: the catalogue checks each
//! candidate against the table (or view) itself, so they only need to name every one that
//! does qualify.

use super::journaled::Journaled;
use super::TableKey;
use std::collections::BTreeSet;

#[derive(Clone, Debug, Default)]
pub(super) struct ByTable {
    /// Table -> the keys of the indexes on it.
    indexes: Journaled<TableKey, KeySet>,
    /// Referenced table -> the tables that have (had) a foreign key to it.
    referencing: Journaled<TableKey, KeySet>,
    /// Partitioned table -> the tables that were created or attached as its partitions.
    partitions: Journaled<TableKey, KeySet>,
    /// Table or view -> the views whose query read (or reads) it.
    readers: Journaled<TableKey, KeySet>,
}

/// Catalogue keys in order. Almost every table has a few indexes, referencing tables,
/// partitions or readers, and a `BTreeSet` allocates room for eleven keys for the first one
/// (1.5 MB of the bench's one-folder replay): a few are a sorted list, and past
/// [`KeySet::FEW`] a `BTreeSet` keeps an insert from costing the length of the list.
#[derive(Clone, Debug)]
pub(super) enum KeySet {
    Few(Vec<TableKey>),
    Many(BTreeSet<TableKey>),
}

impl Default for KeySet {
    fn default() -> Self {
        KeySet::Few(Vec::new())
    }
}

impl KeySet {
    const FEW: usize = 8;

    fn insert(&mut self, key: TableKey) {
        match self {
            KeySet::Few(keys) => match keys.binary_search(&key) {
                Ok(_) => {}
                Err(at) if keys.len() < Self::FEW => {
                    // Room for exactly what is held: most tables have one or two.
                    keys.reserve_exact(1);
                    keys.insert(at, key);
                }
                Err(_) => {
                    let mut many: BTreeSet<TableKey> = std::mem::take(keys).into_iter().collect();
                    many.insert(key);
                    *self = KeySet::Many(many);
                }
            },
            KeySet::Many(keys) => {
                keys.insert(key);
            }
        }
    }

    fn remove(&mut self, key: &TableKey) {
        match self {
            KeySet::Few(keys) => {
                if let Ok(at) = keys.binary_search(key) {
                    keys.remove(at);
                }
            }
            KeySet::Many(keys) => {
                keys.remove(key);
            }
        }
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &TableKey> {
        let (few, many) = match self {
            KeySet::Few(keys) => (keys.as_slice(), None),
            KeySet::Many(keys) => (&[][..], Some(keys)),
        };
        few.iter().chain(many.into_iter().flatten())
    }

    pub(super) fn into_keys(self) -> impl Iterator<Item = TableKey> {
        let (few, many) = match self {
            KeySet::Few(keys) => (keys, None),
            KeySet::Many(keys) => (Vec::new(), Some(keys)),
        };
        few.into_iter().chain(many.into_iter().flatten())
    }
}

impl ByTable {
    pub(super) fn add_index(&mut self, table: &TableKey, index: &TableKey) {
        self.indexes
            .get_or_insert_with(table.clone(), KeySet::default)
            .insert(index.clone());
    }

    pub(super) fn remove_index(&mut self, table: &TableKey, index: &TableKey) {
        if let Some(indexes) = self.indexes.get_mut(table) {
            indexes.remove(index);
        }
    }

    /// Forgets the indexes of `table` and returns their keys.
    pub(super) fn take_indexes(&mut self, table: &TableKey) -> impl Iterator<Item = TableKey> {
        self.indexes.remove(table).unwrap_or_default().into_keys()
    }

    pub(super) fn indexes(&self, table: &TableKey) -> impl Iterator<Item = &TableKey> {
        self.indexes.get(table).into_iter().flat_map(KeySet::iter)
    }

    pub(super) fn add_reference(&mut self, referenced: TableKey, from: &TableKey) {
        self.referencing
            .get_or_insert_with(referenced, KeySet::default)
            .insert(from.clone());
    }

    pub(super) fn referencing(&self, table: &TableKey) -> impl Iterator<Item = &TableKey> {
        self.referencing
            .get(table)
            .into_iter()
            .flat_map(KeySet::iter)
    }

    pub(super) fn add_partition(&mut self, parent: &TableKey, partition: &TableKey) {
        self.partitions
            .get_or_insert_with(parent.clone(), KeySet::default)
            .insert(partition.clone());
    }

    pub(super) fn partitions(&self, parent: &TableKey) -> impl Iterator<Item = &TableKey> {
        self.partitions
            .get(parent)
            .into_iter()
            .flat_map(KeySet::iter)
    }

    pub(super) fn add_reader(&mut self, relation: &TableKey, view: &TableKey) {
        self.readers
            .get_or_insert_with(relation.clone(), KeySet::default)
            .insert(view.clone());
    }

    pub(super) fn readers(&self, relation: &TableKey) -> impl Iterator<Item = &TableKey> {
        self.readers
            .get(relation)
            .into_iter()
            .flat_map(KeySet::iter)
    }

    pub(super) fn open_journal(&mut self) {
        self.indexes.open_journal();
        self.referencing.open_journal();
        self.partitions.open_journal();
        self.readers.open_journal();
    }

    pub(super) fn undo(&mut self) {
        self.indexes.undo();
        self.referencing.undo();
        self.partitions.undo();
        self.readers.undo();
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::{Catalog, ChangeSet, TableKey};
    use crate::dialect::Dialect;
    use crate::parse::parse_text;
    use crate::statement::{Ident, ObjectName};

    /// Every change that moves an index, a foreign key or a partition between tables.
    const HISTORY: &str = "
        CREATE TABLE users (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);
        CREATE INDEX orders_user_idx ON orders (user_id);
        CREATE INDEX shared_idx ON users (id);
        CREATE INDEX shared_idx ON orders (id);
        ALTER TABLE orders ADD COLUMN buyer_id bigint REFERENCES users (id);
        ALTER TABLE orders ADD CONSTRAINT orders_self_fk FOREIGN KEY (id) REFERENCES orders (id);
        CREATE TABLE audit.events (id bigint, user_id bigint, FOREIGN KEY (user_id) REFERENCES users);
        ALTER TABLE orders RENAME TO purchases;
        CREATE INDEX purchases_buyer_idx ON purchases (buyer_id);
        ALTER TABLE purchases DROP CONSTRAINT orders_self_fk;
        DROP INDEX orders_user_idx;
        CREATE TABLE measurements (id bigint, at date) PARTITION BY RANGE (at);
        CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        CREATE TABLE measurements_default PARTITION OF measurements DEFAULT;
        CREATE TABLE measurements_old (id bigint, at date);
        ALTER TABLE measurements ATTACH PARTITION measurements_old FOR VALUES FROM ('2000-01-01') TO ('2026-01-01');
        ALTER TABLE measurements_2026 RENAME TO measurements_this_year;
        ALTER TABLE measurements DETACH PARTITION measurements_old;
        CREATE INDEX measurements_at_idx ON measurements (at);
        CREATE TABLE users (id bigint PRIMARY KEY, email text);
        DROP TABLE purchases;
        CREATE INDEX users_email_idx ON users (email);
    ";

    fn name(key: &TableKey) -> ObjectName {
        ObjectName {
            schema: Some(Ident::quoted(key.schema.clone())),
            name: Ident::quoted(key.name.clone()),
        }
    }

    #[test]
    fn lookups_by_table_agree_with_a_scan_of_the_catalogue() {
        let mut catalog = Catalog::new(Dialect::Postgres);
        let statements = parse_text(HISTORY, Dialect::Postgres).statements;
        assert_eq!(statements.len(), 23);
        for statement in &statements {
            catalog.apply(statement, ChangeSet(0));
            let mut keys: Vec<TableKey> = catalog.tables.iter().map(|(k, _)| k.clone()).collect();
            keys.extend(catalog.indexes.iter().map(|(_, i)| i.table.clone()));
            for key in keys {
                let table = name(&key);
                let mut indexes: Vec<&TableKey> = catalog
                    .indexes_on(&table)
                    .into_iter()
                    .map(|(k, _)| k)
                    .collect();
                let mut scanned: Vec<&TableKey> = catalog
                    .indexes
                    .iter()
                    .filter(|(_, i)| i.table == key)
                    .map(|(k, _)| k)
                    .collect();
                indexes.sort();
                scanned.sort();
                assert_eq!(indexes, scanned, "indexes on {key:?}");

                let mut found: Vec<String> = catalog
                    .foreign_keys_to(&table)
                    .iter()
                    .map(|(t, c)| format!("{t} {:?}", c.name))
                    .collect();
                let mut scanned: Vec<String> = catalog
                    .tables
                    .iter()
                    .flat_map(|(_, t)| t.constraints.iter().map(move |c| (&t.name, c)))
                    .filter(|(_, c)| {
                        c.kind
                            .referenced_table()
                            .is_some_and(|references| catalog.key(references) == key)
                    })
                    .map(|(t, c)| format!("{t} {:?}", c.name))
                    .collect();
                found.sort();
                scanned.sort();
                assert_eq!(found, scanned, "foreign keys to {key:?}");

                let partitions: Vec<String> = catalog
                    .partitions(&table)
                    .iter()
                    .map(|t| t.name.to_string())
                    .collect();
                let mut scanned: Vec<String> = catalog
                    .tables
                    .iter()
                    .map(|(_, t)| t)
                    .filter(|t| t.partition_of.as_deref().is_some_and(|(p, _)| *p == key))
                    .map(|t| t.name.to_string())
                    .collect();
                scanned.sort();
                assert_eq!(partitions, scanned, "partitions of {key:?}");
            }
        }
        // The history reached every case it is there for.
        let users = name(&catalog.key(&ObjectName::bare("users")));
        assert!(!catalog.indexes_on(&users).is_empty());
        let parent = name(&catalog.key(&ObjectName::bare("measurements")));
        assert_eq!(catalog.partitions(&parent).len(), 2);
    }

    #[test]
    fn a_key_set_keeps_the_keys_of_a_btree_set_in_its_order_past_a_few() {
        use super::KeySet;
        use std::collections::BTreeSet;
        let key = |n: u32| TableKey {
            schema: "public".into(),
            name: format!("t{}", n * 7 % 23),
        };
        let mut set = KeySet::default();
        let mut model = BTreeSet::new();
        for n in 0..40 {
            set.insert(key(n));
            model.insert(key(n));
            if n % 5 == 4 {
                set.remove(&key(n / 2));
                model.remove(&key(n / 2));
            }
            assert!(set.iter().eq(model.iter()), "after {n}");
        }
        assert!(matches!(set, KeySet::Many(_)));
        assert!(set.into_keys().eq(model));
    }
}
