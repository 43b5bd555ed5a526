//! Line and column of a node of a YAML document, given its path.
//!
//! `yaml_serde` 0.10 has no spanned values: the only positions it exposes are those of its errors
//! ([`yaml_serde::Error::location`]). Every error raised while a node is deserialized is stamped with
//! the position where that node starts. So to find where `steps[3].wait_for.otherwise` was written,
//! [`locate`] deserializes the document once more with a seed that walks down that path, skipping
//! every other node, and fails on purpose at the node it looks for: the error's location is the
//! node's. If the path leads nowhere (a key that is absent), the failure happens at the deepest node
//! that exists, which is the best place left to point at. This runs only for errors, so a valid
//! file is parsed once.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path into a YAML document, displayed `steps[3].wait_for.otherwise`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YamlPath(pub Vec<Seg>);

impl YamlPath {
    /// The path with a key appended.
    pub fn key(&self, key: &str) -> YamlPath {
        let mut segments = self.0.clone();
        segments.push(Seg::Key(key.to_string()));
        YamlPath(segments)
    }

    /// The path with an index appended.
    pub fn index(&self, index: usize) -> YamlPath {
        let mut segments = self.0.clone();
        segments.push(Seg::Index(index));
        YamlPath(segments)
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str(".");
        }
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Seg::Key(key) if position == 0 => f.write_str(key)?,
                Seg::Key(key) => write!(f, ".{key}")?,
                Seg::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The 1-based line and column where the node at `path` starts in `source` (or the deepest existing
/// node on the way), if the document parses at all.
pub fn locate(source: &str, path: &YamlPath) -> Option<(usize, usize)> {
    let de = yaml_serde::Deserializer::from_str(source);
    match (Probe { path: &path.0 }).deserialize(de) {
        Ok(()) => None,
        Err(error) => error.location().map(|l| (l.line(), l.column())),
    }
}

struct Probe<'p> {
    path: &'p [Seg],
}

impl<'de> DeserializeSeed<'de> for Probe<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.path.split_first() {
            // Found: refuse whatever is there; the error carries the node's position.
            None => deserializer.deserialize_any(Refuse),
            Some((Seg::Key(key), rest)) => deserializer.deserialize_map(KeyStep { key, rest }),
            Some((Seg::Index(index), rest)) => deserializer.deserialize_seq(IndexStep {
                index: *index,
                rest,
            }),
        }
    }
}

/// A visitor that accepts nothing: every `visit_*` keeps serde's default, an error.
struct Refuse;

impl Visitor<'_> for Refuse {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("nothing (position probe)")
    }
}

struct KeyStep<'p> {
    key: &'p str,
    rest: &'p [Seg],
}

impl<'de> Visitor<'de> for KeyStep<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<yaml_serde::Value>()? {
            if key.as_str() == Some(self.key) {
                return map.next_value_seed(Probe { path: self.rest });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Err(de::Error::custom("key not found"))
    }
}

struct IndexStep<'p> {
    index: usize,
    rest: &'p [Seg],
}

impl<'de> Visitor<'de> for IndexStep<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for _ in 0..self.index {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(de::Error::custom("index not found"));
            }
        }
        seq.next_element_seed(Probe { path: self.rest })?;
        Err(de::Error::custom("index not found"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(segs: &[Seg]) -> YamlPath {
        YamlPath(segs.to_vec())
    }

    #[test]
    fn finds_block_and_flow_nodes() {
        let src =
            "id: x\nsteps:\n  - { id: a, at: due-5d }\n  - id: b\n    send:\n      channel: sms\n";
        let k = |s: &str| Seg::Key(s.to_string());
        assert_eq!(locate(src, &p(&[k("id")])), Some((1, 5)));
        assert_eq!(
            locate(src, &p(&[k("steps"), Seg::Index(0), k("at")])),
            Some((3, 18))
        );
        assert_eq!(
            locate(
                src,
                &p(&[k("steps"), Seg::Index(1), k("send"), k("channel")])
            ),
            Some((6, 16))
        );
        // An absent key points at the mapping that lacks it.
        assert_eq!(
            locate(src, &p(&[k("steps"), Seg::Index(1), k("task")])),
            Some((4, 5))
        );
        assert_eq!(
            p(&[k("steps"), Seg::Index(1), k("send")]).to_string(),
            "steps[1].send"
        );
    }
}
