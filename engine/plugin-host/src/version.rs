//! The `voxgate:plugin` interface version a component was built against, and whether this
//! engine can run it (cargo's semver rules: same major; for 0.x, same minor).

use std::fmt;

/// The WIT package version this engine provides (`sdk/wit/plugin.wit`).
pub const INTERFACE_VERSION: InterfaceVersion = InterfaceVersion {
    major: 0,
    minor: 1,
    patch: 0,
};

/// The WIT package name plugins import from.
pub const PACKAGE: &str = "voxgate:plugin";

/// A `MAJOR.MINOR.PATCH` version of the plugin interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct InterfaceVersion {
    /// Incompatible changes.
    pub major: u64,
    /// Additions.
    pub minor: u64,
    /// Fixes.
    pub patch: u64,
}

impl InterfaceVersion {
    /// Parses `1.2.3` (a pre-release or build suffix is ignored).
    pub fn parse(text: &str) -> Option<Self> {
        let core = text.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let version = InterfaceVersion {
            major: parts.next()?.parse().ok()?,
            minor: parts.next()?.parse().ok()?,
            patch: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(version)
    }

    /// The version in an item name such as `voxgate:plugin/host@0.1.0`, if it is ours.
    pub fn from_item_name(name: &str) -> Option<Self> {
        let rest = name.strip_prefix(PACKAGE)?.strip_prefix('/')?;
        let (_, version) = rest.split_once('@')?;
        InterfaceVersion::parse(version)
    }

    /// True when a component built against `self` runs on an engine providing `engine`.
    pub fn compatible_with(self, engine: InterfaceVersion) -> bool {
        self.major == engine.major && (self.major > 0 || self.minor == engine.minor)
    }
}

impl fmt::Display for InterfaceVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_item_names() {
        assert_eq!(
            InterfaceVersion::from_item_name("voxgate:plugin/host@0.1.0"),
            Some(InterfaceVersion {
                major: 0,
                minor: 1,
                patch: 0
            })
        );
        assert_eq!(
            InterfaceVersion::from_item_name("wasi:cli/environment@0.2.6"),
            None
        );
        assert_eq!(
            InterfaceVersion::from_item_name("voxgate:plugin/host"),
            None
        );
        assert_eq!(InterfaceVersion::parse("1.2"), None);
        assert_eq!(
            InterfaceVersion::parse("1.2.3-rc.1").map(|v| v.patch),
            Some(3)
        );
    }

    #[test]
    fn cargo_semver_compatibility() {
        let v = |s| InterfaceVersion::parse(s).unwrap();
        assert!(v("0.1.5").compatible_with(v("0.1.0")));
        assert!(!v("0.2.0").compatible_with(v("0.1.0")));
        assert!(!v("1.0.0").compatible_with(v("0.1.0")));
        assert!(v("1.4.0").compatible_with(v("1.0.0")));
        assert!(!v("2.0.0").compatible_with(v("1.9.0")));
    }

    #[test]
    fn matches_the_wit_package() {
        let wit = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../sdk/wit/plugin.wit"
        ))
        .expect("sdk/wit/plugin.wit");
        let expected = format!("package {PACKAGE}@{INTERFACE_VERSION};");
        assert!(
            wit.lines().any(|l| l.trim() == expected),
            "WIT does not declare {expected}"
        );
    }
}
