//! `lockstep init`: finds a project's migration folders, tells their dialect from the SQL,
//! and writes a commented `lockstep.toml` (never over an existing one without `--force`).

use crate::cli::ExitStatus;
use crate::config::FILE_NAME;
use crate::dialect::Dialect;
use crate::discover::{discover, DiscoverRequest, MigrationSet};
use crate::write_file::write_atomically;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The project folder to search; the file is written there.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Write this dialect instead of the one the SQL suggests.
    #[arg(long, value_enum)]
    pub dialect: Option<Dialect>,
    /// Replace an existing `lockstep.toml`.
    #[arg(long)]
    pub force: bool,
}

/// Words that only one of the two dialects writes in DDL, upper-cased.
const POSTGRES_MARKERS: &[&str] = &[
    "CONCURRENTLY",
    "BIGSERIAL",
    "SERIAL",
    "TIMESTAMPTZ",
    "JSONB",
    "CREATE EXTENSION",
    "::",
    "$$",
    "NOT VALID",
];
const MYSQL_MARKERS: &[&str] = &[
    "ENGINE=",
    "ENGINE =",
    "AUTO_INCREMENT",
    "UNSIGNED",
    "TINYINT",
    "ALGORITHM=",
    "`",
    "DEFAULT CHARSET",
];

/// Where editors find the file's JSON Schema (`lockstep config-schema`, committed there).
const SCHEMA_URL: &str =
    "https://raw.githubusercontent.com/lockstep-sql/lockstep/main/docs/lockstep.schema.json";

/// The files read to guess the dialect: enough to decide, few enough to stay quick on a
/// project with thousands of migrations.
const SAMPLED_FILES: usize = 200;

/// One migration folder found, relative to the project folder.
struct Folder {
    path: PathBuf,
    layout: &'static str,
    files: usize,
}

/// How many sampled files read like each dialect.
#[derive(Default, Debug, PartialEq, Eq)]
struct DialectVotes {
    postgres: usize,
    mysql: usize,
}

impl DialectVotes {
    fn count(&mut self, sql: &str) {
        let upper = sql.to_ascii_uppercase();
        let hits = |markers: &[&str]| markers.iter().filter(|m| upper.contains(**m)).count();
        match hits(POSTGRES_MARKERS).cmp(&hits(MYSQL_MARKERS)) {
            std::cmp::Ordering::Greater => self.postgres += 1,
            std::cmp::Ordering::Less => self.mysql += 1,
            std::cmp::Ordering::Equal => {}
        }
    }

    /// MySQL only when more files read like MySQL: PostgreSQL is lockstep's default.
    fn winner(&self) -> Dialect {
        if self.mysql > self.postgres {
            Dialect::Mysql
        } else {
            Dialect::Postgres
        }
    }
}

pub fn run(args: &InitArgs) -> Result<ExitStatus, String> {
    if !args.dir.is_dir() {
        return Err(format!("{}: not a folder", args.dir.display()));
    }
    let sets = discover(&DiscoverRequest {
        paths: vec![args.dir.clone()],
        ..DiscoverRequest::default()
    })
    .sets;
    let folders = folders(&args.dir, &sets);
    let mut votes = DialectVotes::default();
    let sampled = sets.iter().flat_map(|set| &set.files).take(SAMPLED_FILES);
    for file in sampled {
        if let Ok(bytes) = crate::input::read_file(&file.path, crate::input::DEFAULT_MAX_FILE_SIZE)
        {
            votes.count(&String::from_utf8_lossy(&bytes));
        }
    }
    let text = render(&folders, &votes, args.dialect);
    let path = args.dir.join(FILE_NAME);
    write_atomically(&path, text.as_bytes(), args.force)?;
    let dialect = args.dialect.unwrap_or_else(|| votes.winner());
    eprintln!(
        "lockstep: wrote {} (dialect {dialect}, migration folders: {}); `lockstep check` lints them",
        crate::diagnostic::printable(&path.display().to_string()),
        folders.len()
    );
    Ok(ExitStatus::Clean)
}

/// Each set's folder relative to `dir`, once, in discovery order.
fn folders(dir: &Path, sets: &[MigrationSet]) -> Vec<Folder> {
    let base = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut folders: Vec<Folder> = Vec::new();
    for set in sets {
        let root = std::fs::canonicalize(&set.root).unwrap_or_else(|_| set.root.clone());
        let relative = match root.strip_prefix(&base) {
            Ok(r) if r.as_os_str().is_empty() => PathBuf::from("."),
            Ok(r) => r.to_path_buf(),
            Err(_) => continue,
        };
        match folders.iter_mut().find(|f| f.path == relative) {
            Some(folder) => folder.files += set.files.len(),
            None => folders.push(Folder {
                path: relative,
                layout: set.layout.name(),
                files: set.files.len(),
            }),
        }
    }
    folders
}

/// A one-line TOML basic string: a folder name is written escaped, whatever characters it
/// has, so it can neither end the string nor the comment line it is shown in.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out += &format!("\\u{:04X}", c as u32),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render(folders: &[Folder], votes: &DialectVotes, chosen: Option<Dialect>) -> String {
    let dialect = chosen.unwrap_or_else(|| votes.winner());
    let why = match chosen {
        Some(_) => "given with --dialect".to_string(),
        None => format!(
            "migrations reading like PostgreSQL: {}, like MySQL: {}",
            votes.postgres, votes.mysql
        ),
    };
    // `#:schema` on the first line lets TOML editors (taplo) complete and check the keys.
    let mut out = format!(
        "#:schema {SCHEMA_URL}\n\
         # lockstep.toml, written by `lockstep init`. Every key is optional; the command line\n\
         # wins over this file. The README's \"Configuration\" section lists every key.\n\n"
    );
    out += &format!("# The server the migrations run on ({why}).\n");
    out += &format!("dialect = \"{dialect}\"\n");
    out += &format!(
        "# target_version = \"{}\"   # the version in production (mysql: 5.7, 8.0.N, 8.4, 9.N)\n\n",
        dialect.default_version()
    );
    if folders.is_empty() {
        out += "# No migration folder was found; name yours (relative to this file):\n";
        out += "# paths = [\"db/migrations\"]\n";
    } else {
        out +=
            "# The folders `lockstep check` lints when given no paths (relative to this file):\n";
        for folder in folders {
            out += &format!(
                "#   {}: {}, {} files\n",
                toml_string(&folder.path.to_string_lossy()),
                folder.layout,
                folder.files
            );
        }
        let paths: Vec<String> = folders
            .iter()
            .map(|f| toml_string(&f.path.to_string_lossy()))
            .collect();
        out += &match paths.as_slice() {
            [one] => format!("paths = [{one}]\n"),
            many => format!("paths = [\n    {},\n]\n", many.join(",\n    ")),
        };
    }
    out += "\
# include = [\"**/*.sql\"]
# exclude = [\"**/seed/**\"]

# fail_on = \"error\"       # the lowest severity that fails the run: error | warning | note | never
# change_set = \"file\"     # \"folder\" when all files of a folder deploy together
# rollbacks = \"relaxed\"   # down files: \"relaxed\", \"lint\" (like a deploy) or \"skip\"

# [rules]                 # a rule or group id = \"error\" | \"warning\" | \"note\" | \"off\" | \"on\"
# style = \"on\"

# [session]               # what the migration runner sets for every session
# lock_timeout = \"2s\"
";
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Options;

    #[test]
    fn the_written_file_is_a_valid_config_naming_the_folders() {
        let folders = [
            Folder {
                path: PathBuf::from("db/\"odd\"\nname"),
                layout: "flyway",
                files: 3,
            },
            Folder {
                path: PathBuf::from("db/mysql"),
                layout: "golang-migrate",
                files: 1,
            },
        ];
        let votes = DialectVotes {
            postgres: 0,
            mysql: 2,
        };
        let text = render(&folders, &votes, None);
        let options = Options::parse(&text, Path::new(FILE_NAME)).unwrap();
        assert_eq!(options.dialect, Some(Dialect::Mysql));
        assert_eq!(
            options.paths,
            Some(vec![
                PathBuf::from("db/\"odd\"\nname"),
                PathBuf::from("db/mysql")
            ])
        );
    }

    #[test]
    fn without_folders_the_paths_key_is_left_commented() {
        let text = render(&[], &DialectVotes::default(), Some(Dialect::Postgres));
        let options = Options::parse(&text, Path::new(FILE_NAME)).unwrap();
        assert_eq!(options.paths, None);
        assert_eq!(options.dialect, Some(Dialect::Postgres));
    }

    #[test]
    fn the_sql_decides_the_dialect() {
        let mut votes = DialectVotes::default();
        votes.count("CREATE TABLE t (id INT UNSIGNED AUTO_INCREMENT) ENGINE=InnoDB;");
        assert_eq!(votes.winner(), Dialect::Mysql);
        votes.count("CREATE INDEX CONCURRENTLY i ON t (a);");
        votes.count("ALTER TABLE t ADD COLUMN b jsonb;");
        assert_eq!(votes.winner(), Dialect::Postgres);
    }
}
