//! Changes that destroy data.
pub mod drop_column;
pub mod drop_database;
pub mod drop_schema;
pub mod drop_table;
pub mod truncate_table;

use crate::rules::Ctx;
use crate::statement::ObjectName;

/// The tables among `names` that existed before this change set: a table this change set
/// created (or, in a rollback file, that the migration it undoes created) holds no data
/// anyone relies on yet.
pub(crate) fn existing_tables<'a>(ctx: &Ctx, names: &'a [ObjectName]) -> Vec<&'a ObjectName> {
    names.iter().filter(|n| !ctx.is_new_table(n)).collect()
}

/// `a`, `a` and `b`, `a`, `b` and `c`, each in backticks.
pub(crate) fn list(names: &[&ObjectName]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}
