//! The y/N question before a removal.

use std::io::{BufRead, Write};

use crate::failure::{Failure, Outcome};

/// Where a command reads answers and writes its prompt.
pub struct Prompter<'a> {
    /// Standard input (or what a test gives).
    pub input: &'a mut dyn BufRead,
    /// Where the question goes: standard error, so standard output keeps only results.
    pub prompt: &'a mut dyn Write,
    /// Whether the input is a terminal (which echoes the answer itself).
    pub input_is_terminal: bool,
}

impl Prompter<'_> {
    /// Asks `question` and reads one line: `y` or `yes` (any case) is yes; anything else, or
    /// the end of the input, is no. When the input is not a terminal the answer is echoed, so
    /// a transcript reads as a dialogue.
    pub fn confirm(&mut self, question: &str) -> Outcome<bool> {
        write!(self.prompt, "{question} [y/N] ").map_err(Failure::Output)?;
        self.prompt.flush().map_err(Failure::Output)?;
        let mut line = String::new();
        self.input.read_line(&mut line).map_err(Failure::Input)?;
        let answer = line.trim();
        if !self.input_is_terminal {
            writeln!(self.prompt, "{answer}").map_err(Failure::Output)?;
        }
        Ok(answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(input: &str, terminal: bool) -> (bool, String) {
        let mut input = input.as_bytes();
        let mut prompt = Vec::new();
        let yes = Prompter {
            input: &mut input,
            prompt: &mut prompt,
            input_is_terminal: terminal,
        }
        .confirm("Remove it?")
        .unwrap();
        (yes, String::from_utf8(prompt).unwrap())
    }

    #[test]
    fn only_yes_is_yes() {
        for yes in ["y\n", "Y\n", "yes\n", " YES \n", "y"] {
            assert!(ask(yes, true).0, "{yes:?}");
        }
        for no in ["n\n", "\n", "", "yep\n", "no\n", "ja\n", "\ny\n"] {
            assert!(!ask(no, true).0, "{no:?}");
        }
    }

    #[test]
    fn answers_are_echoed_unless_a_terminal_echoes_them() {
        assert_eq!(ask("y\n", false).1, "Remove it? [y/N] y\n");
        assert_eq!(ask("", false).1, "Remove it? [y/N] \n");
        assert_eq!(ask("y\n", true).1, "Remove it? [y/N] ");
    }
}
