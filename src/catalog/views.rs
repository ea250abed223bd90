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
    pub(super) fn rename_relation(&mut self, old: &TableKey, new: &TableKey, name: &ObjectName) {
        if let Some(mut view) = self.views.remove(old) {
            view.name = name.clone();
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
        // Each found view with its key, which finds the views reading it in turn.
        let mut found: Vec<(TableKey, ViewUse<'_>)> = self.views_reading(&table, None);
        found.retain(|(_, used)| used.view.uses(&table, &column));
        let mut next = 0;
        while next < found.len() {
            let (key, used) = &found[next];
            let mut readers = self.views_reading(key, Some(&used.view.name));
            readers.retain(|(reader, _)| !found.iter().any(|(known, _)| known == reader));
            found.extend(readers);
            next += 1;
        }
        found.into_iter().map(|(_, used)| used).collect()
    }

    /// The views reading `relation`, by name, each marked as reading it `through` a view.
    fn views_reading<'a>(
        &'a self,
        relation: &TableKey,
        through: Option<&'a ObjectName>,
    ) -> Vec<(TableKey, ViewUse<'a>)> {
        let mut readers: Vec<(TableKey, ViewUse<'a>)> = self
            .readers_of(relation)
            .into_iter()
            .filter_map(|key| {
                let view = self.views.get(&key)?;
                Some((key, ViewUse { view, through }))
            })
            .collect();
        readers.sort_by(|a, b| a.0.cmp(&b.0));
        readers
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::{Catalog, ChangeSet};
    use crate::dialect::Dialect;
    use crate::parse::parse_text;
    use crate::statement::{Ident, ObjectName};

    fn replay(catalog: &mut Catalog, sql: &str) {
        for statement in parse_text(sql, catalog.dialect()).statements {
            catalog.apply(&statement, ChangeSet(0));
        }
    }

    /// The views using `table.column`, as `name` or `name<through`.
    fn using(catalog: &Catalog, table: &str, column: &str) -> Vec<String> {
        catalog
            .views_using(&ObjectName::bare(table), &Ident::new(column))
            .iter()
            .map(|u| match u.through {
                Some(through) => format!("{}<{through}", u.view.name),
                None => u.view.name.to_string(),
            })
            .collect()
    }

    const ORDERS: &str =
        "CREATE TABLE orders (id bigint PRIMARY KEY, code text, total int, note text);
        CREATE VIEW order_codes AS SELECT o.id, o.code FROM orders o;
        CREATE VIEW everything AS SELECT * FROM orders;
        CREATE MATERIALIZED VIEW totals AS SELECT sum(total) FROM orders;
        CREATE VIEW recent_codes AS SELECT code FROM order_codes WHERE id > 10;";

    #[test]
    fn a_view_uses_the_columns_it_mentions_and_every_column_through_a_star() {
        let mut catalog = Catalog::new(Dialect::Postgres);
        replay(&mut catalog, ORDERS);
        assert_eq!(
            using(&catalog, "orders", "code"),
            ["everything", "order_codes", "recent_codes<order_codes"]
        );
        assert_eq!(using(&catalog, "orders", "total"), ["everything", "totals"]);
        assert_eq!(using(&catalog, "orders", "note"), ["everything"]);
        assert!(using(&catalog, "order_codes", "id").contains(&"recent_codes".to_string()));
    }

    #[test]
    fn views_follow_renames_and_go_with_what_drops_them() {
        let mut catalog = Catalog::new(Dialect::Postgres);
        replay(
            &mut catalog,
            &format!(
                "{ORDERS}
                 ALTER TABLE orders RENAME TO purchases;
                 ALTER TABLE purchases RENAME COLUMN code TO sku;
                 ALTER VIEW order_codes RENAME TO purchase_codes;
                 DROP VIEW everything;"
            ),
        );
        assert!(using(&catalog, "orders", "code").is_empty());
        assert_eq!(
            using(&catalog, "purchases", "sku"),
            ["purchase_codes", "recent_codes<purchase_codes"]
        );
        // DROP VIEW ... CASCADE takes the views reading it along.
        replay(&mut catalog, "DROP VIEW purchase_codes CASCADE;");
        assert!(using(&catalog, "purchases", "sku").is_empty());
        assert!(using(&catalog, "purchase_codes", "id").is_empty());
        // A column drop with CASCADE drops the views using it; a table drop every view on it.
        replay(
            &mut catalog,
            "ALTER TABLE purchases DROP COLUMN total CASCADE;",
        );
        assert!(using(&catalog, "purchases", "total").is_empty());
        replay(
            &mut catalog,
            "CREATE VIEW skus AS SELECT sku FROM purchases; DROP TABLE purchases;
             CREATE TABLE purchases (id bigint, sku text);",
        );
        assert!(using(&catalog, "purchases", "sku").is_empty());
    }

    #[test]
    fn a_mysql_view_outlives_its_table_and_reads_the_next_one() {
        let mut catalog = Catalog::new(Dialect::Mysql);
        replay(
            &mut catalog,
            "CREATE TABLE orders (id INT, code TEXT);
             CREATE VIEW order_codes AS SELECT code FROM orders;
             DROP TABLE orders;
             CREATE TABLE orders (id INT, code TEXT);
             ALTER TABLE orders CHANGE code sku TEXT;",
        );
        assert_eq!(using(&catalog, "orders", "sku"), ["order_codes"]);
    }
}
