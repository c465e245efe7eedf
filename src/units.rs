//! Sizes and durations as users write them: `1MiB`, `16KiB`, `200ms`, `30s`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, de};

/// A number of bytes, written as a plain integer or with a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(text: &str) -> Result<ByteSize, String> {
        let (number, unit) = split_number(text);
        if unit.starts_with('.') && !number.is_empty() {
            return Err(format!(
                "`{text}` is not a size: write a whole number, like `1536KiB` for 1.5 MiB"
            ));
        }
        let number: u64 = match number.parse() {
            Ok(number) => number,
            Err(_) if !number.is_empty() => return Err(format!("`{text}` is too large")),
            Err(_) => {
                return Err(format!(
                    "`{text}` is not a size: write a number with a unit, like `1MiB`"
                ));
            }
        };
        // Exactly as written: `1k` or `1m` could mean 1000 or 1024.
        let factor: u64 = match unit {
            "" | "B" => 1,
            "KB" => 1000,
            "KiB" => 1024,
            "MB" => 1000 * 1000,
            "MiB" => 1024 * 1024,
            "GB" => 1000 * 1000 * 1000,
            "GiB" => 1024 * 1024 * 1024,
            _ => {
                return Err(format!(
                    "unknown size unit `{unit}` in `{text}`: use B, KB, KiB, MB, MiB, GB or GiB \
                     (KB is 1000 bytes, KiB 1024)"
                ));
            }
        };
        number
            .checked_mul(factor)
            .map(ByteSize)
            .ok_or_else(|| format!("`{text}` is too large"))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
        for (size, unit) in UNITS {
            if self.0 >= size && self.0.is_multiple_of(size) {
                return write!(f, "{}{unit}", self.0 / size);
            }
        }
        write!(f, "{}B", self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read as text, so that a bare integer (bytes) reads as well.
        d.deserialize_str(Parsed::new("a size like `1MiB`"))
    }
}

/// A span of time, written with a unit: `250ms`, `10s`, `5m`, `2h`, `7d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = String;

    fn from_str(text: &str) -> Result<HumanDuration, String> {
        let (number, unit) = split_number(text);
        if unit.starts_with('.') && !number.is_empty() {
            return Err(format!(
                "`{text}` is not a duration: write a whole number, like `1500ms` for 1.5 s"
            ));
        }
        let bad = || format!("`{text}` is not a duration: write a number with a unit, like `30s`");
        let number: u64 = number.parse().map_err(|_| bad())?;
        let millis: u64 = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60 * 1000,
            "h" => 60 * 60 * 1000,
            "d" => 24 * 60 * 60 * 1000,
            "" => return Err(bad()),
            _ => {
                return Err(format!(
                    "unknown duration unit `{unit}` in `{text}`: use ms, s, m, h or d"
                ));
            }
        };
        number
            .checked_mul(millis)
            .map(|ms| HumanDuration(Duration::from_millis(ms)))
            .ok_or_else(|| format!("`{text}` is too long"))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Parsed::new("a duration like `30s`"))
    }
}

/// A whole number from `MIN` to `MAX`, read as written: a value outside is
/// an error that names the range, not the range of the type it is kept in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounded<const MIN: u64, const MAX: u64>(pub u64);

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Range<const MIN: u64, const MAX: u64>;
        impl<const MIN: u64, const MAX: u64> de::Visitor<'_> for Range<MIN, MAX> {
            type Value = Bounded<MIN, MAX>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a whole number from {MIN} to {MAX}")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                if (MIN..=MAX).contains(&v) {
                    Ok(Bounded(v))
                } else {
                    Err(E::invalid_value(de::Unexpected::Unsigned(v), &self))
                }
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
                }
            }
        }
        d.deserialize_u64(Range::<MIN, MAX>)
    }
}

/// Reads a value from its text, and says what it expected in its own terms
/// when it is given something else (a list, a map).
struct Parsed<T> {
    expecting: &'static str,
    parsed: std::marker::PhantomData<T>,
}

impl<T> Parsed<T> {
    fn new(expecting: &'static str) -> Parsed<T> {
        Parsed {
            expecting,
            parsed: std::marker::PhantomData,
        }
    }
}

impl<T: FromStr<Err = String>> de::Visitor<'_> for Parsed<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        text.trim().parse().map_err(E::custom)
    }
}

fn split_number(text: &str) -> (&str, &str) {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    (&text[..digits], text[digits..].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!("1MiB".parse::<ByteSize>().unwrap(), ByteSize(1 << 20));
        assert_eq!("16KiB".parse::<ByteSize>().unwrap(), ByteSize(16 << 10));
        assert_eq!("1000".parse::<ByteSize>().unwrap(), ByteSize(1000));
        assert_eq!("2 MB".parse::<ByteSize>().unwrap(), ByteSize(2_000_000));
        assert!(
            "1XB"
                .parse::<ByteSize>()
                .unwrap_err()
                .contains("unknown size unit")
        );
        assert!("MiB".parse::<ByteSize>().is_err());
        for ambiguous in ["1k", "1K", "1m", "1mib", "1kb", "1G", "1b"] {
            let err = ambiguous.parse::<ByteSize>().unwrap_err();
            assert!(err.contains("unknown size unit"), "{ambiguous}: {err}");
        }
        assert!(
            "1.5MiB"
                .parse::<ByteSize>()
                .unwrap_err()
                .contains("whole number")
        );
        assert!(
            "18446744073709551616"
                .parse::<ByteSize>()
                .unwrap_err()
                .contains("too large")
        );
        assert!(
            "17179869184GiB"
                .parse::<ByteSize>()
                .unwrap_err()
                .contains("too large")
        );
        assert_eq!(ByteSize(1 << 20).to_string(), "1MiB");
    }

    #[test]
    fn durations() {
        assert_eq!(
            "200ms".parse::<HumanDuration>().unwrap().0,
            Duration::from_millis(200)
        );
        assert_eq!(
            "30s".parse::<HumanDuration>().unwrap().0,
            Duration::from_secs(30)
        );
        assert_eq!(
            "7d".parse::<HumanDuration>().unwrap().0,
            Duration::from_secs(7 * 86400)
        );
        assert!("30".parse::<HumanDuration>().is_err());
        assert!("3 weeks".parse::<HumanDuration>().is_err());
        assert_eq!(
            "1.5s".parse::<HumanDuration>().unwrap_err(),
            "`1.5s` is not a duration: write a whole number, like `1500ms` for 1.5 s"
        );
    }
}
