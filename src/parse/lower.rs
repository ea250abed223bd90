//! Lowering of `sqlparser` statements into lockstep's statement model.
//!
//! Only the statement kinds whose structure the rules read in detail are lowered from the
//! syntax tree; every other parsed statement is classified from its tokens by the
//! fallback recogniser, the same code that handles statements `sqlparser` rejects.

use super::fallback::{classify_default, parse_data_type};
use crate::statement::{
    AlterAction, ColumnCopy, ColumnDef, ColumnPosition, Constraint, ConstraintKind, Expr,
    ForeignTarget, Generated, Ident, IdentityChange, IndexDef, ObjectName, StatementKind,
};
use sqlparser::ast;

/// The names a partition key mentions (see `Partitioning::Parent`): `sqlparser` reads
/// PostgreSQL's `RANGE (a, lower(b))` as a call of `RANGE`. `None` for an expression this
/// walk does not know, so that the token fallback reads the statement instead.
fn partition_key(key: &ast::Expr) -> Option<Vec<Ident>> {
    let mut names = Vec::new();
    mentioned_names(key, &mut names)?;
    Some(names)
}

fn mentioned_names(expr: &ast::Expr, names: &mut Vec<Ident>) -> Option<()> {
    use ast::Expr as E;
    match expr {
        E::Identifier(name) => names.push(ident(name)),
        E::CompoundIdentifier(parts) => names.extend(parts.last().map(ident)),
        E::Value(_) => {}
        E::Nested(inner)
        | E::UnaryOp { expr: inner, .. }
        | E::Cast { expr: inner, .. }
        | E::Collate { expr: inner, .. } => mentioned_names(inner, names)?,
        E::BinaryOp { left, right, .. } => {
            mentioned_names(left, names)?;
            mentioned_names(right, names)?;
        }
        E::Function(f) => {
            let ast::FunctionArguments::List(list) = &f.args else {
                return None;
            };
            for arg in &list.args {
                match arg {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                        mentioned_names(e, names)?
                    }
                    _ => return None,
                }
            }
        }
        _ => return None,
    }
    Some(())
}

/// The lowered kind, or `None` when the statement is best classified from its tokens.
pub fn lower(statement: &ast::Statement) -> Option<StatementKind> {
    use ast::Statement as S;
    Some(match statement {
        S::CreateTable(t) => StatementKind::CreateTable {
            name: object_name(&t.name)?,
            columns: t.columns.iter().map(column_def).collect(),
            constraints: t.constraints.iter().filter_map(constraint).collect(),
            if_not_exists: t.if_not_exists,
            from_query: t.query.is_some()
                || t.like.is_some()
                || t.clone.is_some()
                || t.partition_of.is_some(),
            like: match &t.like {
                Some(
                    ast::CreateTableLikeKind::Plain(like)
                    | ast::CreateTableLikeKind::Parenthesized(like),
                ) => Some(object_name(&like.name)?),
                None => None,
            },
            partitioning: match &t.partition_of {
                Some(parent) => crate::statement::Partitioning::Of {
                    parent: object_name(parent)?,
                    default: matches!(t.for_values, Some(ast::ForValues::Default)),
                },
                None => match &t.partition_by {
                    Some(key) => crate::statement::Partitioning::Parent {
                        key: partition_key(key)?,
                    },
                    None => crate::statement::Partitioning::None,
                },
            },
            charset: crate::statement::charset_after_keyword(
                &t.table_options.to_string().to_lowercase(),
            )
            .map(str::to_string),
            search_indexes: t
                .constraints
                .iter()
                .filter_map(|c| match c {
                    ast::TableConstraint::FulltextOrSpatial(f) => Some(search_index(&t.name, f)),
                    _ => None,
                })
                .collect(),
        },
        S::AlterTable(t) => StatementKind::AlterTable {
            name: object_name(&t.name)?,
            if_exists: t.if_exists,
            actions: t
                .operations
                .iter()
                .map(|op| alter_action(op, &t.name))
                .collect(),
        },
        S::CreateIndex(i) => StatementKind::CreateIndex(index_def(i)?),
        S::Drop {
            object_type,
            if_exists,
            names,
            cascade,
            ..
        } => drop(*object_type, *if_exists, names, *cascade)?,
        S::Truncate(t) => StatementKind::Truncate {
            tables: t
                .table_names
                .iter()
                .filter_map(|n| object_name(&n.name))
                .collect(),
            cascade: matches!(t.cascade, Some(ast::CascadeOption::Cascade)),
        },
        S::Update(u) => StatementKind::Update {
            table: table_factor_name(&u.table.relation)?,
            has_where: u.selection.is_some(),
            copies: column_copies(u),
        },
        S::Delete(d) => {
            let from = match &d.from {
                ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => t,
            };
            StatementKind::Delete {
                table: table_factor_name(&from.first()?.relation)?,
                has_where: d.selection.is_some(),
            }
        }
        S::Insert(i) => match &i.table {
            ast::TableObject::TableName(n) => StatementKind::Insert {
                table: object_name(n)?,
                from: i.source.as_deref().and_then(whole_table_source),
            },
            _ => return None,
        },
        S::StartTransaction { .. } => StatementKind::Begin,
        S::Commit { .. } => StatementKind::Commit,
        S::Rollback {
            savepoint: None, ..
        } => StatementKind::Rollback,
        S::Set(ast::Set::SingleAssignment {
            scope,
            variable,
            values,
            ..
        }) => StatementKind::Set {
            name: variable.to_string().to_lowercase(),
            value: values
                .iter()
                .map(|v| unquote(&v.to_string()))
                .collect::<Vec<_>>()
                .join(", ")
                .to_lowercase(),
            local: matches!(scope, Some(ast::ContextModifier::Local)),
        },
        S::RenameTable(pairs) => StatementKind::RenameTables {
            pairs: pairs
                .iter()
                .filter_map(|p| Some((object_name(&p.old_name)?, object_name(&p.new_name)?)))
                .collect(),
        },
        _ => return None,
    })
}

fn drop(
    object_type: ast::ObjectType,
    if_exists: bool,
    names: &[ast::ObjectName],
    cascade: bool,
) -> Option<StatementKind> {
    let lowered: Vec<ObjectName> = names.iter().filter_map(object_name).collect();
    Some(match object_type {
        ast::ObjectType::Table => StatementKind::DropTable {
            names: lowered,
            if_exists,
            cascade,
        },
        // sqlparser's DROP keeps no CONCURRENTLY flag: the token fallback reads DROP INDEX.
        ast::ObjectType::Index => return None,
        ast::ObjectType::Schema => StatementKind::DropSchema {
            names: lowered.into_iter().map(|n| n.name).collect(),
            cascade,
        },
        ast::ObjectType::Database => StatementKind::DropDatabase {
            name: lowered.into_iter().next()?.name,
        },
        _ => return None,
    })
}

fn ident(i: &ast::Ident) -> Ident {
    Ident {
        value: i.value.clone(),
        quote: i.quote_style,
    }
}

/// `a.b.c` keeps the last two parts (schema and name): a database prefix does not change
/// which table is meant within one migration set.
pub fn object_name(name: &ast::ObjectName) -> Option<ObjectName> {
    let parts: Vec<Ident> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(ident))
        .collect();
    let (last, rest) = parts.split_last()?;
    Some(ObjectName {
        schema: rest.last().cloned(),
        name: last.clone(),
    })
}

/// The assignments of an `UPDATE` of one table that each carry one column into another,
/// when the WHERE (if any) reads no other column: see [`ColumnCopy`].
fn column_copies(update: &ast::Update) -> Vec<ColumnCopy> {
    if !update.table.joins.is_empty() || update.from.is_some() {
        return Vec::new();
    }
    let mut filter = Vec::new();
    if let Some(selection) = &update.selection {
        if !columns_read(selection, &mut filter) {
            return Vec::new();
        }
    }
    // `SET a = x` and `SET (a, b) = (x, y)` alike, as (target, value) pairs.
    let pairs = update.assignments.iter().flat_map(|assignment| {
        match (&assignment.target, &assignment.value) {
            (ast::AssignmentTarget::ColumnName(target), value) => vec![(target, value)],
            (ast::AssignmentTarget::Tuple(targets), ast::Expr::Tuple(values))
                if targets.len() == values.len() =>
            {
                targets.iter().zip(values).collect()
            }
            _ => Vec::new(),
        }
    });
    pairs
        .filter_map(|(target, value)| {
            let to = ident(target.0.last()?.as_ident()?);
            let mut read = Vec::new();
            if !columns_read(value, &mut read) {
                return None;
            }
            let from = read.first()?.clone();
            let one_column = read.iter().chain(&filter).all(|c| c.key() == from.key());
            one_column.then_some(ColumnCopy { to, from })
        })
        .collect()
}

/// Adds the columns `e` reads to `read`; `false` when `e` holds anything whose reads this
/// does not follow (a subquery, a `CASE`, a window), so no copy is claimed from it.
fn columns_read(e: &ast::Expr, read: &mut Vec<Ident>) -> bool {
    use ast::Expr as E;
    match e {
        E::Identifier(i) => {
            read.push(ident(i));
            true
        }
        E::CompoundIdentifier(parts) => match parts.last() {
            Some(last) => {
                read.push(ident(last));
                true
            }
            None => false,
        },
        E::Value(_) | E::TypedString { .. } => true,
        E::Cast { expr, .. }
        | E::Nested(expr)
        | E::UnaryOp { expr, .. }
        | E::IsNull(expr)
        | E::IsNotNull(expr)
        | E::Collate { expr, .. } => columns_read(expr, read),
        E::BinaryOp { left, right, .. } => columns_read(left, read) && columns_read(right, read),
        E::Function(f) => match &f.args {
            ast::FunctionArguments::None => true,
            ast::FunctionArguments::List(list) => list.args.iter().all(|arg| match arg {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => columns_read(e, read),
                _ => false,
            }),
            ast::FunctionArguments::Subquery(_) => false,
        },
        _ => false,
    }
}

/// The one table a `SELECT ... FROM t` reads every row of, as `Insert::from` describes.
fn whole_table_source(query: &ast::Query) -> Option<ObjectName> {
    let ast::SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let plain = query.limit_clause.is_none()
        && query.fetch.is_none()
        && select.selection.is_none()
        && select.having.is_none()
        && select.distinct.is_none()
        && matches!(&select.group_by, ast::GroupByExpr::Expressions(e, _) if e.is_empty());
    match select.from.as_slice() {
        [only] if plain && only.joins.is_empty() => match &only.relation {
            // `FROM generate_series(1, 10) g` is a function, not a table.
            ast::TableFactor::Table {
                name, args: None, ..
            } => object_name(name),
            _ => None,
        },
        _ => None,
    }
}

fn table_factor_name(factor: &ast::TableFactor) -> Option<ObjectName> {
    match factor {
        ast::TableFactor::Table { name, .. } => object_name(name),
        _ => None,
    }
}

fn expr(e: &ast::Expr) -> Expr {
    let text = e.to_string();
    Expr {
        volatility: classify_default(&text),
        text,
    }
}

fn unquote(s: &str) -> String {
    s.trim_matches(|c| c == '\'' || c == '"').to_string()
}

fn column_def(c: &ast::ColumnDef) -> ColumnDef {
    let mut def = ColumnDef::new(ident(&c.name), parse_data_type(&c.data_type.to_string()));
    for option in &c.options {
        apply_column_option(&mut def, &option.option);
    }
    def
}

fn apply_column_option(def: &mut ColumnDef, option: &ast::ColumnOption) {
    use ast::ColumnOption as O;
    match option {
        O::NotNull => def.not_null = true,
        O::Null => def.not_null = false,
        O::Default(e) => def.default = Some(expr(e)),
        O::PrimaryKey(_) => def.primary_key = true,
        O::Unique(_) => def.unique = true,
        O::ForeignKey(fk) => {
            def.references = object_name(&fk.foreign_table);
            def.referred_columns = fk.referred_columns.iter().map(ident).collect();
        }
        O::Check(c) => def.check = Some(c.expr.to_string()),
        // The charset belongs to the type, as the fallback reads it: changing it rewrites.
        O::CharacterSet(charset) => {
            def.data_type =
                parse_data_type(&format!("{} character set {charset}", def.data_type.text))
        }
        O::Generated {
            generated_as,
            generation_expr,
            generation_expr_mode,
            ..
        } => {
            def.generated = Some(match (generation_expr, generation_expr_mode) {
                (None, _) => Generated::Identity {
                    always: *generated_as == ast::GeneratedAs::Always,
                },
                (Some(_), Some(ast::GeneratedExpressionMode::Virtual)) => Generated::Virtual,
                (Some(_), Some(ast::GeneratedExpressionMode::Stored)) => Generated::Stored,
                (Some(_), None) => Generated::Unspecified,
            })
        }
        O::Identity(_) => def.generated = Some(Generated::Identity { always: false }),
        O::DialectSpecific(tokens) => {
            let words: String = tokens
                .iter()
                .map(|t| t.to_string().to_uppercase())
                .collect();
            if words.contains("AUTO_INCREMENT") {
                def.generated = Some(Generated::Identity { always: false });
            }
        }
        _ => {}
    }
}

fn columns(cols: &[ast::IndexColumn]) -> Vec<Ident> {
    cols.iter()
        .map(|c| match &c.column.expr {
            ast::Expr::Identifier(i) => ident(i),
            other => Ident::new(other.to_string()),
        })
        .collect()
}

fn constraint(c: &ast::TableConstraint) -> Option<Constraint> {
    use ast::TableConstraint as T;
    let (name, kind) = match c {
        T::PrimaryKey(p) => (
            p.name.as_ref(),
            ConstraintKind::PrimaryKey {
                columns: columns(&p.columns),
                using_index: None,
            },
        ),
        T::Unique(u) => (
            u.name.as_ref(),
            ConstraintKind::Unique {
                columns: columns(&u.columns),
                using_index: None,
            },
        ),
        T::PrimaryKeyUsingIndex(u) => (
            u.name.as_ref(),
            ConstraintKind::PrimaryKey {
                columns: Vec::new(),
                using_index: Some(Box::new(ident(&u.index_name))),
            },
        ),
        T::UniqueUsingIndex(u) => (
            u.name.as_ref(),
            ConstraintKind::Unique {
                columns: Vec::new(),
                using_index: Some(Box::new(ident(&u.index_name))),
            },
        ),
        T::ForeignKey(f) => (
            f.name.as_ref(),
            ConstraintKind::ForeignKey {
                columns: f.columns.iter().map(ident).collect(),
                target: Box::new(ForeignTarget {
                    references: object_name(&f.foreign_table)?,
                    referred_columns: f.referred_columns.iter().map(ident).collect(),
                    clauses: foreign_key_clauses(f),
                }),
            },
        ),
        T::Check(ch) => (
            ch.name.as_ref(),
            ConstraintKind::Check {
                expr: ch.expr.to_string(),
            },
        ),
        T::Exclude(_) => (None, ConstraintKind::Exclude),
        T::Index(_) | T::FulltextOrSpatial(_) => return None,
    };
    let not_enforced = match c {
        T::Check(ch) => ch.enforced == Some(false),
        T::ForeignKey(f) => f
            .characteristics
            .as_ref()
            .is_some_and(|traits| traits.enforced == Some(false)),
        _ => false,
    };
    Some(Constraint {
        name: name.map(ident),
        kind,
        not_valid: false,
        not_enforced,
    })
}

/// The clauses after a foreign key's referenced columns, in the order PostgreSQL and
/// MySQL accept them.
fn foreign_key_clauses(f: &ast::ForeignKeyConstraint) -> String {
    let mut clauses = Vec::new();
    if let Some(kind) = &f.match_kind {
        clauses.push(kind.to_string());
    }
    if let Some(action) = &f.on_delete {
        clauses.push(format!("ON DELETE {action}"));
    }
    if let Some(action) = &f.on_update {
        clauses.push(format!("ON UPDATE {action}"));
    }
    if let Some(characteristics) = &f.characteristics {
        clauses.push(characteristics.to_string());
    }
    clauses.join(" ")
}

fn position(p: &Option<ast::MySQLColumnPosition>) -> Option<ColumnPosition> {
    p.as_ref().map(|p| match p {
        ast::MySQLColumnPosition::First => ColumnPosition::First,
        ast::MySQLColumnPosition::After(i) => ColumnPosition::After(ident(i)),
    })
}

fn redefine(
    old: &ast::Ident,
    new: &ast::Ident,
    data_type: &ast::DataType,
    options: &[ast::ColumnOption],
    column_position: &Option<ast::MySQLColumnPosition>,
) -> AlterAction {
    let mut column = column_def(&ast::ColumnDef {
        name: new.clone(),
        data_type: data_type.clone(),
        options: Vec::new(),
    });
    for option in options {
        apply_column_option(&mut column, option);
    }
    AlterAction::RedefineColumn {
        old: ident(old),
        column,
        position: position(column_position),
    }
}

fn alter_action(op: &ast::AlterTableOperation, table: &ast::ObjectName) -> AlterAction {
    use ast::AlterTableOperation as A;
    match op {
        A::AddColumn {
            if_not_exists,
            column_def: c,
            column_position,
            ..
        } => AlterAction::AddColumn {
            column: column_def(c),
            if_not_exists: *if_not_exists,
            position: position(column_position),
        },
        A::DropColumn {
            column_names,
            if_exists,
            drop_behavior,
            ..
        } if column_names.len() == 1 => AlterAction::DropColumn {
            column: ident(&column_names[0]),
            if_exists: *if_exists,
            cascade: matches!(drop_behavior, Some(ast::DropBehavior::Cascade)),
        },
        A::RenameColumn {
            old_column_name,
            new_column_name,
        } => AlterAction::RenameColumn {
            from: ident(old_column_name),
            to: ident(new_column_name),
        },
        A::RenameTable { table_name } => {
            let (ast::RenameTableNameKind::As(n) | ast::RenameTableNameKind::To(n)) = table_name;
            match object_name(n) {
                Some(to) => AlterAction::RenameTable { to },
                None => AlterAction::Other("RENAME".into()),
            }
        }
        A::ChangeColumn {
            old_name,
            new_name,
            data_type,
            options,
            column_position,
        } => redefine(old_name, new_name, data_type, options, column_position),
        A::ModifyColumn {
            col_name,
            data_type,
            options,
            column_position,
        } => redefine(col_name, col_name, data_type, options, column_position),
        A::AlterColumn { column_name, op } => alter_column(ident(column_name), op),
        A::AddConstraint {
            constraint: c,
            not_valid,
        } => match (c, constraint(c)) {
            (_, Some(mut lowered)) => {
                lowered.not_valid = *not_valid;
                AlterAction::AddConstraint(lowered)
            }
            (ast::TableConstraint::Index(i), None) => {
                AlterAction::AddIndex(mysql_index(table, i.name.as_ref(), &i.columns, None))
            }
            (ast::TableConstraint::FulltextOrSpatial(f), None) => {
                AlterAction::AddIndex(search_index(table, f))
            }
            _ => AlterAction::Other("ADD CONSTRAINT".into()),
        },
        A::ValidateConstraint { name } => AlterAction::ValidateConstraint { name: ident(name) },
        A::DropConstraint {
            if_exists,
            name,
            drop_behavior,
        } => AlterAction::DropConstraint {
            name: ident(name),
            if_exists: *if_exists,
            cascade: matches!(drop_behavior, Some(ast::DropBehavior::Cascade)),
        },
        A::DropForeignKey { name, .. } => AlterAction::DropConstraint {
            name: ident(name),
            if_exists: false,
            cascade: false,
        },
        A::RenameConstraint { old_name, new_name } => AlterAction::RenameConstraint {
            from: ident(old_name),
            to: ident(new_name),
        },
        A::DropIndex { name } => AlterAction::DropIndex { name: ident(name) },
        A::DropPrimaryKey { .. } => AlterAction::DropPrimaryKey,
        A::SetLogged => AlterAction::SetLogged,
        A::SetUnlogged => AlterAction::SetUnlogged,
        A::EnableTrigger { .. }
        | A::EnableAlwaysTrigger { .. }
        | A::EnableReplicaTrigger { .. } => AlterAction::EnableTrigger,
        A::DisableTrigger { .. } => AlterAction::DisableTrigger,
        A::AttachPartitionOf {
            partition,
            for_values,
        } => AlterAction::AttachPartition {
            partition: object_name(partition),
            default: matches!(for_values, ast::ForValues::Default),
        },
        A::DetachPartitionOf { partition, mode } => AlterAction::DetachPartition {
            partition: object_name(partition),
            // FINALIZE completes an interrupted CONCURRENTLY detach: its last transaction.
            concurrently: matches!(
                mode,
                Some(ast::DetachPartitionMode::Concurrently | ast::DetachPartitionMode::Finalize)
            ),
        },
        A::Algorithm { algorithm, .. } => {
            AlterAction::Algorithm(algorithm.to_string().to_uppercase())
        }
        A::Lock { lock, .. } => AlterAction::Lock(lock.to_string().to_uppercase()),
        A::SetOptionsParens { .. } | A::ResetOptions { .. } => AlterAction::TableSetting {
            user_catalog_table: op.to_string().to_lowercase().contains("user_catalog_table"),
        },
        other => AlterAction::Other(leading_words(&other.to_string())),
    }
}

/// A MySQL `FULLTEXT` / `SPATIAL` key, in CREATE TABLE or ALTER TABLE ... ADD.
fn search_index(table: &ast::ObjectName, key: &ast::FullTextOrSpatialConstraint) -> IndexDef {
    let method = if key.fulltext { "fulltext" } else { "spatial" };
    mysql_index(
        table,
        key.opt_index_name.as_ref(),
        &key.columns,
        Some(method),
    )
}

/// A MySQL index on `table`, inside CREATE TABLE or ALTER TABLE ... ADD.
fn mysql_index(
    table: &ast::ObjectName,
    name: Option<&ast::Ident>,
    cols: &[ast::IndexColumn],
    method: Option<&str>,
) -> IndexDef {
    IndexDef {
        name: name.map(ident),
        table: object_name(table).unwrap_or_else(|| ObjectName::bare("")),
        columns: columns(cols),
        unique: false,
        concurrently: false,
        if_not_exists: false,
        method: method.map(str::to_string),
        only: false,
    }
}

fn alter_column(column: Ident, op: &ast::AlterColumnOperation) -> AlterAction {
    use ast::AlterColumnOperation as C;
    match op {
        C::SetNotNull => AlterAction::SetNotNull { column },
        C::DropNotNull => AlterAction::DropNotNull { column },
        C::SetDefault { value } => AlterAction::SetDefault {
            column,
            default: expr(value),
        },
        C::DropDefault => AlterAction::DropDefault { column },
        C::SetDataType {
            data_type, using, ..
        } => AlterAction::AlterColumnType {
            column,
            data_type: parse_data_type(&data_type.to_string()),
            using: using.as_ref().map(|u| u.to_string()),
        },
        C::AddGenerated { generated_as, .. } => AlterAction::ChangeIdentity {
            column,
            change: IdentityChange::Add {
                always: *generated_as == Some(ast::GeneratedAs::Always),
            },
        },
        C::GenericOptions { .. } => AlterAction::Other("OPTIONS".into()),
    }
}

fn index_def(i: &ast::CreateIndex) -> Option<IndexDef> {
    Some(IndexDef {
        name: i.name.as_ref().and_then(object_name).map(|n| n.name),
        table: object_name(&i.table_name)?,
        columns: columns(&i.columns),
        unique: i.unique,
        concurrently: i.concurrently,
        if_not_exists: i.if_not_exists,
        method: i.using.as_ref().map(|m| m.to_string().to_lowercase()),
        // sqlparser reads no `ON ONLY`; such a statement goes to the fallback parser.
        only: false,
    })
}

/// The first two words of an action's text, as a label for `AlterAction::Other`.
fn leading_words(text: &str) -> String {
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}
