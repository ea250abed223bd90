//! `ALTER TABLE` from tokens: each top-level comma-separated action on its own, so that one
//! unknown action becomes `AlterAction::Other` without losing the others.

use super::definitions::{
    column_def, column_type, expression, mysql_index, starts_constraint, starts_mysql_index,
    table_constraint,
};
use super::tokens::{Cursor, Tok};
use crate::dialect::Dialect;
use crate::statement::{AlterAction, IdentityChange, ObjectName, StatementKind};

/// After `ALTER TABLE`: `[IF EXISTS] [ONLY] name [*] action [, action ...]`.
pub(super) fn alter_table(c: &mut Cursor<'_>, dialect: Dialect) -> Option<StatementKind> {
    let if_exists = c.eat_kws(&["IF", "EXISTS"]);
    c.eat_kw("ONLY");
    let name = c.object_name()?;
    c.eat(&Tok::Other("*".into()));
    // MySQL's partition options follow the last action without a comma
    // (`DROP PRIMARY KEY, ADD PRIMARY KEY (id, at) PARTITION BY RANGE (at) (...)`).
    let (options, partitioning) = match dialect {
        Dialect::Mysql => c.split_before(|c| {
            (c.is_kw("PARTITION") && c.is_kw_at(1, "BY"))
                || (c.is_kw("REMOVE") && c.is_kw_at(1, "PARTITIONING"))
        }),
        Dialect::Postgres => (*c, None),
    };
    let actions: Vec<AlterAction> = options
        .split_commas()
        .into_iter()
        .chain(partitioning)
        .filter(|segment| !segment.at_end())
        .map(|segment| action(segment, &name, dialect))
        .collect();
    if actions.is_empty() {
        return None;
    }
    Some(StatementKind::AlterTable {
        name,
        if_exists,
        actions,
    })
}

fn action(mut c: Cursor<'_>, table: &ObjectName, dialect: Dialect) -> AlterAction {
    let leading = c.leading_words(4);
    known_action(&mut c, table, dialect).unwrap_or(AlterAction::Other(leading))
}

fn known_action(c: &mut Cursor<'_>, table: &ObjectName, dialect: Dialect) -> Option<AlterAction> {
    match c.keyword()?.as_str() {
        "ADD" => add(c, table, dialect),
        "DROP" => drop(c),
        "RENAME" => rename(c, dialect),
        "ALTER" => alter_column(c),
        "MODIFY" => {
            c.eat_kw("COLUMN");
            let (column, position) = column_def(c)?;
            Some(AlterAction::RedefineColumn {
                old: column.name.clone(),
                column,
                position,
            })
        }
        "CHANGE" => {
            c.eat_kw("COLUMN");
            let old = c.ident()?;
            let (column, position) = column_def(c)?;
            Some(AlterAction::RedefineColumn {
                old,
                column,
                position,
            })
        }
        "VALIDATE" => {
            c.eat_kw("CONSTRAINT");
            Some(AlterAction::ValidateConstraint { name: c.ident()? })
        }
        "SET" => set(c),
        "RESET" => storage_parameters(c),
        "CLUSTER" => c.eat_kw("ON").then_some(AlterAction::TableSetting {
            user_catalog_table: false,
        }),
        "ENABLE" => trigger_toggle(c).then_some(AlterAction::EnableTrigger),
        "DISABLE" => trigger_toggle(c).then_some(AlterAction::DisableTrigger),
        "ATTACH" => {
            if !c.eat_kw("PARTITION") {
                return None;
            }
            let partition = c.object_name();
            Some(AlterAction::AttachPartition {
                partition,
                default: c.is_kw("DEFAULT"),
            })
        }
        "DETACH" => {
            if !c.eat_kw("PARTITION") {
                return None;
            }
            Some(AlterAction::DetachPartition {
                partition: c.object_name(),
                // FINALIZE completes an interrupted CONCURRENTLY detach.
                concurrently: c.eat_kw("CONCURRENTLY") || c.eat_kw("FINALIZE"),
            })
        }
        "MERGE" => {
            if !c.eat_kw("PARTITIONS") {
                return None;
            }
            let partitions = c.group()?.object_names(|_| {});
            if partitions.is_empty() || !c.eat_kw("INTO") {
                return None;
            }
            Some(AlterAction::MergePartitions {
                partitions,
                into: c.object_name()?,
            })
        }
        "SPLIT" => {
            if !c.eat_kw("PARTITION") {
                return None;
            }
            let partition = c.object_name()?;
            if !c.eat_kw("INTO") {
                return None;
            }
            let into = c
                .group()?
                .split_commas()
                .into_iter()
                .filter_map(|mut new| {
                    new.eat_kw("PARTITION");
                    Some((new.object_name()?, new.is_kw("DEFAULT")))
                })
                .collect();
            Some(AlterAction::SplitPartition { partition, into })
        }
        // MySQL repartitions (`PARTITION BY ...`) or unpartitions a table by copying it.
        "PARTITION" if dialect == Dialect::Mysql && c.eat_kw("BY") => {
            Some(AlterAction::Repartition {
                key: Some(super::partition_key_after_by(c)),
            })
        }
        "REMOVE" if dialect == Dialect::Mysql && c.eat_kw("PARTITIONING") => {
            Some(AlterAction::Repartition { key: None })
        }
        "ALGORITHM" => {
            c.eat(&Tok::Eq);
            Some(AlterAction::Algorithm(c.keyword()?))
        }
        "LOCK" => {
            c.eat(&Tok::Eq);
            Some(AlterAction::Lock(c.keyword()?))
        }
        _ => None,
    }
}

fn add(c: &mut Cursor<'_>, table: &ObjectName, dialect: Dialect) -> Option<AlterAction> {
    if !c.eat_kw("COLUMN") {
        if dialect == Dialect::Mysql && starts_mysql_index(c) {
            return mysql_index(c, table).map(AlterAction::AddIndex);
        }
        if starts_constraint(c) {
            return table_constraint(c).map(AlterAction::AddConstraint);
        }
        if c.is_kw("PARTITION") || c.peek() == Some(&Tok::LParen) {
            return None;
        }
    }
    let if_not_exists = c.eat_kws(&["IF", "NOT", "EXISTS"]);
    let (column, position) = column_def(c)?;
    Some(AlterAction::AddColumn {
        column,
        if_not_exists,
        position,
    })
}

fn drop(c: &mut Cursor<'_>) -> Option<AlterAction> {
    if c.eat_kws(&["PRIMARY", "KEY"]) {
        return Some(AlterAction::DropPrimaryKey);
    }
    if c.eat_kw("INDEX") || c.eat_kw("KEY") {
        return Some(AlterAction::DropIndex { name: c.ident()? });
    }
    if c.eat_kw("CONSTRAINT") || c.eat_kws(&["FOREIGN", "KEY"]) || c.eat_kw("CHECK") {
        let if_exists = c.eat_kws(&["IF", "EXISTS"]);
        let name = c.ident()?;
        return Some(AlterAction::DropConstraint {
            name,
            if_exists,
            cascade: c.eat_kw("CASCADE"),
        });
    }
    if c.is_kw("PARTITION") {
        return None;
    }
    c.eat_kw("COLUMN");
    let if_exists = c.eat_kws(&["IF", "EXISTS"]);
    let column = c.ident()?;
    Some(AlterAction::DropColumn {
        column,
        if_exists,
        cascade: c.eat_kw("CASCADE"),
    })
}

fn rename(c: &mut Cursor<'_>, dialect: Dialect) -> Option<AlterAction> {
    if c.eat_kw("TO") || c.eat_kw("AS") {
        return Some(AlterAction::RenameTable {
            to: c.object_name()?,
        });
    }
    // On PostgreSQL `RENAME key TO k` renames a column called `key`.
    if dialect == Dialect::Mysql && (c.eat_kw("INDEX") || c.eat_kw("KEY")) {
        let from = c.ident()?;
        if !c.eat_kw("TO") {
            return None;
        }
        return Some(AlterAction::RenameIndex {
            from,
            to: c.ident()?,
        });
    }
    let constraint = c.eat_kw("CONSTRAINT");
    c.eat_kw("COLUMN");
    let from = c.ident()?;
    if !c.eat_kw("TO") {
        return None;
    }
    let to = c.ident()?;
    Some(if constraint {
        AlterAction::RenameConstraint { from, to }
    } else {
        AlterAction::RenameColumn { from, to }
    })
}

/// `ALTER [COLUMN] c ...`; an unknown column change is named `ALTER COLUMN <its words>`.
fn alter_column(c: &mut Cursor<'_>) -> Option<AlterAction> {
    if c.eat_kw("CONSTRAINT") {
        let name = c.ident()?;
        // `[NOT] ENFORCED` among deferrability clauses: only turning it on checks rows.
        let mut after_not = false;
        while !c.at_end() {
            if c.eat_kw("ENFORCED") {
                return (!after_not).then_some(AlterAction::EnforceConstraint { name });
            }
            after_not = c.eat_kw("NOT");
            if !after_not {
                c.skip_one();
            }
        }
        return None;
    }
    if c.is_kw("INDEX") {
        return None;
    }
    c.eat_kw("COLUMN");
    let column = c.ident()?;
    if c.eat_kws(&["SET", "EXPRESSION"]) {
        return Some(AlterAction::SetExpression { column });
    }
    if c.eat_kws(&["SET", "DATA", "TYPE"]) || c.eat_kw("TYPE") {
        let data_type = column_type(c)?;
        if c.eat_kw("COLLATE") {
            c.advance();
        }
        let using = c.eat_kw("USING").then(|| c.rest_text().to_string());
        return Some(AlterAction::AlterColumnType {
            column,
            data_type,
            using,
        });
    }
    if c.eat_kws(&["SET", "NOT", "NULL"]) {
        return Some(AlterAction::SetNotNull { column });
    }
    if c.eat_kws(&["DROP", "NOT", "NULL"]) {
        return Some(AlterAction::DropNotNull { column });
    }
    if c.eat_kws(&["SET", "DEFAULT"]) {
        let default = expression(c)?;
        return Some(AlterAction::SetDefault { column, default });
    }
    if c.eat_kws(&["DROP", "DEFAULT"]) {
        return Some(AlterAction::DropDefault { column });
    }
    if let Some(change) = identity_change(c) {
        return Some(AlterAction::ChangeIdentity { column, change });
    }
    // A column's planner settings: statistics target, n_distinct and friends.
    if c.eat_kws(&["SET", "STATISTICS"])
        || c.is_any_kw(&["SET", "RESET"]) && c.peek_at(1) == Some(&Tok::LParen)
    {
        return Some(AlterAction::TableSetting {
            user_catalog_table: false,
        });
    }
    let words = c.leading_words(3);
    Some(AlterAction::Other(
        format!("ALTER COLUMN {words}").trim_end().to_string(),
    ))
}

/// `ADD GENERATED {ALWAYS|BY DEFAULT} AS IDENTITY`, `SET GENERATED {ALWAYS|BY DEFAULT}`,
/// `DROP IDENTITY`; sequence options after them change no identity.
fn identity_change(c: &mut Cursor<'_>) -> Option<IdentityChange> {
    if c.eat_kws(&["DROP", "IDENTITY"]) {
        return Some(IdentityChange::Drop);
    }
    if c.eat_kws(&["ADD", "GENERATED"]) {
        return Some(IdentityChange::Add {
            always: c.eat_kw("ALWAYS"),
        });
    }
    if c.eat_kws(&["SET", "GENERATED"]) {
        return Some(IdentityChange::Set {
            always: c.eat_kw("ALWAYS"),
        });
    }
    None
}

/// `SET (...)` / `RESET (...)` of storage parameters, after the `SET` or `RESET`.
fn storage_parameters(c: &mut Cursor<'_>) -> Option<AlterAction> {
    if c.peek() != Some(&Tok::LParen) {
        return None;
    }
    let user_catalog_table = c.rest_text().to_lowercase().contains("user_catalog_table");
    Some(AlterAction::TableSetting { user_catalog_table })
}

fn set(c: &mut Cursor<'_>) -> Option<AlterAction> {
    if c.eat_kw("SCHEMA") {
        Some(AlterAction::SetSchema { schema: c.ident()? })
    } else if c.eat_kw("LOGGED") {
        Some(AlterAction::SetLogged)
    } else if c.eat_kw("UNLOGGED") {
        Some(AlterAction::SetUnlogged)
    } else if c.eat_kw("TABLESPACE") {
        Some(AlterAction::SetTablespace)
    } else if c.eat_kws(&["WITHOUT", "CLUSTER"]) {
        Some(AlterAction::TableSetting {
            user_catalog_table: false,
        })
    } else {
        storage_parameters(c)
    }
}

/// After `ENABLE` / `DISABLE`: whether this is about triggers (not row security or keys).
fn trigger_toggle(c: &mut Cursor<'_>) -> bool {
    if !c.eat_kw("ALWAYS") {
        c.eat_kw("REPLICA");
    }
    c.eat_kw("TRIGGER")
}
