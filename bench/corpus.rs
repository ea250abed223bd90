//! A reproducible corpus of realistic PostgreSQL migration folders, for the benchmark and
//! for the robustness test: Flyway-style files with tables, columns, indexes, constraints,
//! backfills, PL/pgSQL functions, DO blocks, explicit transactions and a known number of
//! statements no parser understands.

use std::fmt::Write as _;
use std::path::Path;

/// A small deterministic generator (xorshift64*): the same seed gives the same corpus on
/// every machine and Rust version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// What was written: the number of files, and how many statements are deliberately
/// unparsable.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CorpusStats {
    pub files: usize,
    pub garbage: usize,
}

const TYPES: &[&str] = &[
    "bigint",
    "integer",
    "text",
    "varchar(255)",
    "timestamptz",
    "boolean",
    "numeric(12,2)",
    "jsonb",
    "uuid",
];
const DEFAULTS: &[&str] = &[
    "",
    " DEFAULT 0",
    " DEFAULT now()",
    " DEFAULT gen_random_uuid()",
    " NOT NULL",
    " NOT NULL DEFAULT false",
    "",
];

/// Writes `folders` Flyway folders of `files_per_folder` files each under `root`.
pub fn write_corpus(
    root: &Path,
    folders: usize,
    files_per_folder: usize,
    seed: u64,
) -> std::io::Result<CorpusStats> {
    let mut rng = Rng(seed | 1);
    let mut stats = CorpusStats::default();
    for folder in 0..folders {
        let dir = root.join(format!("service_{folder:02}/db/migration"));
        std::fs::create_dir_all(&dir)?;
        let mut tables: Vec<String> = Vec::new();
        for version in 1..=files_per_folder {
            let mut sql = String::new();
            let count = 18 + rng.below(9) as usize;
            for _ in 0..count {
                write_statement(&mut sql, &mut rng, &mut tables, &mut stats.garbage);
            }
            let name = format!("V{version}__change_{}.sql", rng.below(100_000));
            std::fs::write(dir.join(name), sql)?;
            stats.files += 1;
        }
    }
    Ok(stats)
}

fn write_statement(sql: &mut String, rng: &mut Rng, tables: &mut Vec<String>, garbage: &mut usize) {
    let table = if tables.is_empty() || rng.below(8) == 0 {
        let t = format!("t_{}", rng.below(1_000_000));
        tables.push(t.clone());
        let _ = writeln!(
            sql,
            "-- {t}: created for feature {}\nCREATE TABLE {t} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    name text NOT NULL,\n    created_at timestamptz NOT NULL DEFAULT now()\n);",
            rng.below(1000)
        );
        return;
    } else {
        tables[rng.below(tables.len() as u64) as usize].clone()
    };
    let col = format!("c_{}", rng.below(10_000));
    match rng.below(14) {
        0 | 1 => {
            let _ = writeln!(
                sql,
                "ALTER TABLE {table} ADD COLUMN {col} {}{};",
                rng.pick(TYPES),
                rng.pick(DEFAULTS)
            );
        }
        2 => {
            let concurrently = if rng.below(2) == 0 {
                "CONCURRENTLY "
            } else {
                ""
            };
            let _ = writeln!(
                sql,
                "CREATE INDEX {concurrently}{table}_{col}_idx ON {table} (name, created_at);"
            );
        }
        3 => {
            let _ = writeln!(sql, "ALTER TABLE {table} ADD CONSTRAINT {table}_{col}_fk FOREIGN KEY (id) REFERENCES {} (id) NOT VALID;", rng.pick(&["users", "accounts", "orgs"]));
        }
        4 => {
            let _ = writeln!(
                sql,
                "UPDATE {table} SET name = lower(name) WHERE id BETWEEN {} AND {};",
                rng.below(1000),
                1000 + rng.below(1000)
            );
        }
        5 => {
            let _ = writeln!(
                sql,
                "CREATE OR REPLACE FUNCTION {table}_touch() RETURNS trigger\nLANGUAGE plpgsql AS $fn$\nBEGIN\n    NEW.created_at := now(); -- keep; in sync\n    RETURN NEW;\nEND;\n$fn$;"
            );
        }
        6 => {
            let _ = writeln!(
                sql,
                "BEGIN;\nALTER TABLE {table} ALTER COLUMN name SET DEFAULT 'x';\nCOMMIT;"
            );
        }
        7 => {
            let _ = writeln!(sql, "ALTER TABLE {table} ADD CONSTRAINT {table}_{col}_check CHECK (length(name) < 500) NOT VALID;\nALTER TABLE {table} VALIDATE CONSTRAINT {table}_{col}_check;");
        }
        8 => {
            let _ = writeln!(
                sql,
                "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = '{table}_name_idx') THEN\n    CREATE INDEX {table}_name_idx ON {table} (name);\n  END IF;\nEND\n$$;"
            );
        }
        9 => {
            let _ = writeln!(
                sql,
                "INSERT INTO {table} (name) VALUES ('it''s {}'), (E'line\\n{}');",
                rng.below(100),
                rng.below(100)
            );
        }
        10 => {
            let _ = writeln!(
                sql,
                "COMMENT ON TABLE {table} IS 'owned by team {}';",
                rng.below(20)
            );
        }
        11 => {
            let _ = writeln!(sql, "ALTER TABLE {table} RENAME COLUMN name TO {col};\nALTER TABLE {table} RENAME COLUMN {col} TO name;");
        }
        12 if rng.below(4) == 0 => {
            *garbage += 1;
            // Not `WITH ...`: squawk 2.66, which the benchmark times beside lockstep, never
            // returns from an unknown statement followed by `WITH`.
            let _ = writeln!(sql, "FROBNICATE TABLE {table} USING EXTREME PREJUDICE;");
        }
        _ => {
            let _ = writeln!(
                sql,
                "SELECT count(*) FROM {table} /* sanity; check */ WHERE name <> '';"
            );
        }
    }
}
