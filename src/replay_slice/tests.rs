use super::*;

fn shape_of(sql: &str) -> Option<(Vec<&str>, Vec<&str>)> {
    match shape(sql) {
        Shape::Kept => None,
        Shape::Writes { names, referenced } => Some((names, referenced)),
    }
}

#[test]
fn alter_table_writes_its_table_its_constraints_and_a_new_name() {
    assert_eq!(
        shape_of("ALTER TABLE public.orders ADD COLUMN note text DEFAULT 'x;y'"),
        Some((vec!["orders"], vec![]))
    );
    assert_eq!(
        shape_of("alter table if exists only \"Orders\" add constraint orders_user_fk foreign key (user_id) references app.users (id) not valid;"),
        Some((vec!["Orders", "orders_user_fk"], vec!["users"]))
    );
    assert_eq!(
        shape_of("ALTER TABLE orders RENAME TO purchases"),
        Some((vec!["orders", "purchases"], vec![]))
    );
    // A column rename stays on the table; so does an owner.
    assert_eq!(
        shape_of("ALTER TABLE orders RENAME COLUMN a TO b"),
        Some((vec!["orders"], vec![]))
    );
    assert_eq!(
        shape_of("ALTER TABLE orders RENAME a TO b"),
        Some((vec!["orders"], vec![]))
    );
    assert_eq!(
        shape_of("ALTER TABLE orders OWNER TO admin"),
        Some((vec!["orders"], vec![]))
    );
    for moves in [
        "ALTER TABLE orders SET SCHEMA archive",
        "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES IN (2024)",
        "ALTER TABLE events DETACH PARTITION events_2024",
        "ALTER TABLE orders INHERIT base",
        "ALTER TABLE orders ADD CONSTRAINT k PRIMARY KEY USING INDEX orders_idx",
        "ALTER TABLE orders SET TABLESPACE fast",
    ] {
        assert_eq!(shape_of(moves), None, "{moves}");
    }
}

#[test]
fn create_table_index_and_function_write_their_names() {
    assert_eq!(
        shape_of("-- why\nCREATE TABLE IF NOT EXISTS s.orders (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  user_id bigint REFERENCES users,\n  CONSTRAINT orders_total CHECK (total > 0)\n);"),
        Some((vec!["orders", "orders_total"], vec!["users"]))
    );
    for other in [
        "CREATE TABLE events (id int) PARTITION BY RANGE (id)",
        "CREATE TABLE events_1 PARTITION OF events FOR VALUES IN (1)",
        "CREATE TABLE copy (LIKE orders INCLUDING ALL)",
        "CREATE TABLE copy AS SELECT * FROM orders",
        "CREATE UNLOGGED TABLE scratch (id int)",
    ] {
        assert_eq!(shape_of(other), None, "{other}");
    }
    assert_eq!(
        shape_of("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON ONLY orders USING btree (user_id) WHERE deleted_at IS NULL"),
        Some((vec!["orders_user_idx", "orders"], vec![]))
    );
    assert_eq!(
        shape_of("CREATE INDEX ON orders (user_id)"),
        Some((vec!["orders"], vec![]))
    );
    assert_eq!(
        shape_of("CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DROP TABLE x; END $$"),
        Some((vec!["touch"], vec![]))
    );
}

#[test]
fn update_and_do_blocks_write_what_their_statements_write() {
    assert_eq!(
        shape_of("UPDATE orders SET total = 0 WHERE id < 10"),
        Some((vec!["orders"], vec![]))
    );
    assert_eq!(
        shape_of("UPDATE orders SET total = p.total FROM prices p"),
        None
    );
    assert_eq!(
        shape_of("DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'i') THEN\n    CREATE INDEX i ON orders (a);\n  END IF;\nEND\n$$;"),
        Some((vec!["i", "orders"], vec![]))
    );
    assert_eq!(shape_of("DO $$ BEGIN DROP INDEX i; END $$"), None);
}

#[test]
fn other_statements_and_unreadable_text_are_always_parsed() {
    for kept in [
        "DROP INDEX orders_user_idx",
        "DROP TABLE orders",
        "ALTER INDEX i RENAME TO j",
        "CREATE VIEW v AS SELECT * FROM orders",
        "SET search_path = app",
        "ALTER TABLE \"my orders\" ADD COLUMN a int",
        "ALTER TABLE orders ADD COLUMN a text DEFAULT 'unclosed",
        "ALTER TABLE /* unclosed comment",
        "ALTER TABLE ${schema}.orders ADD COLUMN a int",
        "WITH x AS (SELECT 1) UPDATE orders SET a = 1",
    ] {
        assert_eq!(shape_of(kept), None, "{kept}");
    }
}

#[test]
fn strings_comments_and_numbers_are_read_past() {
    assert_eq!(
        tokenize("a E'it\\'s' B'01' $t$ x $$ y $t$ \"Q\" -- c\n/* /* n */ */ 1.5e3 $1;"),
        Some(vec![
            Token::Word("a"),
            Token::Str("it\\'s"),
            Token::Str("01"),
            Token::Str(" x $$ y "),
            Token::Word("Q"),
            Token::Other,
            Token::Other,
            Token::Punct(b';'),
        ])
    );
    // A quoted name with a quote or a space in it, or a prefix this reader does not know.
    for unread in ["\"q\"\"x\"", "\"a b\"", "U&'x'", "'open", "$x$ open"] {
        assert_eq!(tokenize(unread), None, "{unread}");
    }
}

#[test]
fn written_names_are_ranges_of_the_statement() {
    assert_eq!(written("SELECT * FROM orders"), Written::Nothing);
    assert_eq!(written("DROP TABLE orders"), Written::Unknown);
    let sql = "ALTER TABLE s.orders ADD FOREIGN KEY (u) REFERENCES users";
    let Written::Names { names, referenced } = written(sql) else {
        panic!("{sql} is read");
    };
    let text = |ranges: Vec<Range<u32>>| -> Vec<&str> {
        ranges
            .into_iter()
            .map(|r| &sql[r.start as usize..r.end as usize])
            .collect()
    };
    assert_eq!(
        (text(names), text(referenced)),
        (vec!["orders"], vec!["users"])
    );
}

fn readers(reported: &str) -> Readers {
    Readers::of_reported([reported]).unwrap()
}

impl Readers {
    fn keeps(&mut self, sql: &str) -> Result<bool, Unsliceable> {
        self.keep(sql, &written(sql))
    }
}

#[test]
fn a_statement_is_kept_when_a_later_one_names_what_it_writes() {
    let mut r = readers("ALTER TABLE Orders ADD COLUMN note text;");
    assert!(!r.keeps("ALTER TABLE users ADD COLUMN a int").unwrap());
    assert!(r
        .keeps("CREATE INDEX orders_a_idx ON \"orders\" (a)")
        .unwrap());
    assert!(
        !r.keeps("SELECT * FROM orders").unwrap(),
        "the replay ignores it"
    );
    // Kept, the rename makes its old name read: what came before under it is kept too.
    assert!(r.keeps("ALTER TABLE purchases RENAME TO orders").unwrap());
    assert!(r.keeps("CREATE TABLE purchases (id int)").unwrap());
    // Always parsed, and a reader of all it names.
    assert!(r.keeps("DROP TABLE stock").unwrap());
    assert!(r.keeps("CREATE TABLE stock (id int)").unwrap());
}

#[test]
fn a_foreign_key_is_kept_when_its_target_is_altered_not_referenced() {
    let mut r = readers(
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES public.users (id);",
    );
    assert!(!r
        .keeps("ALTER TABLE invoices ADD CONSTRAINT i_fk FOREIGN KEY (u) REFERENCES users (id)")
        .unwrap());
    assert!(r.keeps("CREATE TABLE users (id int PRIMARY KEY)").unwrap());
    let mut r = readers("ALTER TABLE users DROP COLUMN email;");
    assert!(r
        .keeps("ALTER TABLE invoices ADD CONSTRAINT i_fk FOREIGN KEY (e) REFERENCES users (email)")
        .unwrap());
    // The referencing table's own history is read through the key.
    assert!(r.keeps("CREATE TABLE invoices (id int, e text)").unwrap());
}

#[test]
fn names_beyond_ascii_fold_as_the_catalogue_folds_them() {
    let mut r = readers("ALTER TABLE ÄRGER ADD COLUMN a int;");
    assert!(r.keeps("CREATE TABLE \"ärger\" (id int)").unwrap());
    assert!(r.keeps("CREATE INDEX i ON Ärger (id)").unwrap());
    assert!(!r.keeps("CREATE TABLE ärgerlich (id int)").unwrap());
}

#[test]
fn names_postgresql_derives_from_a_table_keep_the_table() {
    let mut r = readers("DROP INDEX orders_pkey; ALTER SEQUENCE orders_id_seq RESTART;");
    assert!(r
        .keeps("CREATE TABLE orders (id serial PRIMARY KEY)")
        .unwrap());
    assert!(!r
        .keeps("CREATE TABLE order (id serial PRIMARY KEY)")
        .unwrap());
}

#[test]
fn reads_names_cannot_follow_turn_the_slice_off() {
    for reported in [
        "DROP TYPE mood;",
        "drop domain positive;",
        "ALTER SCHEMA billing RENAME TO finance;",
        "DROP /* why */ SCHEMA old CASCADE;",
        "DO $$ BEGIN EXECUTE 'DROP TYPE mood'; END $$;",
        "ALTER TABLE U&\"d\\0061ta\" ADD COLUMN a int;",
        &format!("ALTER TABLE {} ADD COLUMN a int;", "x".repeat(57)),
    ] {
        assert_eq!(
            Readers::of_reported([reported]).err(),
            Some(Unsliceable),
            "{reported}"
        );
    }
    // The words alone, as names, are fine.
    assert!(
        Readers::of_reported(["ALTER TABLE t ADD COLUMN type text, ADD COLUMN schema text;"])
            .is_ok()
    );
    let mut r = readers("ALTER TABLE t ADD COLUMN a int;");
    assert_eq!(
        r.keeps("ALTER TABLE t ADD COLUMN U&\"b\" int"),
        Err(Unsliceable)
    );
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "ALTER TABLE ",
        "CREATE TABLE ",
        "CREATE INDEX ",
        "DO $$ ",
        "$$",
        "$t$",
        "UPDATE ",
        "REFERENCES ",
        "CONSTRAINT ",
        "RENAME TO ",
        "(",
        ")",
        ",",
        ".",
        ";",
        "'",
        "''",
        "E'\\",
        "\"",
        "\"\"",
        "--",
        "\n",
        "/*",
        "*/",
        "U&",
        "t",
        "ä",
        "😀",
        "_",
        "1",
        " ",
        "x_y",
        "ON ",
    ];

    /// Starts of the shapes the slice reads, so that the pieces after them are read too.
    const STARTS: &[&str] = &[
        "",
        "ALTER TABLE s.t ",
        "CREATE TABLE \"T\" (",
        "CREATE UNIQUE INDEX i ON t ",
        "UPDATE t SET ",
        "DO $$ BEGIN ALTER TABLE t ",
        "CREATE OR REPLACE FUNCTION f",
    ];

    proptest! {
        /// Whatever a changed or earlier file holds, reading it neither panics nor yields a
        /// name that is not a run of name characters of the statement.
        #[test]
        fn any_text_is_read_without_panicking(
            start in proptest::sample::select(STARTS),
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..40),
            raw in ".{0,60}",
        ) {
            let sql = start.to_string() + &pieces.concat() + &raw;
            if let Written::Names { names, referenced } = written(&sql) {
                for range in names.iter().chain(&referenced) {
                    let name = sql.get(range.start as usize..range.end as usize);
                    prop_assert!(
                        name.is_some_and(|n| !n.is_empty() && n.chars().all(is_name_char)),
                        "{range:?} of {sql:?}"
                    );
                }
            }
            if let Ok(mut readers) = Readers::of_reported([sql.as_str()]) {
                let _ = readers.keeps(&sql);
            }
        }
    }
}
