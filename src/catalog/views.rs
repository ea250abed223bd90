//! The views (and materialized views) the replay saw created, and what each reads: PostgreSQL
//! refuses to drop or retype a column a view uses (`cannot drop column ... because other
//! objects depend on it`), so a plan whose contract drops a column must know them.
//!
//! A view follows what it reads, as on the server (which records the dependency by object
//! id, not by name): renaming the table or one of its columns, or another view it reads,
//! keeps the view on it. What a view reads is kept compactly, for views only: the catalogue
//! keys of the relations its query names, and the keys of every name it mentions; a `*`
//! counts as every column of the relations (see [`crate::statement::ViewQuery`]).

use super::{Catalog, TableKey};
use crate::dialect::Dialect;
use crate::statement::{Ident, ObjectName, ViewQuery};

#[derive(Clone, Debug)]
pub struct View {
    pub name: ObjectName,
    pub materialized: bool,
    /// The relations the query reads.
    reads: Vec<TableKey>,
    /// The query selects `*`: it uses every column of the relations it reads.
    every_column: bool,
    /// Catalogue keys of the names the query mentions, sorted, without repeats.
    mentions: Vec<String>,
}

impl View {
    fn reads(&self, relation: &TableKey) -> bool {
        self.reads.contains(relation)
    }

    fn mentions(&self, column: &str) -> bool {
        self.mentions
            .binary_search_by(|m| m.as_str().cmp(column))
            .is_ok()
    }

    /// Whether the view uses the column `column` (a catalogue key) of `relation`.
    fn uses(&self, relation: &TableKey, column: &str) -> bool {
        self.reads(relation) && (self.every_column || self.mentions(column))
    }

    fn mention(&mut self, column: String) {
        if let Err(at) = self.mentions.binary_search(&column) {
            self.mentions.insert(at, column);
        }
    }
}

/// A view that uses a column, and the view whose use of it it depends on when it does
/// not read the column itself.
pub struct ViewUse<'a> {
    pub view: &'a View,
    pub through: Option<&'a ObjectName>,
}

impl Catalog {
    /// `CREATE [OR REPLACE] [MATERIALIZED] VIEW name AS query`.
    pub(super) fn add_view(&mut self, name: &ObjectName, materialized: bool, query: &ViewQuery) {
        let key = self.key(name);
        let reads: Vec<TableKey> = query.relations.iter().map(|r| self.key(r)).collect();
        let mut mentions: Vec<String> = query.names.iter().map(|n| n.key().into_owned()).collect();
        mentions.sort_unstable();
        mentions.dedup();
        for relation in &reads {
            self.by_table.add_reader(relation, &key);
        }
        let view = View {
            name: name.clone(),
            materialized,
            reads,
            every_column: query.star,
            mentions,
        };
        self.views.insert(key, view);
    }

    /// `DROP VIEW name`; with `CASCADE`, the views that read it go too.
    pub(super) fn drop_view(&mut self, key: &TableKey, cascade: bool) {
        if self.views.remove(key).is_some() && cascade {
            self.drop_readers_of(key);
        }
    }

    /// Drops the views that read `relation`, and the views that read those: what
    /// PostgreSQL's `CASCADE` drops with it, and what must be gone for a plain drop of it
    /// to have run.
    pub(super) fn drop_readers_of(&mut self, relation: &TableKey) {
        let mut gone = vec![relation.clone()];
        while let Some(relation) = gone.pop() {
            for reader in self.readers_of(&relation) {
                self.views.remove(&reader);
                gone.push(reader);
            }
        }
    }

    /// `ALTER TABLE t DROP COLUMN c CASCADE` on PostgreSQL: the views using `c` go, and the
    /// views that read those.
    pub(super) fn drop_views_using(&mut self, table: &TableKey, column: &Ident) {
        if self.target.dialect != Dialect::Postgres {
            return;
        }
        let column = column.key();
        let using: Vec<TableKey> = self
            .readers_of(table)
            .into_iter()
            .filter(|reader| {
                self.views
                    .get(reader)
                    .is_some_and(|v| v.uses(table, &column))
            })
            .collect();
        for view in using {
            self.views.remove(&view);
            self.drop_readers_of(&view);
        }
    }

    /// The table or view `old` is now called `new`: a view there moves with its name, and
    /// the views reading it read it under the new name.
    pub(super) fn rename_relation(&mut self, old: &TableKey, new: &TableKey) {
        if let Some(view) = self.views.remove(old) {
            for relation in &view.reads {
                self.by_table.add_reader(relation, new);
            }
            self.views.insert(new.clone(), view);
        }
        for reader in self.readers_of(old) {
            if let Some(view) = self.views.get_mut(&reader) {
                for relation in &mut view.reads {
                    if relation == old {
                        *relation = new.clone();
                    }
                }
            }
            self.by_table.add_reader(new, &reader);
        }
    }

    /// Column `from` of the table or view `relation` is now `to`: the views that used it
    /// use it under its new name.
    pub(super) fn follow_column_rename(&mut self, relation: &TableKey, from: &Ident, to: &Ident) {
        let from = from.key();
        for reader in self.readers_of(relation) {
            if let Some(view) = self.views.get_mut(&reader) {
                if view.uses(relation, &from) && !view.every_column {
                    view.mention(to.key().into_owned());
                }
            }
        }
    }

    /// The views that read `relation` (checked against each view: the lookup by table may
    /// name views that were replaced since).
    fn readers_of(&self, relation: &TableKey) -> Vec<TableKey> {
        self.by_table
            .readers(relation)
            .filter(|reader| self.views.get(*reader).is_some_and(|v| v.reads(relation)))
            .cloned()
            .collect()
    }

    /// The views the replay saw created that use column `column` of `table`, by name, then
    /// the views that read those (a plain drop of the column fails while any of them exists).
    pub fn views_using(&self, table: &ObjectName, column: &Ident) -> Vec<ViewUse<'_>> {
        let table = self.key(table);
        let column = column.key();
        let mut found: Vec<ViewUse<'_>> = self
            .readers_of(&table)
            .iter()
            .filter_map(|reader| self.views.get(reader))
            .filter(|view| view.uses(&table, &column))
            .map(|view| ViewUse {
                view,
                through: None,
            })
            .collect();
        found.sort_by_key(|u| u.view.name.to_string());
        let mut next = 0;
        while next < found.len() {
            let through = found[next].view;
            let mut readers: Vec<ViewUse<'_>> = self
                .readers_of(&self.key(&through.name))
                .iter()
                .filter_map(|reader| self.views.get(reader))
                .filter(|view| !found.iter().any(|u| u.view.name == view.name))
                .map(|view| ViewUse {
                    view,
                    through: Some(&through.name),
                })
                .collect();
            readers.sort_by_key(|u| u.view.name.to_string());
            found.extend(readers);
            next += 1;
        }
        found
    }
}
