//! What a status asks of the person reading it. Every status on every page is a word on the colour of its tone
//! (`docs/design.md`, the chips), so a model says which tone its states have and the pages draw them alike.

/// The tone of a status, from the reader's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Done or in good order: paid, dispensed, released, sent.
    Good,
    /// Needs someone now, the only red: out of stock, a message that failed.
    Act,
    /// Worth a look soon: owed, low stock, partly dispensed.
    Warn,
    /// Under way: ordered, pending, an open visit.
    Info,
    /// A plain fact that asks nothing: void, deactivated, cancelled.
    Quiet,
}

impl Tone {
    /// The tone's name, which the pages' chips carry as `chip-<name>`.
    pub fn name(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Act => "act",
            Tone::Warn => "warn",
            Tone::Info => "info",
            Tone::Quiet => "quiet",
        }
    }

    /// A record offered in forms is said as a good fact; one withdrawn from them asks nothing.
    pub fn of_active(active: bool) -> Tone {
        if active { Tone::Good } else { Tone::Quiet }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_chip_classes() {
        let names: Vec<_> = [Tone::Good, Tone::Act, Tone::Warn, Tone::Info, Tone::Quiet]
            .map(Tone::name)
            .into();
        assert_eq!(names, ["good", "act", "warn", "info", "quiet"]);
        assert_eq!(Tone::of_active(false), Tone::Quiet);
    }
}
