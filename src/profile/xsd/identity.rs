//! `xs:ID` and `xs:IDREF`: what their values mean beyond their lexical form.
//!
//! An ID names the element it is on (an attribute's owner, or the element
//! itself), and no two in a document are the same; an IDREF must be the ID
//! of something in the same document, before or after it. Reading and
//! writing note each such value as its leaf is checked and settle the
//! references when the document ends. Only the values of types derived
//! from `ID` or `IDREF` are noted; other documents pay one comparison per
//! leaf.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::Violation;

/// What a simple type's values are to the document beyond their text,
/// inherited by every restriction of the type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Identity {
    #[default]
    None,
    /// `xs:ID`: unique in the document.
    Id,
    /// `xs:IDREF`: the ID of something in the document.
    IdRef,
}

/// The IDs of one document and the references to them.
#[derive(Debug, Default)]
pub(crate) struct Identities {
    /// Each ID, with the path of what it names.
    ids: HashMap<String, String>,
    /// Each reference, with the path of the leaf holding it.
    refs: Vec<(String, String)>,
}

impl Identities {
    pub(crate) fn clear(&mut self) {
        self.ids.clear();
        self.refs.clear();
    }

    /// Notes the value `text` of a leaf at `path`: a violation if it is an
    /// ID already given.
    pub(crate) fn note(
        &mut self,
        identity: Identity,
        text: &str,
        path: String,
    ) -> Option<Violation> {
        match identity {
            Identity::None => None,
            Identity::IdRef => {
                self.refs.push((text.to_owned(), path));
                None
            }
            Identity::Id => match self.ids.entry(text.to_owned()) {
                Entry::Vacant(vacant) => {
                    vacant.insert(path);
                    None
                }
                Entry::Occupied(first) => Some(Violation {
                    message: format!(
                        "duplicate ID {text:?}, first at {} (an xs:ID is unique in its document)",
                        first.get()
                    ),
                    path,
                }),
            },
        }
    }

    /// The references to no ID of the document, in document order; the
    /// notes are cleared for the next document.
    pub(crate) fn dangling(&mut self) -> Vec<Violation> {
        let ids = &self.ids;
        let dangling = self
            .refs
            .drain(..)
            .filter(|(id, _)| !ids.contains_key(id))
            .map(|(id, path)| Violation {
                message: format!(
                    "no ID {id:?} in the document (an xs:IDREF names an xs:ID of its document)"
                ),
                path,
            })
            .collect();
        self.ids.clear();
        dangling
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_references_resolve_in_either_order() {
        let mut notes = Identities::default();
        assert!(notes.note(Identity::IdRef, "b", "/r/@to".into()).is_none());
        assert!(
            notes
                .note(Identity::Id, "a", "/r/x[1]/@id".into())
                .is_none()
        );
        assert!(
            notes
                .note(Identity::Id, "b", "/r/x[2]/@id".into())
                .is_none()
        );
        assert!(notes.note(Identity::None, "a", "/r/n".into()).is_none());
        let twice = notes.note(Identity::Id, "a", "/r/x[3]/@id".into());
        assert_eq!(
            twice.map(|v| (v.path, v.message)),
            Some((
                "/r/x[3]/@id".to_owned(),
                "duplicate ID \"a\", first at /r/x[1]/@id (an xs:ID is unique in its document)"
                    .to_owned()
            ))
        );
        assert!(notes.note(Identity::IdRef, "c", "/r/y".into()).is_none());
        let dangling: Vec<_> = notes
            .dangling()
            .into_iter()
            .map(|v| (v.path, v.message))
            .collect();
        assert_eq!(
            dangling,
            [(
                "/r/y".to_owned(),
                "no ID \"c\" in the document (an xs:IDREF names an xs:ID of its document)"
                    .to_owned()
            )]
        );
        // The next document starts with no IDs.
        assert!(notes.note(Identity::IdRef, "a", "/r/@to".into()).is_none());
        assert_eq!(notes.dangling().len(), 1);
    }
}
