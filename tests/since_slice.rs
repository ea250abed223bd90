//! A `--since` run parses only the replayed statements the reported files can see
//! (`replay_slice`). Its report must be the report of the run that parses them all: every
//! test here runs both and compares the text and JSON reports byte for byte, on generated folders whose new
//! files rename, drop, index, reference and alter what earlier files made, and on every
//! folder of the bundled fixtures.

#[path = "../bench/corpus.rs"]
mod corpus;

use lockstep::config::Settings;
use lockstep::dialect::Dialect;
use lockstep::engine::check;
use lockstep::git::ChangeScope;
use lockstep::report::{print, Format, PrintOptions};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Both runs' JSON reports for `dir`, the files `added` being the change.
fn both_reports(dir: &Path, added: &[PathBuf]) -> (String, String) {
    let run = |every: bool| {
        let mut settings = Settings::new(Dialect::Postgres);
        settings.paths = vec![dir.to_path_buf()];
        settings.since = Some(ChangeScope {
            base: "base".into(),
            added: added
                .iter()
                .map(|p| std::fs::canonicalize(p).unwrap())
                .collect(),
            edited: HashSet::new(),
        });
        settings.replay_every_statement = every;
        let report = check(&settings);
        // The text report shows which findings have a plan, which JSON does not carry.
        let mut out = Vec::new();
        for format in [Format::Text, Format::Json] {
            print(format, &report, &mut out, PrintOptions::default()).unwrap();
        }
        String::from_utf8(out).unwrap()
    };
    (run(false), run(true))
}

fn assert_same(dir: &Path, added: &[PathBuf], what: &str) {
    let (sliced, every) = both_reports(dir, added);
    assert!(
        sliced == every,
        "{what}: the sliced --since report differs from the full replay's\nsliced: {sliced}\nevery:  {every}"
    );
}

/// xorshift64*, as the corpus uses: the same seed gives the same files everywhere.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &'a [String]) -> &'a str {
        &items[self.below(items.len())]
    }
}

/// The names the corpus files under `dir` gave to tables, indexes and constraints, and those
/// the generated files gave or pointed foreign keys at since.
#[derive(Default)]
struct Names {
    tables: Vec<String>,
    indexes: Vec<String>,
    constraints: Vec<String>,
    /// Tables renamed, referenced by a foreign key, or referenced by the corpus's keys:
    /// what the new files mostly alter, since that is where a slice could go wrong.
    reached: Vec<String>,
}

fn corpus_names(dir: &Path) -> Names {
    let mut names = Names::default();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            for pair in words.windows(2) {
                let list = match pair[0] {
                    "TABLE" if pair[1].starts_with("t_") => &mut names.tables,
                    "CONSTRAINT" => &mut names.constraints,
                    "CONCURRENTLY" | "INDEX" if pair[1].ends_with("_idx") => &mut names.indexes,
                    _ => continue,
                };
                list.push(pair[1].to_string());
            }
        }
    }
    for list in [
        &mut names.tables,
        &mut names.indexes,
        &mut names.constraints,
    ] {
        list.sort();
        list.dedup();
    }
    names.reached = HUBS.iter().map(|h| h.to_string()).collect();
    names
}

/// The tables the corpus's foreign keys reference; a first file creates them.
const HUBS: [&str; 3] = ["users", "accounts", "orgs"];

/// One statement that reaches into what earlier files made; `n` makes its new names unique.
fn reaching_statement(rng: &mut Rng, names: &mut Names, n: usize) -> String {
    let t = if rng.below(2) == 0 {
        rng.pick(&names.reached).to_string()
    } else {
        rng.pick(&names.tables).to_string()
    };
    let u = rng.pick(&names.tables).to_string();
    let i = rng.pick(&names.indexes).to_string();
    let c = rng.pick(&names.constraints).to_string();
    match rng.below(30) {
        0 => format!("ALTER TABLE {t} ADD COLUMN added_{n} bigint NOT NULL DEFAULT 0;"),
        1 => format!("ALTER TABLE {t} DROP COLUMN name;"),
        2 => format!("ALTER TABLE {t} ALTER COLUMN created_at TYPE timestamp;"),
        3 => format!("ALTER TABLE {t} RENAME COLUMN name TO title_{n};"),
        4 => {
            // A new name that shares no prefix with the old one.
            names.reached.push(format!("moved_{n}"));
            format!("ALTER TABLE {t} RENAME TO moved_{n};")
        }
        5 => format!("DROP TABLE {t};"),
        6 => format!("CREATE INDEX {t}_n{n}_idx ON {t} (name);"),
        7 => format!("DROP INDEX {i};"),
        8 => format!("ALTER INDEX {i} RENAME TO renamed_{n}_idx;"),
        9 => {
            names.reached.push(u.clone());
            format!(
                "ALTER TABLE {t} ADD CONSTRAINT {t}_r{n}_fk FOREIGN KEY (id) REFERENCES {u} (id);"
            )
        }
        10 => format!("ALTER TABLE {t} DROP CONSTRAINT {c};"),
        11 => format!("ALTER TABLE {t} DROP CONSTRAINT {t}_pkey;"),
        12 => format!("ALTER TABLE {t} VALIDATE CONSTRAINT {c};"),
        13 => format!("CREATE VIEW v_{n} AS SELECT id, name FROM {t};"),
        14 => format!("ALTER TABLE {t} ALTER COLUMN name SET NOT NULL;"),
        15 => format!("UPDATE {t} SET name = created_at::text;"),
        16 => format!("INSERT INTO {u} SELECT * FROM {t};"),
        17 => format!("DROP FUNCTION {t}_touch();"),
        18 | 19 => format!("ALTER TABLE {t} ALTER COLUMN id TYPE int;"),
        20 => format!("ALTER TABLE {t} DROP COLUMN id;"),
        21 => format!("ALTER TABLE {t} ADD PRIMARY KEY (id);"),
        22 => format!("CREATE UNIQUE INDEX CONCURRENTLY {t}_u{n}_idx ON {t} (id);"),
        23 => format!("DO $$\nBEGIN\n  ALTER TABLE {t} ADD COLUMN d_{n} text;\nEND\n$$;"),
        24 => {
            names.reached.push(u.clone());
            format!("ALTER TABLE {t} ADD COLUMN ref_{n} bigint REFERENCES {u} (id);")
        }
        25 => format!("ALTER TABLE {t} RENAME COLUMN id TO key_{n};"),
        26 => format!("DROP INDEX {t}_pkey;"),
        27 => format!("ALTER TABLE {t} ADD CONSTRAINT {t}_k{n} UNIQUE (name);"),
        28 => format!("ALTER TABLE {t} ALTER COLUMN name DROP NOT NULL;"),
        _ => format!("CREATE TABLE {t} (id bigint PRIMARY KEY, name text);"),
    }
}

fn write_reaching_file(path: &Path, rng: &mut Rng, names: &mut Names) {
    let mut sql = String::new();
    for n in 0..6 {
        let unique = rng.below(1000) * 10 + n;
        let _ = writeln!(sql, "{}", reaching_statement(rng, names, unique));
    }
    std::fs::write(path, sql).unwrap();
}

/// A corpus folder of `files` files with, every few files, a committed file that renames,
/// drops and indexes earlier tables, and then `added` new files of the same kind.
fn generated_folder(root: &Path, seed: u64, files: usize, added: usize) -> (PathBuf, Vec<PathBuf>) {
    corpus::write_corpus(root, 1, files, seed).unwrap();
    let dir = root.join("service_00/db/migration");
    let mut names = corpus_names(&dir);
    let hubs: String = HUBS
        .iter()
        .map(|h| format!("CREATE TABLE {h} (id bigint PRIMARY KEY, name text);\n"))
        .collect();
    std::fs::write(dir.join("V0_5__hubs.sql"), hubs).unwrap();
    let mut rng = Rng(seed | 1);
    // Flyway versions are integers: the corpus uses 1..=files, these go between them.
    for version in (7..files).step_by(7) {
        let path = dir.join(format!("V{version}_5__reach.sql"));
        write_reaching_file(&path, &mut rng, &mut names);
    }
    let new: Vec<PathBuf> = (0..added)
        .map(|k| {
            let path = dir.join(format!("V{}__pull_request.sql", files + 1 + k));
            write_reaching_file(&path, &mut rng, &mut names);
            path
        })
        .collect();
    (dir, new)
}

#[test]
fn generated_folders_report_alike_sliced_or_not() {
    for seed in 1..=24u64 {
        let root = tempfile::tempdir().unwrap();
        let (dir, added) = generated_folder(root.path(), seed * 7919, 60, 1 + seed as usize % 3);
        assert_same(&dir, &added, &format!("seed {seed}"));
    }
}

/// Handwritten folders, each the smallest case of one way an earlier statement reaches the
/// change: its last file is the change.
#[test]
fn handwritten_reaches_report_alike_sliced_or_not() {
    let cases: &[(&str, &[&str])] = &[
        (
            "a key referencing the table whose column type changes",
            &[
                "CREATE TABLE users (id bigint PRIMARY KEY, name text);",
                "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);",
                "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
                "ALTER TABLE users ALTER COLUMN id TYPE int;",
            ],
        ),
        (
            "a key referencing the column dropped, which refuses its plan",
            &[
                "CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE);",
                "CREATE TABLE orders (id bigint PRIMARY KEY, email text);",
                "ALTER TABLE orders ADD CONSTRAINT orders_email_fk FOREIGN KEY (email) REFERENCES users (email);",
                "ALTER TABLE users DROP COLUMN email;",
            ],
        ),
        (
            "a table known by its new name",
            &[
                "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);",
                "ALTER TABLE users RENAME TO people;",
                "ALTER TABLE people ALTER COLUMN name DROP NOT NULL;",
            ],
        ),
        (
            "a type a column still uses",
            &[
                "CREATE TYPE mood AS ENUM ('calm', 'angry');",
                "CREATE TABLE people (id int, feeling mood);",
                "DROP TYPE mood;",
            ],
        ),
        (
            "a schema whose tables a rename lists",
            &[
                "CREATE SCHEMA billing;",
                "CREATE TABLE billing.invoices (id int);",
                "ALTER SCHEMA billing RENAME TO finance;",
            ],
        ),
        (
            "an index named after its table",
            &[
                "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);",
                "CREATE INDEX users_name_idx ON users (name);",
                "DROP INDEX users_name_idx;",
            ],
        ),
    ];
    for (what, files) in cases {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("db");
        std::fs::create_dir_all(&dir).unwrap();
        for (k, sql) in files.iter().enumerate() {
            std::fs::write(
                dir.join(format!("V{}__step.sql", k + 1)),
                format!("{sql}\n"),
            )
            .unwrap();
        }
        let last = dir.join(format!("V{}__step.sql", files.len()));
        assert_same(&dir, &[last], what);
    }
}

/// Every folder of the bundled fixtures, with its last file, and then its last two, as
/// the change.
#[test]
fn every_fixture_folder_reports_alike_sliced_or_not() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut compared = 0;
    for entry in walkdir::WalkDir::new(&root) {
        let entry = entry.unwrap();
        if !entry.file_type().is_dir() {
            continue;
        }
        let mut settings = Settings::new(Dialect::Postgres);
        settings.paths = vec![entry.path().to_path_buf()];
        let files: Vec<PathBuf> = check(&settings)
            .files
            .iter()
            .map(|f| PathBuf::from(&f.path))
            .filter(|p| p.is_file())
            .collect();
        for last in 1..=2 {
            if files.len() <= last {
                continue;
            }
            let added = &files[files.len() - last..];
            assert_same(entry.path(), added, &entry.path().display().to_string());
            compared += 1;
        }
    }
    assert!(compared > 20, "only {compared} fixture folders compared");
}
