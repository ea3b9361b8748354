//! Bilingual names of methods, properties and parameters, and the platform's case-insensitive
//! lookup by either name.

use addin1c::CStr1C;

/// A Russian and an English name, as Rust strings (for messages) and as the null-terminated
/// UTF-16 strings the platform receives.
pub struct Names {
    /// The Russian name, e.g. `ОткрытьСоединение`.
    pub ru: &'static str,
    /// The English name, e.g. `Connect`.
    pub en: &'static str,
    /// `ru` as null-terminated UTF-16.
    pub ru16: &'static CStr1C,
    /// `en` as null-terminated UTF-16.
    pub en16: &'static CStr1C,
}

/// Builds a [`Names`] at compile time: `names!("ОткрытьСоединение", "Connect")`.
#[macro_export]
macro_rules! names {
    ($ru:literal, $en:literal) => {
        $crate::names::Names {
            ru: $ru,
            en: $en,
            ru16: addin1c::name!($ru),
            en16: addin1c::name!($en),
        }
    };
}

impl std::fmt::Debug for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.label())
    }
}

impl Names {
    /// How messages name the item: `Таймаут (Timeout)`.
    pub fn label(&self) -> String {
        format!("{} ({})", self.ru, self.en)
    }

    /// The name the platform asks for: alias 0 is the English name, 1 the local (Russian) one.
    pub fn by_alias(&self, alias: usize) -> &'static CStr1C {
        if alias == 0 {
            self.en16
        } else {
            self.ru16
        }
    }

    /// Whether `wanted` is either name, ignoring case (Cyrillic included).
    pub fn matches(&self, wanted: &str) -> bool {
        [self.ru, self.en].iter().any(|name| {
            name.chars().count() == wanted.chars().count()
                && name
                    .chars()
                    .flat_map(char::to_lowercase)
                    .eq(wanted.chars().flat_map(char::to_lowercase))
        })
    }
}

/// Finds the index of the item whose names match the platform's null-terminated `wanted`.
pub fn find<'a, T: 'a>(
    items: impl IntoIterator<Item = &'a T>,
    names: impl Fn(&T) -> &Names,
    wanted: &CStr1C,
) -> Option<usize> {
    let units = wanted.strip_suffix(&[0]).unwrap_or(wanted);
    let wanted = String::from_utf16(units).ok()?;
    items
        .into_iter()
        .position(|item| names(item).matches(&wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case_in_both_languages() {
        let items = [
            names!("ОткрытьСоединение", "Connect"),
            names!("ПрочитатьСтроку", "ReadLine"),
        ];
        let find_str = |s: &str| {
            let mut units: Vec<u16> = s.encode_utf16().collect();
            units.push(0);
            // SAFETY: `units` ends with the terminator.
            find(&items, |n| n, unsafe {
                CStr1C::from_bytes_unchecked(&units)
            })
        };
        assert_eq!(find_str("connect"), Some(0));
        assert_eq!(find_str("ОТКРЫТЬСОЕДИНЕНИЕ"), Some(0));
        assert_eq!(find_str("прочитатьстроку"), Some(1));
        assert_eq!(find_str("READLINE"), Some(1));
        assert_eq!(find_str("ReadLin"), None);
        assert_eq!(items[1].by_alias(0).len(), "ReadLine".len() + 1);
    }
}
