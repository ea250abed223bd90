//! Changes that break the application version still running during a deploy.
pub mod add_not_null_column_without_default;
pub mod alter_enum_value;
pub mod alter_identity;
pub mod drop_default;
pub mod drop_not_null;
pub mod drop_object;
pub mod rename_column;
pub mod rename_constraint;
pub mod rename_object;
pub mod rename_schema;
pub mod rename_table;
pub mod set_schema;

use crate::rules::{Ctx, Follows};
use crate::statement::{
    AlterAction, Ident, ObjectChange, ObjectKind, ObjectName, Statement, StatementKind,
};

/// The table and actions of an `ALTER TABLE` on a table the running release already uses:
/// not one this change created, and not in rollback code, which returns to the schema the
/// older release was written for.
pub(crate) fn alter_of_released_table<'s>(
    ctx: &Ctx,
    statement: &'s Statement,
) -> Option<(&'s ObjectName, &'s [AlterAction])> {
    let StatementKind::AlterTable { name, actions, .. } = &statement.kind else {
        return None;
    };
    (!ctx.is_new_table(name) && !ctx.is_rollback()).then_some((name, actions.as_slice()))
}

/// Whether `statement` alters `table.column` in a way `touched` sees: `touched` gives the
/// column an action changes in that way, if any.
pub(crate) fn alters_column(
    ctx: &Ctx,
    statement: &Statement,
    table: &ObjectName,
    column: &Ident,
    touched: fn(&AlterAction) -> Option<&Ident>,
) -> bool {
    let StatementKind::AlterTable { name, actions, .. } = &statement.kind else {
        return false;
    };
    ctx.catalog.key(name) == ctx.catalog.key(table)
        && actions
            .iter()
            .filter_map(touched)
            .any(|changed| changed.key() == column.key())
}

/// The column whose default `action` sets.
pub(crate) fn default_set(action: &AlterAction) -> Option<&Ident> {
    match action {
        AlterAction::SetDefault { column, .. } => Some(column),
        _ => None,
    }
}

/// Whether, later in the same transaction as `statement`, a view gives the old name back:
/// `CREATE [OR REPLACE] VIEW old AS SELECT * FROM new`. Such a view is updatable, so the
/// running application keeps reading and writing through the old name, and the move is
/// atomic because both commit together.
pub(crate) fn old_name_kept_by_view(
    ctx: &Ctx,
    statement: &Statement,
    old: &ObjectName,
    new: &ObjectName,
) -> bool {
    if !ctx.session.in_transaction() {
        return false;
    }
    let (old, new) = (ctx.catalog.key(old), ctx.catalog.key(new));
    for later in ctx.statements_after(statement) {
        match &later.kind {
            StatementKind::Commit | StatementKind::Rollback | StatementKind::Begin => return false,
            StatementKind::CreateObject {
                kind: ObjectKind::View,
                ..
            } => {
                let text = later.span.text(ctx.source);
                if let Some((view, source)) = select_star_view(text) {
                    if ctx.catalog.key(&view) == old && ctx.catalog.key(&source) == new {
                        return true;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// Where a `CREATE TABLE old` follows `statement` in the file (a table renamed away from
/// `old`, to a backup name, created again): in the same transaction the running
/// application finds a table called `old` at every moment; after a commit, its queries on
/// `old` fail in between.
pub(crate) fn old_table_recreated(ctx: &Ctx, statement: &Statement, old: &ObjectName) -> Follows {
    let old = ctx.catalog.key(old);
    ctx.follows(statement, |later| {
        matches!(&later.kind, StatementKind::CreateTable { name, .. } if ctx.catalog.key(name) == old)
    })
}

/// Whether `later` gives the name `name` to an object of `kind` (again): creates it, or
/// renames another object to it (Prisma's enum swap renames `X_new` to `X`).
pub(crate) fn creates_object(
    ctx: &Ctx,
    later: &Statement,
    kind: ObjectKind,
    name: &ObjectName,
) -> bool {
    let (created_kind, created) = match &later.kind {
        StatementKind::CreateObject {
            kind: ObjectKind::TriggerFunction,
            name,
            ..
        } => (ObjectKind::Function, name.clone()),
        StatementKind::CreateObject { kind, name, .. } => (*kind, name.clone()),
        StatementKind::CreateDomain { name, .. } => (ObjectKind::Domain, name.clone()),
        StatementKind::CreateMaterializedView { name, .. } => {
            (ObjectKind::MaterializedView, name.clone())
        }
        StatementKind::AlterObject {
            kind,
            name,
            change: ObjectChange::RenameTo(to),
        } => (
            *kind,
            ObjectName {
                schema: name.schema.clone(),
                name: to.clone(),
            },
        ),
        _ => return false,
    };
    created_kind == kind && ctx.catalog.key(&created) == ctx.catalog.key(name)
}

/// `CREATE [OR REPLACE] VIEW a AS SELECT * FROM b` -> `(a, b)`; `None` for any other text.
fn select_star_view(text: &str) -> Option<(ObjectName, ObjectName)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let rest = match lower.as_slice() {
        ["create", "view", ..] => 2,
        ["create", "or", "replace", "view", ..] => 4,
        _ => return None,
    };
    match (&words[rest..], &lower[rest..]) {
        ([view, ..], [_, "as", "select", "*", "from", _]) => {
            Some((name_of(view)?, name_of(words.last()?)?))
        }
        _ => None,
    }
}

/// `billing."Users"` -> schema `billing`, quoted name `Users`.
fn name_of(word: &str) -> Option<ObjectName> {
    let parts: Vec<Ident> = word
        .split('.')
        .map(
            |p| match p.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
                Some(inner) => Ident::quoted(inner),
                None => Ident::new(p),
            },
        )
        .collect();
    let (name, rest) = parts.split_last()?;
    if name.value.is_empty() {
        return None;
    }
    Some(ObjectName {
        schema: rest.last().cloned(),
        name: name.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_select_star_views_only() {
        let (view, source) =
            select_star_view("CREATE OR REPLACE VIEW public.users AS SELECT * FROM \"Customers\"")
                .unwrap();
        assert_eq!(view.to_string(), "public.users");
        assert_eq!(source.name, Ident::quoted("Customers"));
        assert!(select_star_view("CREATE VIEW users AS SELECT id FROM customers").is_none());
        assert!(select_star_view("CREATE VIEW users AS SELECT * FROM customers WHERE x").is_none());
        assert!(select_star_view("CREATE TABLE users AS SELECT * FROM customers").is_none());
    }
}
