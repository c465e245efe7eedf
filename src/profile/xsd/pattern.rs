//! The `pattern` facet: XSD regular expressions, translated once to the
//! `regex` crate's syntax.
//!
//! XSD's dialect (XML Schema Part 2, appendix F) differs from Perl's: a
//! pattern always matches the whole value, `^` and `$` are ordinary
//! characters, `.` excludes only line ends, `\w` `\i` `\c` have their own
//! meanings, and classes subtract with `[a-z-[aeiou]]`. The translator
//! parses the XSD grammar exactly and writes an equivalent `regex`
//! expression, so anything outside the dialect (lazy quantifiers, anchors,
//! back-references, `(?`) is refused at compile time instead of meaning
//! something else at run time. Unicode block escapes (`\p{IsBasicLatin}`)
//! have no `regex` counterpart and are refused too. `\i` and `\c` use the
//! XML 1.0 fifth edition name characters.

use std::fmt;

use regex::{Regex, RegexBuilder};

/// A compiled `pattern` facet.
#[derive(Clone)]
pub struct Pattern {
    source: String,
    regex: Regex,
    /// What a value that matches is, in words, for a built-in type's pattern.
    meaning: Option<&'static str>,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

impl Pattern {
    /// Compiles an XSD pattern; the error says what cannot be translated, and where.
    pub(crate) fn new(source: &str) -> Result<Pattern, String> {
        let translated = translate(source)?;
        // A bound on the compiled size: `[a-z]{1000}{1000}` must fail here,
        // not take memory later.
        let regex = RegexBuilder::new(&translated)
            .size_limit(1 << 21)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => "the pattern is too large".to_owned(),
                other => format!("the pattern cannot be compiled: {other}"),
            })?;
        Ok(Pattern {
            source: source.to_owned(),
            regex,
            meaning: None,
        })
    }

    /// A pattern that defines a built-in type: a value that does not match
    /// is said not to be `meaning` ("an NCName, …").
    pub(crate) fn defining(source: &str, meaning: &'static str) -> Result<Pattern, String> {
        Ok(Pattern {
            meaning: Some(meaning),
            ..Pattern::new(source)?
        })
    }

    /// What a matching value is, when the pattern defines a built-in type.
    pub(crate) fn meaning(&self) -> Option<&'static str> {
        self.meaning
    }

    /// The pattern as written in the schema.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// The `regex` crate expression matching exactly what the XSD pattern
/// matches, anchored at both ends.
pub(crate) fn translate(source: &str) -> Result<String, String> {
    let mut translator = Translator {
        chars: source.chars().collect(),
        at: 0,
        out: String::with_capacity(source.len() * 2 + 8),
    };
    translator.out.push_str(r"\A(?:");
    translator.reg_exp()?;
    if let Some(c) = translator.peek() {
        return Err(translator.error(&format!("unexpected `{c}`")));
    }
    translator.out.push_str(r")\z");
    Ok(translator.out)
}

/// The XSD 1.0 general categories usable in `\p{..}`.
const CATEGORIES: [&str; 38] = [
    "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc",
    "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Z", "Zs", "Zl", "Zp", "S", "Sm", "Sc", "Sk", "So", "C",
    "Cc", "Cf", "Co", "Cn", "Cs", "LC",
];

/// XML 1.0 NameStartChar, as a class body.
const NAME_START: &str = r":A-Z_a-z\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{2FF}\x{370}-\x{37D}\x{37F}-\x{1FFF}\x{200C}-\x{200D}\x{2070}-\x{218F}\x{2C00}-\x{2FEF}\x{3001}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFFD}\x{10000}-\x{EFFFF}";
/// XML 1.0 NameChar beyond NameStartChar, as a class body.
const NAME_MORE: &str = r"\-.0-9\x{B7}\x{300}-\x{36F}\x{203F}-\x{2040}";

struct Translator {
    chars: Vec<char>,
    at: usize,
    out: String,
}

impl Translator {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    fn error(&self, message: &str) -> String {
        format!("{message} at character {} of the pattern", self.at + 1)
    }

    fn reg_exp(&mut self) -> Result<(), String> {
        self.branch()?;
        while self.peek() == Some('|') {
            self.at += 1;
            self.out.push('|');
            self.branch()?;
        }
        Ok(())
    }

    fn branch(&mut self) -> Result<(), String> {
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                return Ok(());
            }
            self.atom()?;
            self.quantifier()?;
        }
        Ok(())
    }

    fn atom(&mut self) -> Result<(), String> {
        let Some(c) = self.next() else {
            return Ok(());
        };
        match c {
            '(' => {
                self.out.push_str("(?:");
                self.reg_exp()?;
                if self.next() != Some(')') {
                    return Err(self.error("missing `)`"));
                }
                self.out.push(')');
            }
            '[' => {
                let class = self.class_expr()?;
                self.out.push_str(&class);
            }
            '.' => self.out.push_str(r"[^\n\r]"),
            '\\' => {
                let escape = self.escape()?;
                self.out.push_str(&escape.outside());
            }
            '?' | '*' | '+' | '{' => {
                self.at -= 1;
                return Err(self.error(&format!("`{c}` has nothing to repeat")));
            }
            ')' | ']' | '}' => {
                self.at -= 1;
                return Err(self.error(&format!("unmatched `{c}` (escape it as `\\{c}`)")));
            }
            c => push_literal(&mut self.out, c),
        }
        Ok(())
    }

    fn quantifier(&mut self) -> Result<(), String> {
        match self.peek() {
            Some(c @ ('?' | '*' | '+')) => {
                self.at += 1;
                self.out.push(c);
            }
            Some('{') => {
                self.at += 1;
                let min = self.number()?;
                let max = if self.peek() == Some(',') {
                    self.at += 1;
                    if self.peek() == Some('}') {
                        None
                    } else {
                        Some(self.number()?)
                    }
                } else {
                    Some(min)
                };
                if self.next() != Some('}') {
                    return Err(self.error("expected `}` to end the quantifier"));
                }
                match max {
                    Some(max) if max < min => {
                        return Err(self.error(&format!(
                            "the quantifier {{{min},{max}}} has its maximum below its minimum"
                        )));
                    }
                    Some(max) if max == min => self.out.push_str(&format!("{{{min}}}")),
                    Some(max) => self.out.push_str(&format!("{{{min},{max}}}")),
                    None => self.out.push_str(&format!("{{{min},}}")),
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn number(&mut self) -> Result<u32, String> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        if start == self.at {
            return Err(self.error("expected a number in the quantifier"));
        }
        let digits: String = self.chars[start..self.at].iter().collect();
        digits
            .parse()
            .map_err(|_| self.error("the quantifier's number is too large"))
    }

    /// After `\`: one escape, in or outside a class.
    fn escape(&mut self) -> Result<Escape, String> {
        let Some(c) = self.next() else {
            return Err(self.error("the pattern ends with a lone `\\`"));
        };
        let class = |body: &str| Escape::Class(body.to_owned());
        Ok(match c {
            'n' => Escape::Char('\n'),
            'r' => Escape::Char('\r'),
            't' => Escape::Char('\t'),
            '\\' | '|' | '.' | '?' | '*' | '+' | '(' | ')' | '{' | '}' | '-' | '[' | ']' | '^' => {
                Escape::Char(c)
            }
            's' => class(r"[\t\n\r\x20]"),
            'S' => class(r"[^\t\n\r\x20]"),
            'd' => class(r"\p{Nd}"),
            'D' => class(r"\P{Nd}"),
            'w' => class(r"[^\p{P}\p{Z}\p{C}]"),
            'W' => class(r"[\p{P}\p{Z}\p{C}]"),
            'i' => Escape::Class(format!("[{NAME_START}]")),
            'I' => Escape::Class(format!("[^{NAME_START}]")),
            'c' => Escape::Class(format!("[{NAME_START}{NAME_MORE}]")),
            'C' => Escape::Class(format!("[^{NAME_START}{NAME_MORE}]")),
            'p' | 'P' => {
                if self.next() != Some('{') {
                    return Err(self.error(&format!("expected `{{` after `\\{c}`")));
                }
                let start = self.at;
                while self.peek().is_some_and(|c| c != '}') {
                    self.at += 1;
                }
                let name: String = self.chars[start..self.at].iter().collect();
                if self.next() != Some('}') {
                    return Err(self.error(&format!("`\\{c}{{` is not closed with `}}`")));
                }
                if name.starts_with("Is") {
                    return Err(self.error(&format!(
                        "Unicode block escapes like `\\{c}{{{name}}}` are not supported"
                    )));
                }
                if !CATEGORIES.contains(&name.as_str()) {
                    return Err(self.error(&format!("unknown character category `{name}`")));
                }
                Escape::Class(format!("\\{c}{{{name}}}"))
            }
            other => {
                return Err(self.error(&format!("`\\{other}` is not an escape of XSD patterns")));
            }
        })
    }

    /// After `[`: a class expression up to its `]`, as a `regex` class.
    fn class_expr(&mut self) -> Result<String, String> {
        let negated = self.peek() == Some('^');
        if negated {
            self.at += 1;
        }
        let mut items = String::new();
        let mut count = 0;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("the character class is not closed with `]`"));
            };
            match c {
                ']' if count > 0 => break,
                '-' if self.peek_at(1) == Some('[') && count > 0 => break,
                '-' if count == 0 || self.peek_at(1) == Some(']') => {
                    self.at += 1;
                    push_literal(&mut items, '-');
                }
                '-' => {
                    return Err(self.error("`-` must be escaped as `\\-` inside a character class"));
                }
                '[' => {
                    return Err(self.error("`[` must be escaped as `\\[` inside a character class"));
                }
                ']' => return Err(self.error("a character class cannot be empty")),
                _ => self.class_item(&mut items)?,
            }
            count += 1;
        }
        let subtracted = if self.peek() == Some('-') {
            self.at += 2;
            Some(self.class_expr()?)
        } else {
            None
        };
        if self.next() != Some(']') {
            return Err(self.error("expected `]` after the subtracted class"));
        }
        let body = if negated {
            format!("[^{items}]")
        } else {
            format!("[{items}]")
        };
        Ok(match subtracted {
            Some(subtracted) => format!("[{body}--{subtracted}]"),
            None => body,
        })
    }

    /// One character, range or class escape inside a class.
    fn class_item(&mut self, items: &mut String) -> Result<(), String> {
        let first = match self.next() {
            Some('\\') => match self.escape()? {
                Escape::Char(c) => c,
                Escape::Class(class) => {
                    items.push_str(&class);
                    return Ok(());
                }
            },
            Some(c) => c,
            None => return Err(self.error("the character class is not closed with `]`")),
        };
        let is_range = self.peek() == Some('-') && !matches!(self.peek_at(1), Some('[' | ']'));
        if !is_range {
            push_literal(items, first);
            return Ok(());
        }
        self.at += 1;
        let last = match self.next() {
            Some('\\') => match self.escape()? {
                Escape::Char(c) => c,
                Escape::Class(_) => {
                    return Err(self.error("a range cannot end with a class escape"));
                }
            },
            Some('[') => {
                return Err(self.error("`[` must be escaped as `\\[` inside a character class"));
            }
            Some(c) => c,
            None => return Err(self.error("the character class is not closed with `]`")),
        };
        if last < first {
            return Err(self.error(&format!("the range `{first}-{last}` is reversed")));
        }
        push_literal(items, first);
        items.push('-');
        push_literal(items, last);
        Ok(())
    }
}

enum Escape {
    Char(char),
    /// A class, or a class escape such as `\p{L}`, usable inside a class too.
    Class(String),
}

impl Escape {
    fn outside(&self) -> String {
        match self {
            Escape::Char(c) => {
                let mut out = String::new();
                push_literal(&mut out, *c);
                out
            }
            Escape::Class(class) => class.clone(),
        }
    }
}

/// A character meaning itself both in and outside a `regex` class: ASCII
/// punctuation and controls are written as `\x{..}`.
fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || !c.is_ascii() {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:X}}}", u32::from(c)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        match Pattern::new(pattern) {
            Ok(p) => p.is_match(text),
            Err(e) => panic!("{pattern}: {e}"),
        }
    }

    fn refused(pattern: &str) -> String {
        match Pattern::new(pattern) {
            Ok(_) => panic!("{pattern} should be refused"),
            Err(e) => e,
        }
    }

    #[test]
    fn patterns_are_anchored() {
        assert!(matches("[A-Z]{3}", "ABC"));
        assert!(!matches("[A-Z]{3}", "ABCD"));
        assert!(!matches("[A-Z]{3}", "xABC"));
        assert!(matches("a|bc", "bc"));
        assert!(!matches("a|bc", "abc"));
    }

    #[test]
    fn anchors_and_dollars_are_literal() {
        assert!(matches("^a$", "^a$"));
        assert!(!matches("^a$", "a"));
        assert!(matches(r"$\d+(\.\d{2})?", "$12.50"));
        // `\$` is not an XSD escape: `$` needs none.
        assert!(refused(r"\$").contains("not an escape"));
    }

    #[test]
    fn xsd_escapes() {
        assert!(matches(r"\d{4}-\d{2}", "2024-05"));
        assert!(matches(r"\s", "\t"));
        assert!(!matches(r"\s", "\u{A0}"));
        assert!(matches(r"\w+", "héllo"));
        assert!(!matches(r"\w", "-"));
        assert!(matches(r"\i\c*", "_a-b.c"));
        assert!(!matches(r"\i\c*", "1a"));
        assert!(matches(r"\p{Lu}\p{Ll}+", "Élan"));
        assert!(matches(r"\P{L}", "1"));
        assert!(matches(r"a\.b\-c\^", "a.b-c^"));
        assert!(matches(r"[\n\t]", "\n"));
    }

    #[test]
    fn dot_excludes_line_ends() {
        assert!(matches(".", "x"));
        assert!(!matches(".", "\n"));
        assert!(!matches(".", "\r"));
    }

    #[test]
    fn classes() {
        assert!(matches("[a-z-[aeiou]]+", "bcd"));
        assert!(!matches("[a-z-[aeiou]]+", "bad"));
        assert!(matches("[^a-c]", "d"));
        assert!(!matches("[^a-c-[d]]", "d"));
        assert!(matches("[^a-c-[d]]", "e"));
        assert!(matches("[-a]", "-"));
        assert!(matches("[a-]", "-"));
        assert!(matches(r"[+\-*/]", "*"));
        assert!(matches(r"[\d\s]+", "1 2"));
        assert!(matches("[&&~~]+", "&~"));
        assert!(matches("[$^]", "^"));
    }

    #[test]
    fn quantifiers() {
        assert!(matches("a{2,}", "aaa"));
        assert!(!matches("a{2,3}", "aaaa"));
        assert!(matches("(ab){0,1}c", "c"));
        assert!(matches("a{0}", ""));
    }

    #[test]
    fn what_cannot_be_translated_is_refused() {
        assert_eq!(
            refused(r"\p{IsBasicLatin}+"),
            "Unicode block escapes like `\\p{IsBasicLatin}` are not supported at character 17 of the pattern"
        );
        assert_eq!(
            refused("a*?"),
            "`?` has nothing to repeat at character 3 of the pattern"
        );
        assert_eq!(
            refused("(?:a)"),
            "`?` has nothing to repeat at character 2 of the pattern"
        );
        assert_eq!(
            refused(r"\bword"),
            "`\\b` is not an escape of XSD patterns at character 3 of the pattern"
        );
        assert_eq!(
            refused("[a-z"),
            "the character class is not closed with `]` at character 5 of the pattern"
        );
        assert_eq!(refused("(a"), "missing `)` at character 3 of the pattern");
        assert_eq!(
            refused("a)"),
            "unexpected `)` at character 2 of the pattern"
        );
        assert_eq!(
            refused("a{3,1}"),
            "the quantifier {3,1} has its maximum below its minimum at character 7 of the pattern"
        );
        assert_eq!(
            refused("[z-a]"),
            "the range `z-a` is reversed at character 5 of the pattern"
        );
        assert_eq!(
            refused("[]"),
            "a character class cannot be empty at character 2 of the pattern"
        );
        assert_eq!(
            refused(r"\p{Xx}"),
            "unknown character category `Xx` at character 7 of the pattern"
        );
        assert_eq!(
            refused("[a-z]{1000}{2}"),
            "`{` has nothing to repeat at character 12 of the pattern"
        );
        assert_eq!(
            refused("(([a-z]{1000}){1000}){1000}"),
            "the pattern is too large"
        );
        assert!(refused("a\\").contains("lone"));
    }
}
