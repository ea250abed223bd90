//! A `--since` run reads every earlier file of a set for the schema it leaves, but parses
//! only the statements the reported files can see (see [`crate::replay_slice`]).

use super::{read_text, Input, Loaded, LoadedFile, Unreadable};
use crate::config::Settings;
use crate::dialect::{Dialect, Target};
use crate::discover::MigrationSet;
use crate::layout::{self, Direction};
use crate::parse::{parse_split, Reader};
use crate::replay_slice::{written, Readers, Unsliceable, Written};
use crate::split::{split, RawKind, Split};
use rayon::prelude::*;

/// Whether the set's replay-only files are sliced: a `--since` run on PostgreSQL whose
/// report carries no plan files (a plan reads more of the schema than its statement
/// names), with files both reported and replayed only.
pub(super) fn applies(set: &MigrationSet, target: Target, settings: &Settings) -> bool {
    settings.since.is_some()
        && !settings.replay_every_statement
        && target.dialect == Dialect::Postgres
        && !settings.plan_files
        && set.files.iter().any(|f| f.report)
        && set.files.iter().any(|f| !f.report)
}

/// A file of the set, read.
enum ReadFile {
    /// Replayed only: split, for the slice to decide what of it to parse.
    Replayed(Unparsed),
    /// Reported: parsed whole, as usual.
    Reported(String),
    Unreadable(Unreadable),
}

/// A replay-only file read and split, before the slice decides what of it to parse.
struct Unparsed {
    text: String,
    lossy: bool,
    split: Split,
    /// For each piece of `split`: what it writes when the replay applies it (an SQL
    /// statement in a forward section), `None` when it does not.
    written: Vec<Option<Written>>,
}

/// Reads every file of `set` (`texts`: what discovery read), and parses the replay-only
/// ones, leaving out what no reported file can see; the reported files are left to the
/// usual parse.
pub(super) fn load(
    set: &MigrationSet,
    texts: Vec<Option<String>>,
    max_file_size: u64,
) -> Vec<Input> {
    let read: Vec<Result<(String, bool), Unreadable>> = set
        .files
        .par_iter()
        .zip(texts)
        .map(|(file, text)| read_text(&file.path, text, max_file_size))
        .collect();
    let reported = set
        .files
        .iter()
        .zip(&read)
        .filter(|(file, _)| file.report)
        .filter_map(|(_, read)| read.as_ref().ok().map(|(text, _)| text.as_str()));
    let readers = Readers::of_reported(reported);
    let sliced = readers.is_ok();
    let mut files: Vec<ReadFile> = set
        .files
        .par_iter()
        .zip(read)
        .map(|(file, read)| match read {
            Ok((text, lossy)) if !file.report => {
                let split = split(&text, Dialect::Postgres);
                let sections = layout::sections(&text, file);
                let written = split
                    .statements
                    .iter()
                    .map(|raw| {
                        let applied = raw.kind == RawKind::Sql
                            && sections.iter().any(|section| {
                                section.direction == Direction::Up && section.holds(raw.span)
                            });
                        // Without a slice, every applied statement is parsed: no need to
                        // read what it writes.
                        applied.then(|| {
                            if sliced {
                                written(raw.span.text(&text))
                            } else {
                                Written::Unknown
                            }
                        })
                    })
                    .collect();
                ReadFile::Replayed(Unparsed {
                    text,
                    lossy,
                    split,
                    written,
                })
            }
            Ok((text, _)) => ReadFile::Reported(text),
            Err(unreadable) => ReadFile::Unreadable(unreadable),
        })
        .collect();
    // Without a slice, every statement the replay applies is parsed.
    let keep = readers
        .and_then(|readers| slice(readers, &files))
        .unwrap_or_else(|Unsliceable| {
            files
                .iter()
                .map(|file| match file {
                    ReadFile::Replayed(file) => file.written.iter().map(Option::is_some).collect(),
                    _ => Vec::new(),
                })
                .collect()
        });
    files
        .par_drain(..)
        .enumerate()
        .map(|(index, file)| match file {
            ReadFile::Replayed(file) => {
                let parsed = parse_split(
                    &file.text,
                    file.split,
                    Dialect::Postgres,
                    Reader::Replay,
                    Some(&keep[index]),
                );
                Input::Loaded(Loaded::File(LoadedFile {
                    text: file.text,
                    parsed,
                    lossy: file.lossy,
                }))
            }
            ReadFile::Reported(text) => Input::Unread(Some(text)),
            ReadFile::Unreadable(unreadable) => Input::Loaded(unreadable.into()),
        })
        .collect()
}

/// For each file, which of its pieces to parse: the backward walk over every applied
/// statement of the replay-only files.
fn slice(mut readers: Readers, files: &[ReadFile]) -> Result<Vec<Vec<bool>>, Unsliceable> {
    let mut keep: Vec<Vec<bool>> = files
        .iter()
        .map(|file| match file {
            ReadFile::Replayed(file) => vec![false; file.written.len()],
            _ => Vec::new(),
        })
        .collect();
    for (file, keep) in files.iter().zip(&mut keep).rev() {
        let ReadFile::Replayed(file) = file else {
            continue;
        };
        for (index, raw) in file.split.statements.iter().enumerate().rev() {
            if let Some(written) = &file.written[index] {
                keep[index] = readers.keep(raw.span.text(&file.text), written)?;
            }
        }
    }
    Ok(keep)
}
