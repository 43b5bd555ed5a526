//! The template catalogue: each template name and the channels it has a variant for
//! (`data/templates/catalogue.yaml`). A contact's (channel, template) must have a variant, so
//! strategy validation checks every channel a template can be sent on, and `channel: best`
//! only picks among the template's channels.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use crate::portfolio::Channel;

/// A set of channels, one bit each (cheap to copy and test in the planner's hot path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChannelSet(u8);

impl ChannelSet {
    /// Every channel.
    pub const ALL: ChannelSet = ChannelSet((1 << Channel::ALL.len()) - 1);

    /// The channel's bit: its place in [`Channel::ALL`], which lists the variants in their
    /// declared order (a test in `tests/it/strategy_templates.rs` holds them to it).
    fn bit(channel: Channel) -> u8 {
        1 << (channel as u8)
    }

    pub fn contains(self, channel: Channel) -> bool {
        self.0 & ChannelSet::bit(channel) != 0
    }

    pub fn with(self, channel: Channel) -> ChannelSet {
        ChannelSet(self.0 | ChannelSet::bit(channel))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The channels, in [`Channel::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Channel> {
        Channel::ALL
            .iter()
            .copied()
            .filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Channel> for ChannelSet {
    fn from_iter<I: IntoIterator<Item = Channel>>(iter: I) -> ChannelSet {
        iter.into_iter()
            .fold(ChannelSet::default(), ChannelSet::with)
    }
}

impl fmt::Display for ChannelSet {
    /// `email, sms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(|c| c.as_str()).collect();
        f.write_str(&names.join(", "))
    }
}

/// Template names and the channels each has a variant for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateCatalogue {
    names: BTreeMap<String, ChannelSet>,
    /// Every name exists, on every channel (for tests of other rules).
    open: bool,
}

/// A catalogue file that does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template catalogue: {0}")]
pub struct CatalogueError(String);

impl TemplateCatalogue {
    /// Reads a catalogue file: a mapping from template name to the list of its channels.
    pub fn from_yaml(source: &str) -> Result<TemplateCatalogue, CatalogueError> {
        let raw: BTreeMap<String, Vec<String>> =
            yaml_serde::from_str(source).map_err(|e| CatalogueError(e.to_string()))?;
        let mut names = BTreeMap::new();
        for (name, channels) in raw {
            let mut set = ChannelSet::default();
            for channel in channels {
                let channel: Channel = channel
                    .parse()
                    .map_err(|_| CatalogueError(format!("{name}: unknown channel `{channel}`")))?;
                set = set.with(channel);
            }
            if set.is_empty() {
                return Err(CatalogueError(format!("{name}: no channel")));
            }
            names.insert(name, set);
        }
        Ok(TemplateCatalogue { names, open: false })
    }

    /// The catalogue shipped with recaudo (`data/templates/catalogue.yaml`).
    pub fn builtin() -> &'static TemplateCatalogue {
        static BUILTIN: LazyLock<TemplateCatalogue> = LazyLock::new(|| {
            TemplateCatalogue::from_yaml(include_str!("../../data/templates/catalogue.yaml"))
                .unwrap_or_else(|e| panic!("the shipped catalogue reads (a test checks it): {e}"))
        });
        &BUILTIN
    }

    /// A catalogue in which every name exists on every channel: for checking a strategy's
    /// other rules alone.
    pub fn open() -> &'static TemplateCatalogue {
        static OPEN: TemplateCatalogue = TemplateCatalogue {
            names: BTreeMap::new(),
            open: true,
        };
        &OPEN
    }

    /// The channels `name` has a variant for, or `None` for an unknown name.
    pub fn channels(&self, name: &str) -> Option<ChannelSet> {
        if self.open {
            return Some(ChannelSet::ALL);
        }
        self.names.get(name).copied()
    }

    /// Every name, with its channels.
    pub fn iter(&self) -> impl Iterator<Item = (&str, ChannelSet)> {
        self.names.iter().map(|(n, c)| (n.as_str(), *c))
    }
}
