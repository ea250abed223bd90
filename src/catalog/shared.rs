//! One copy of each value that many columns hold alike: their types (`bigint`, `text`,
//! `varchar(255)`) and defaults (`now()`, `false`). A long folder leaves tens of thousands
//! of columns, and a type took more than a third of a column's room, with two strings of
//! its own on top; shared, it is one pointer.

use std::collections::HashSet;
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

#[derive(Clone)]
pub(super) struct Shared<T> {
    values: HashSet<Arc<T>, foldhash::fast::RandomState>,
}

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Shared {
            values: HashSet::default(),
        }
    }
}

impl<T: Eq + Hash + Clone> Shared<T> {
    /// The shared copy of `value`, made on first use.
    pub(super) fn get(&mut self, value: &T) -> Arc<T> {
        if let Some(shared) = self.values.get(value) {
            return Arc::clone(shared);
        }
        let shared = Arc::new(value.clone());
        self.values.insert(Arc::clone(&shared));
        shared
    }
}

/// Prints nothing of the values: the columns print their own, and a value a rollback's
/// replay shared stays here after the rollback is undone, so printing the set would tell
/// apart two catalogues that hold the same schema.
impl<T> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Shared")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_share_one_copy_and_different_ones_do_not() {
        let mut shared = Shared::default();
        let text = shared.get(&String::from("text"));
        let again = shared.get(&String::from("text"));
        let bigint = shared.get(&String::from("bigint"));
        assert!(Arc::ptr_eq(&text, &again));
        assert!(!Arc::ptr_eq(&text, &bigint));
        assert_eq!((text.as_str(), bigint.as_str()), ("text", "bigint"));
    }
}
