//! Whether the text report is coloured: `--color`, then the `CLICOLOR_FORCE` and `NO_COLOR`
//! conventions, then whether standard output is a terminal.

use std::ffi::OsString;

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless the environment says otherwise.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// `env` reads an environment variable (a parameter so tests need not set the process's).
    /// The flag wins; under `auto`, `CLICOLOR_FORCE` (set, not `0`) forces colour, as CI
    /// runners that render escapes set it, then `NO_COLOR` (set, not empty) turns it off.
    pub fn enabled(self, terminal: bool, env: impl Fn(&str) -> Option<OsString>) -> bool {
        let set = |name: &str, off: &str| env(name).is_some_and(|value| value != off);
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("CLICOLOR_FORCE", "0") => true,
            ColorChoice::Auto if set("NO_COLOR", "") => false,
            ColorChoice::Auto => terminal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        }
    }

    #[test]
    fn the_flag_wins_over_the_environment() {
        assert!(ColorChoice::Always.enabled(false, env(&[("NO_COLOR", "1")])));
        assert!(!ColorChoice::Never.enabled(true, env(&[("CLICOLOR_FORCE", "1")])));
    }

    #[test]
    fn auto_follows_the_environment_then_the_terminal() {
        assert!(ColorChoice::Auto.enabled(true, env(&[])));
        assert!(!ColorChoice::Auto.enabled(false, env(&[])));
        assert!(!ColorChoice::Auto.enabled(true, env(&[("NO_COLOR", "1")])));
        assert!(ColorChoice::Auto.enabled(true, env(&[("NO_COLOR", "")])));
        assert!(ColorChoice::Auto.enabled(false, env(&[("CLICOLOR_FORCE", "1")])));
        assert!(!ColorChoice::Auto.enabled(false, env(&[("CLICOLOR_FORCE", "0")])));
    }
}
