//! A map whose changes can be undone. Rollback code is replayed on the schema its migration
//! left and must leave that schema as it found it; copying the whole catalogue for each down
//! section made a folder of thousands of up/down pairs spend most of its replay copying
//! tables no rollback touched. While a journal is open, the map keeps the value each key had
//! before its first change, so undoing costs only what the rollback changed.
//!
//! The map's mutable access goes only through these methods, so no change escapes the
//! journal.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::Hash;

/// The maps' hasher. The replay looks a table up several times per statement (every rule
/// asks whether its table is new), and std's SipHash was about 3% of a one-folder run's CPU,
/// on the thread every file waits for. foldhash is seeded at random per process, like std's
/// hasher; its authors call it minimally DoS-resistant, unfit only where an attacker can
/// study a long-running process to learn its seed, which a migration cannot do to one run.
type Hasher = foldhash::fast::RandomState;

#[derive(Clone)]
pub(super) struct Journaled<K, V> {
    map: HashMap<K, V, Hasher>,
    /// While a journal is open: every key changed since it opened, with the value it had
    /// then (`None` when it was absent).
    saved: Option<HashMap<K, Option<V>, Hasher>>,
}

impl<K, V> Default for Journaled<K, V> {
    fn default() -> Self {
        Journaled {
            map: HashMap::default(),
            saved: None,
        }
    }
}

/// The entries in key order, so that two maps holding the same entries print alike
/// (a `HashMap`'s order depends on its history).
impl<K: Ord + fmt::Debug, V: fmt::Debug> fmt::Debug for Journaled<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sorted: BTreeMap<&K, &V> = self.map.iter().collect();
        sorted.fmt(f)
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Journaled<K, V> {
    /// The value of `key`, or of a borrowed form of it.
    pub(super) fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key)
    }

    pub(super) fn get_key_value(&self, key: &K) -> Option<(&K, &V)> {
        self.map.get_key_value(key)
    }

    pub(super) fn contains_key<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.map.contains_key(key)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter()
    }

    pub(super) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.save(key);
        self.map.get_mut(key)
    }

    pub(super) fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.save(&key);
        self.map.insert(key, value)
    }

    pub(super) fn remove(&mut self, key: &K) -> Option<V> {
        self.save(key);
        self.map.remove(key)
    }

    /// The value of `key`, inserted from `make` when there is none.
    pub(super) fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        self.save(&key);
        self.map.entry(key).or_insert_with(make)
    }

    /// Starts recording changes for [`Journaled::undo`].
    pub(super) fn open_journal(&mut self) {
        debug_assert!(self.saved.is_none(), "journals do not nest");
        self.saved = Some(HashMap::default());
    }

    /// Puts back every value changed since the journal opened, and closes it.
    pub(super) fn undo(&mut self) {
        for (key, value) in self.saved.take().into_iter().flatten() {
            match value {
                Some(value) => self.map.insert(key, value),
                None => self.map.remove(&key),
            };
        }
    }

    /// Records the value `key` has before its first change in the open journal.
    fn save(&mut self, key: &K) {
        if let Some(saved) = &mut self.saved {
            if !saved.contains_key(key) {
                saved.insert(key.clone(), self.map.get(key).cloned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Journaled;

    #[test]
    fn undo_puts_back_changed_added_and_removed_keys() {
        let mut map: Journaled<&str, u32> = Journaled::default();
        map.insert("kept", 1);
        map.insert("changed", 2);
        map.insert("removed", 3);
        map.open_journal();
        *map.get_mut(&"changed").unwrap() = 20;
        *map.get_mut(&"changed").unwrap() = 21;
        map.remove(&"removed");
        map.insert("added", 4);
        *map.get_or_insert_with("added later", || 5) += 1;
        map.remove(&"added");
        assert_eq!(map.get(&"changed"), Some(&21));
        map.undo();
        let mut entries: Vec<(&str, u32)> = map.iter().map(|(k, v)| (*k, *v)).collect();
        entries.sort();
        assert_eq!(entries, [("changed", 2), ("kept", 1), ("removed", 3)]);
        // Closed: later changes stay.
        map.insert("after", 6);
        map.undo();
        assert_eq!(map.get(&"after"), Some(&6));
    }
}
