//! Building blocks with a config: what `#[equivariant]` generates for every
//! network, so networks nest (an interaction block inside a potential).

use crate::param::Parameters;
use crate::rng::Rng;
use std::fmt::Debug;

/// A network or sub-network that can be built from its config.
pub trait Layer: Parameters + Sized {
    /// Its sizes and settings (runtime choices with declared defaults).
    type Config: Clone + Debug + Default + PartialEq;
    /// Builds it with weights drawn from `rng`.
    fn init(config: &Self::Config, rng: &mut Rng) -> Self;
    /// A readable multi-line description: layers, irreps, parameter counts.
    fn describe(&self) -> String;

    /// Makes the config entries this sub-network shares by name with its
    /// parent (`channels`, `vectors`, ...) follow the parent's `entries`:
    /// an entry left at its declared default takes the parent's value, an
    /// entry set to the parent's value stays, and an entry set to a third
    /// value is a mismatch (the `Err` names both). `#[equivariant]`
    /// generates it and calls it for every sub-network when the parent is
    /// built, so `NetConfig { channels: 32, ..Default::default() }` builds
    /// blocks of 32 channels. The default implementation shares nothing.
    ///
    /// # Errors
    /// A readable mismatch message.
    fn follow_parent(
        config: &mut Self::Config,
        parent: &str,
        entries: &[(&str, ConfigValue)],
    ) -> Result<(), String> {
        let _ = (config, parent, entries);
        Ok(())
    }
}

/// A config entry's value, for [`Layer::follow_parent`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConfigValue {
    /// A size.
    Usize(usize),
    /// A real number.
    F64(f64),
    /// A switch.
    Bool(bool),
}

/// The value types of config entries.
pub trait ConfigEntry: Copy + PartialEq + Debug {
    /// As a [`ConfigValue`].
    fn to_value(self) -> ConfigValue;
    /// From a [`ConfigValue`] of the same type.
    fn from_value(v: ConfigValue) -> Option<Self>;
}
impl ConfigEntry for usize {
    fn to_value(self) -> ConfigValue {
        ConfigValue::Usize(self)
    }
    fn from_value(v: ConfigValue) -> Option<Self> {
        match v {
            ConfigValue::Usize(x) => Some(x),
            _ => None,
        }
    }
}
impl ConfigEntry for f64 {
    fn to_value(self) -> ConfigValue {
        ConfigValue::F64(self)
    }
    fn from_value(v: ConfigValue) -> Option<Self> {
        match v {
            ConfigValue::F64(x) => Some(x),
            ConfigValue::Usize(x) => Some(x as f64),
            ConfigValue::Bool(_) => None,
        }
    }
}
impl ConfigEntry for bool {
    fn to_value(self) -> ConfigValue {
        ConfigValue::Bool(self)
    }
    fn from_value(v: ConfigValue) -> Option<Self> {
        match v {
            ConfigValue::Bool(x) => Some(x),
            _ => None,
        }
    }
}

/// One entry of [`Layer::follow_parent`]: `own` (declared default
/// `default`) follows the parent's `value`.
///
/// # Errors
/// If `own` was set to a value other than its default and the parent's, or
/// the types differ.
pub fn follow_entry<V: ConfigEntry>(
    own: &mut V,
    default: V,
    value: ConfigValue,
    parent: &str,
    child: &str,
    name: &str,
) -> Result<(), String> {
    let Some(p) = V::from_value(value) else {
        return Err(format!(
            "`{parent}.{name}` is {value:?} but `{child}.{name}` is {own:?}: the same name with another type"
        ));
    };
    if *own == p {
        Ok(())
    } else if *own == default {
        *own = p;
        Ok(())
    } else {
        Err(format!(
            "`{parent}.{name}` = {p:?} but the sub-network's `{child}.{name}` = {own:?}: an entry shared by name must agree (leave `{child}.{name}` at its default {default:?} to follow the parent)"
        ))
    }
}
