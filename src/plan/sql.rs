//! SQL text shared by the recipes: identifiers, derived object names, the batched
//! backfill and the catalogue queries that verify a phase.

use super::{PlanError, PlanOptions};
use crate::catalog::{Catalog, Table};
use crate::statement::{Ident, ObjectName};

/// An identifier as SQL: quoted when it was written quoted.
pub fn ident(name: &Ident) -> String {
    quoted_with(name, '"')
}

/// A possibly schema-qualified name as SQL.
pub fn object(name: &ObjectName) -> String {
    qualified(name, ident)
}

/// An identifier as the dialect quoting with `quote` writes it: between quotes, a quote
/// inside doubled, when it was written quoted; as written otherwise.
pub fn quoted_with(name: &Ident, quote: char) -> String {
    if name.is_quoted() {
        let doubled = format!("{quote}{quote}");
        format!("{quote}{}{quote}", name.value.replace(quote, &doubled))
    } else {
        name.value.clone()
    }
}

/// A possibly schema-qualified name, each part written by the dialect's `ident`.
pub fn qualified(name: &ObjectName, ident: fn(&Ident) -> String) -> String {
    match &name.schema {
        Some(schema) => format!("{}.{}", ident(schema), ident(&name.name)),
        None => ident(&name.name),
    }
}

/// The identifiers an expression names, outside string literals: unquoted words fold to
/// lower case, quoted ones keep their case.
pub fn identifiers(expr: &str) -> Vec<Ident> {
    let mut found = Vec::new();
    let mut chars = expr.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            '\'' => {
                while chars.next_if(|&(_, c)| c != '\'').is_some() {}
                chars.next();
            }
            '"' => {
                let mut value = String::new();
                while let Some((_, c)) = chars.next() {
                    // `""` inside quotes is one `"`.
                    if c == '"' && chars.next_if(|&(_, c)| c == '"').is_none() {
                        break;
                    }
                    value.push(c);
                }
                found.push(Ident::quoted(value));
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut end = start + c.len_utf8();
                while let Some((i, c)) =
                    chars.next_if(|&(_, c)| c.is_alphanumeric() || c == '_' || c == '$')
                {
                    end = i + c.len_utf8();
                }
                found.push(Ident::new(&expr[start..end]));
            }
            c if c.is_ascii_digit() => {
                while chars
                    .next_if(|&(_, c)| c.is_alphanumeric() || c == '_' || c == '.')
                    .is_some()
                {}
            }
            _ => {}
        }
    }
    found
}

/// A new object name in the table's schema, built from parts and cut to 63 bytes.
pub fn derived(table: &ObjectName, parts: &[&str]) -> ObjectName {
    ObjectName {
        schema: table.schema.clone(),
        name: Ident::new(derived_ident(parts)),
    }
}

/// `parts` joined by `_`, lower-cased, cut to what PostgreSQL keeps of an identifier.
pub fn derived_ident(parts: &[&str]) -> String {
    let mut name: String = parts
        .join("_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    // The last part tells the derived names of one object apart (`_ins`, `_upd`): a long
    // name is cut before it, not through it.
    let max = crate::names::MAX_IDENT_BYTES;
    if name.len() > max {
        let last = parts.last().map_or(0, |p| p.len() + 1).min(max);
        let tail = name.split_off(name.len() - last);
        name.truncate(max - last);
        name.push_str(&tail);
    }
    name
}

/// `body` between dollar quotes whose tag does not occur in it: `$lockstep$`, else
/// `$lockstep_1$`, `$lockstep_2$`, ... Names and expressions copied into a body come from
/// the input, and a `$$` among them must not end the quote early and run the rest.
pub fn dollar_quoted(body: &str) -> String {
    let tag = std::iter::once("$lockstep$".to_string())
        .chain((1..).map(|n| format!("$lockstep_{n}$")))
        .find(|tag| !body.contains(tag.as_str()))
        .unwrap_or_default();
    format!("{tag}{body}{tag}")
}

/// A string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The table as the replay knows it, or why a plan cannot be written without it.
pub fn known_table<'a>(catalog: &'a Catalog, table: &ObjectName) -> Result<&'a Table, PlanError> {
    catalog.table(table).filter(|t| t.created_in.is_some()).ok_or_else(|| {
        PlanError(format!(
            "lockstep does not know the columns of `{table}`: its CREATE TABLE is not in the migrations before this file, and the plan needs the column types and the primary key"
        ))
    })
}

/// The primary key the backfill walks in order, one column or several.
pub fn batch_key(table: &Table) -> Result<Vec<Ident>, PlanError> {
    match table.primary_key() {
        Some(key) if !key.is_empty() => Ok(key.to_vec()),
        _ => Err(PlanError(format!(
            "`{}` has no primary key in the replayed migrations, and the batched backfill walks the rows in key order; add a primary key first (`lockstep plan` plans ADD PRIMARY KEY without blocking writes), then plan this change",
            table.name
        ))),
    }
}

/// What a batched backfill writes, to which rows, whatever the dialect.
pub struct Backfill<'a, Key> {
    pub table: &'a ObjectName,
    /// The primary key the batches walk: its columns' names on PostgreSQL (whose
    /// variables take the columns' `%TYPE`), the columns themselves on MySQL (whose
    /// variables are declared with the columns' types).
    pub key: &'a [Key],
    /// The `SET` list, e.g. `emissions_kg = co2_kg`.
    pub assignments: String,
    /// The rows that still need it, e.g. `emissions_kg IS DISTINCT FROM co2_kg`; rows
    /// already done are skipped, which makes a re-run resume.
    pub pending: String,
}

/// The key columns in descending order, for the `ORDER BY` that finds a batch's last key.
pub fn descending(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("{c} DESC"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The pause between two batches, in the seconds the sleep functions take.
pub fn pause_seconds(options: &PlanOptions) -> String {
    format!("{:.3}", f64::from(options.pause_ms) / 1000.0)
}

/// One `DO` block that walks the key in batches, commits each batch (PostgreSQL 11+,
/// outside a transaction block only) and pauses between them.
///
/// Batches are key ranges found by keyset pagination (`ORDER BY key LIMIT n`, row
/// comparisons for a composite key), which works for every btree-ordered key type (uuid
/// and text included: `min(uuid)` does not exist) and uses the key's own index. The key
/// variables are declared `%TYPE` of the key columns, so they carry the columns'
/// collations and compare exactly as the index orders.
pub fn backfill_block(backfill: &Backfill<Ident>, options: &PlanOptions) -> String {
    let table = object(backfill.table);
    let columns: Vec<String> = backfill.key.iter().map(ident).collect();
    let names = |prefix: &str| -> Vec<String> {
        match columns.len() {
            1 => vec![prefix.to_string()],
            n => (1..=n).map(|n| format!("{prefix}_{n}")).collect(),
        }
    };
    let (starts, ends) = (names("batch_start"), names("batch_end"));
    let row = |items: &[String]| match items {
        [item] => item.clone(),
        _ => format!("({})", items.join(", ")),
    };
    let declarations: String = columns
        .iter()
        .zip(starts.iter().zip(&ends))
        .map(|(column, (start, end))| {
            format!("  {start} {table}.{column}%TYPE;\n  {end} {table}.{column}%TYPE;\n")
        })
        .collect();
    let (key, start, end) = (row(&columns), row(&starts), row(&ends));
    let list = columns.join(", ");
    let (descending, pause) = (descending(&columns), pause_seconds(options));
    let body = format!(
        "
DECLARE
{declarations}BEGIN
  SELECT {list} INTO {start_list} FROM {table} ORDER BY {list} LIMIT 1;
  WHILE FOUND LOOP
    SELECT {list} INTO {end_list}
      FROM (SELECT {list} FROM {table}
             WHERE {key} >= {start}
             ORDER BY {list}
             LIMIT {limit}) AS batch
     ORDER BY {descending}
     LIMIT 1;
    EXIT WHEN NOT FOUND;
    UPDATE {table} SET {assignments}
     WHERE {key} >= {start} AND {key} <= {end}
       AND ({pending});
    COMMIT;
    PERFORM pg_sleep({pause});
    SELECT {list} INTO {start_list} FROM {table} WHERE {key} > {end} ORDER BY {list} LIMIT 1;
  END LOOP;
END
",
        start_list = starts.join(", "),
        end_list = ends.join(", "),
        limit = options.batch_rows(backfill.table),
        assignments = backfill.assignments,
        pending = backfill.pending,
    );
    format!("DO {}", dollar_quoted(&body))
}

/// How many rows still need the backfill: `0` when it is done.
pub fn pending_rows(table: &ObjectName, pending: &str) -> String {
    format!("SELECT count(*) FROM {} WHERE {pending}", object(table))
}

/// `1` when the column exists, `0` when it does not.
pub fn column_count(table: &ObjectName, column: &Ident) -> String {
    format!(
        "SELECT count(*) FROM pg_attribute WHERE attrelid = {}::regclass AND attname = {} AND NOT attisdropped",
        literal(&object(table)),
        literal(&column.key()),
    )
}

/// `1` when the trigger exists on the table.
pub fn trigger_count(table: &ObjectName, trigger: &str) -> String {
    format!(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = {}::regclass AND tgname = {}",
        literal(&object(table)),
        literal(trigger),
    )
}

/// `t` once the constraint is validated.
pub fn constraint_validated(table: &ObjectName, constraint: &str) -> String {
    format!(
        "SELECT convalidated FROM pg_constraint WHERE conrelid = {}::regclass AND conname = {}",
        literal(&object(table)),
        literal(constraint),
    )
}

/// `t` when the column is `NOT NULL`.
pub fn column_not_null(table: &ObjectName, column: &Ident) -> String {
    format!(
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = {}::regclass AND attname = {}",
        literal(&object(table)),
        literal(&column.key()),
    )
}

/// The byte offset just after `keyword` when it is one of the first `within` words of
/// `text` (case-insensitive): where `CONCURRENTLY` goes in `CREATE [UNIQUE] INDEX`.
pub fn after_leading_keyword(text: &str, keyword: &str, within: usize) -> Option<usize> {
    let mut rest = 0;
    for _ in 0..within {
        let start = rest + text.get(rest..)?.find(|c: char| !c.is_whitespace())?;
        let len = text
            .get(start..)?
            .find(char::is_whitespace)
            .unwrap_or(text.len() - start);
        let end = start + len;
        if text.get(start..end)?.eq_ignore_ascii_case(keyword) {
            return Some(end);
        }
        rest = end;
    }
    None
}

/// The byte offset just after the (possibly schema-qualified, possibly quoted) object name
/// that starts at `at`.
pub fn object_name_end(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = at;
    loop {
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match bytes.get(i)? {
                    b'"' if bytes.get(i + 1) == Some(&b'"') => i += 2,
                    b'"' => break,
                    _ => i += 1,
                }
            }
            i += 1;
        } else {
            let start = i;
            while text[i..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
            {
                i += text[i..].chars().next().map_or(1, char::len_utf8);
            }
            if i == start {
                return None;
            }
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
        } else {
            return Some(i);
        }
    }
}

/// The byte offset where `keyword` first appears as a whole word (case-insensitive),
/// outside string literals and quoted identifiers.
pub fn find_keyword(text: &str, keyword: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut word_start: Option<usize> = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_alphanumeric() || c == '_' || c == '$' {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = word_start.take() {
            if text.get(start..i)?.eq_ignore_ascii_case(keyword) {
                return Some(start);
            }
        }
        if c == '\'' || c == '"' {
            quote = Some(c);
        }
    }
    None
}

/// `t` once the index exists and is valid; `f` while it is missing, being built, or
/// left INVALID by a failed `CONCURRENTLY` build.
pub fn index_valid(index: &ObjectName) -> String {
    format!(
        "SELECT coalesce((SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass({})), false)",
        literal(&object(index))
    )
}

/// `t` once the relation (table, view, index) is gone.
pub fn relation_gone(relation: &ObjectName) -> String {
    format!("SELECT to_regclass({}) IS NULL", literal(&object(relation)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_derived_names_keep_their_last_part() {
        let base = "shipment_carbon_emission_measurements_by_region_and_day_v2_amount";
        let insert = derived_ident(&[base, "ins"]);
        let update = derived_ident(&[base, "upd"]);
        assert_eq!(insert.len(), crate::names::MAX_IDENT_BYTES);
        assert!(
            insert.ends_with("_ins") && update.ends_with("_upd"),
            "{insert}"
        );
        assert_eq!(
            derived_ident(&["Orders", "amount", "idx"]),
            "orders_amount_idx"
        );
    }

    #[test]
    fn keyword_offsets_follow_the_leading_words_only() {
        let text = "CREATE UNIQUE\n  INDEX idx ON t (a)";
        assert_eq!(after_leading_keyword(text, "index", 3), Some(21));
        assert_eq!(
            after_leading_keyword("create index i on t (index)", "index", 3),
            Some(12)
        );
        assert_eq!(
            after_leading_keyword("CREATE TABLE index (a int)", "index", 2),
            None
        );
        assert_eq!(after_leading_keyword("", "index", 3), None);
    }

    #[test]
    fn identifiers_skip_literals_and_keep_quoted_case() {
        let found: Vec<(String, bool)> =
            identifiers("\"Amount\" >= 0 AND note <> 'x''y z' AND 1e5 < Total")
                .into_iter()
                .map(|i| {
                    let quoted = i.is_quoted();
                    (i.value, quoted)
                })
                .collect();
        let expected = [
            ("Amount", true),
            ("AND", false),
            ("note", false),
            ("AND", false),
            ("Total", false),
        ];
        assert_eq!(found, expected.map(|(v, q)| (v.to_string(), q)).to_vec());
    }

    #[test]
    fn object_names_end_after_their_last_part() {
        let text = "CREATE INDEX i ON app.\"Or\"\"ders\" USING btree (a)";
        assert_eq!(object_name_end(text, 18), Some(32));
        assert_eq!(object_name_end("ON t(a)", 3), Some(4));
        assert_eq!(object_name_end("ON (a)", 3), None);
    }

    #[test]
    fn keywords_are_whole_words_outside_quotes() {
        let text = "ALTER TABLE \"check\" ADD CHECK (note <> 'check')";
        assert_eq!(find_keyword(text, "check"), Some(24));
        assert_eq!(
            find_keyword("ALTER TABLE checks ADD CHECK (a)", "CHECK"),
            Some(23)
        );
        assert_eq!(
            find_keyword("ALTER TABLE t ADD FOREIGN", "foreign"),
            Some(18)
        );
        assert_eq!(find_keyword("SELECT 'foreign'", "foreign"), None);
    }
}
