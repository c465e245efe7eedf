//! `xs:complexContent` with `xs:extension`: a complex type made from a
//! named base type with element or empty content, adding elements after
//! the base's and attributes beside them.
//!
//! The derived type is compiled into an ordinary complex type holding what
//! XSD says its content is: the base's content model followed by the
//! extension's, as a sequence of the two (either alone when the other is
//! empty), and the base's attributes followed by the extension's. Besides
//! that, the type only keeps its base and where the added particle is, for
//! `emit` to write it as an extension again. `xsi:type` is refused in
//! documents, so a derived type is only ever used by its own name.
//! `xs:restriction` is outside the subset; an extension of a base with
//! element content is `mixed` if and only if its base is.

use crate::profile::xsd::model::{Added, Content, Extension, MaxOccurs, Particle, Term, TypeRef};
use crate::profile::xsd::schema::{Node, NodeId};

use super::content::{particle, particle_count};
use super::misplaced;
use super::set::{AttributeList, SetCompiler, is_attribute_use, is_model_group};

impl<'s> SetCompiler<'s> {
    /// `xs:complexContent`: the content and attributes of the derived type,
    /// and how they are made of the base's; `None` after an error.
    pub(super) fn complex_content(
        &mut self,
        d: usize,
        n: NodeId,
        mixed: bool,
    ) -> Option<(Content, AttributeList, Extension)> {
        let (extension, base) = self.extension(
            d,
            n,
            "xs:complexContent with xs:restriction is not supported: declare the restricted type's content in full",
        )?;
        let base_name = base.value.trim();
        let base_type = match self.type_by_name(d, base)? {
            TypeRef::Complex(complex) => complex,
            TypeRef::Simple(_) => {
                self.error(
                    d,
                    base.span,
                    format!(
                        "xs:complexContent extends a complex type, and `{base_name}` is a simple type: use xs:simpleContent to add attributes to it"
                    ),
                );
                return None;
            }
        };
        self.complete_complex(d, base, base_type)?;
        if self.broken_content.contains(&base_type) {
            return None;
        }
        let base_complex = &self.complex_types[base_type.0 as usize];
        // XSD: an extension of a type with element content is mixed if and
        // only if its base is.
        let base_has_elements =
            matches!(&base_complex.content, Content::Elements(p) if !is_empty(p));
        if base_has_elements && base_complex.mixed != mixed {
            let message = if mixed {
                format!("`{base_name}` is not mixed, so an extension of it cannot be")
            } else {
                format!(
                    "`{base_name}` is mixed, so an extension of it must be `mixed=\"true\"` too"
                )
            };
            self.error(d, base.span, message);
            return None;
        }
        let base_complex = &self.complex_types[base_type.0 as usize];
        let mut attributes = AttributeList::inherited(
            base_complex.attributes.clone(),
            base_complex.any_attribute.clone(),
        );
        let base_particle = match &base_complex.content {
            Content::Simple(_) => {
                self.error(
                    d,
                    base.span,
                    format!(
                        "`{base_name}` has simple content, which xs:complexContent cannot extend: use xs:simpleContent"
                    ),
                );
                return None;
            }
            Content::Empty => None,
            Content::Elements(particle) if is_empty(particle) => None,
            Content::Elements(particle) => Some(particle_count(particle)),
        };
        let own = self.extension_content(d, extension, &mut attributes);

        let base_particle = match base_particle {
            Some(size) if self.copy_particles(d, base.span, size) => {
                match &self.complex_types[base_type.0 as usize].content {
                    Content::Elements(particle) => Some(particle.clone()),
                    Content::Empty | Content::Simple(_) => None,
                }
            }
            Some(_) => return None,
            None => None,
        };
        let (content, added) = match (base_particle, own) {
            // An empty model group of the base says no more than nothing.
            (None, None) => (Content::Empty, Added::Nothing),
            (None, Some((particle, _))) => (Content::Elements(particle), Added::Whole),
            (Some(particle), None) => (Content::Elements(particle), Added::Nothing),
            (Some(first), Some((then, at))) => {
                if matches!(first.term, Term::All(_)) {
                    self.error(
                        d,
                        at.span,
                        format!(
                            "`{base_name}` has an xs:all content model, which an extension cannot add elements to"
                        ),
                    );
                    return None;
                }
                if matches!(then.term, Term::All(_)) {
                    self.error(
                        d,
                        at.span,
                        format!(
                            "an xs:all cannot follow the element content of `{base_name}`: it must be the whole content model of a complex type"
                        ),
                    );
                    return None;
                }
                let both = [first, then];
                self.warn_overlapping_sequence(d, extension, &both);
                let sequence = particle(1, MaxOccurs::Bounded(1), Term::Sequence(both.into()));
                (Content::Elements(sequence), Added::Second)
            }
        };
        let how = Extension {
            base: base_type,
            added,
        };
        Some((content, attributes, how))
    }

    /// What an `xs:extension` of complex content adds: its model group (with
    /// the node it is written at; `None` when there is none, or it is empty),
    /// and its attributes, added to `attributes`.
    fn extension_content(
        &mut self,
        d: usize,
        extension: &'s Node,
        attributes: &mut AttributeList,
    ) -> Option<(Particle, &'s Node)> {
        let mut own = None;
        let mut seen_model = false;
        let mut seen_attributes = false;
        for c in self.content_children(d, extension) {
            let child = self.node(d, c);
            if is_model_group(child) || child.is_xs("group") {
                if seen_model || seen_attributes {
                    self.error(
                        d,
                        child.span,
                        format!(
                            "{} must come first in xs:extension, before attributes and only once",
                            child.display_name()
                        ),
                    );
                    continue;
                }
                seen_model = true;
                // Whether an xs:all may be here depends on the base, checked
                // by the caller.
                own = self
                    .content_particle(d, c, true)
                    .filter(|particle| !is_empty(particle))
                    .map(|particle| (particle, child));
            } else if is_attribute_use(child) {
                seen_attributes = true;
                self.attribute_use(d, c, attributes);
            } else {
                let message = misplaced(child, extension);
                self.error(d, child.span, message);
            }
        }
        own
    }
}

/// A model group with nothing in it, which XSD counts as empty content.
fn is_empty(particle: &Particle) -> bool {
    match &particle.term {
        Term::Element(_) | Term::Any(_) => false,
        Term::Sequence(children) | Term::Choice(children) | Term::All(children) => {
            children.is_empty()
        }
    }
}
