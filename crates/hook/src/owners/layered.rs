//! A set of logins kept in layers (Prow's `layeredsets.String`): layer 0 holds the people
//! closest to a file, higher layers the people of parent directories. A login belongs to the
//! first layer it was inserted into.

use std::collections::{BTreeMap, BTreeSet};

/// Logins by layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayeredLogins {
    layers: BTreeMap<usize, BTreeSet<String>>,
}

impl LayeredLogins {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `logins` to `layer`, skipping those already present in any layer.
    pub fn insert<I, S>(&mut self, layer: usize, logins: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for login in logins {
            let login = login.into();
            if !self.contains(&login) {
                self.layers.entry(layer).or_default().insert(login);
            }
        }
    }

    /// Whether `login` is in any layer.
    pub fn contains(&self, login: &str) -> bool {
        self.layers.values().any(|layer| layer.contains(login))
    }

    /// Number of logins.
    pub fn len(&self) -> usize {
        self.layers.values().map(BTreeSet::len).sum()
    }

    /// Whether there is no login.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every login, without layers.
    pub fn set(&self) -> BTreeSet<String> {
        self.layers.values().flatten().cloned().collect()
    }

    /// Logins ordered by layer, then alphabetically.
    pub fn list(&self) -> Vec<String> {
        self.layers.values().flatten().cloned().collect()
    }

    /// This set without the logins in `other` (layers kept).
    pub fn difference(&self, other: &BTreeSet<String>) -> Self {
        let mut out = Self::new();
        for (layer, logins) in &self.layers {
            out.insert(
                *layer,
                logins.iter().filter(|l| !other.contains(*l)).cloned(),
            );
        }
        out
    }

    /// Removes and returns a login of the lowest non-empty layer, chosen by `pick` (an index
    /// below the layer's size); `None` when empty.
    pub fn pop_from_lowest(&mut self, pick: impl FnOnce(usize) -> usize) -> Option<String> {
        let (&layer, logins) = self.layers.iter().find(|(_, l)| !l.is_empty())?;
        let index = pick(logins.len()).min(logins.len() - 1);
        let login = logins.iter().nth(index).cloned()?;
        if let Some(set) = self.layers.get_mut(&layer) {
            set.remove(&login);
        }
        Some(login)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_layer_wins_and_pops_lowest_first() {
        let mut set = LayeredLogins::new();
        set.insert(1, ["root", "shared"]);
        set.insert(0, ["leaf", "shared"]);
        assert_eq!(set.list(), ["leaf", "root", "shared"]);
        assert_eq!(set.len(), 3);
        let mut pops = Vec::new();
        while let Some(login) = set.pop_from_lowest(|n| n - 1) {
            pops.push(login);
        }
        assert_eq!(pops, ["leaf", "shared", "root"]);
        assert!(set.is_empty());
    }
}
