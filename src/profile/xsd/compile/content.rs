//! What the reader needs to know about a content model, computed once:
//! which elements each particle can start with, which particles can match
//! nothing, each particle's slot in the matching state, and which child
//! names can occur more than once (and so are lists in values).

use minijinja::Value;

use super::set::index_u32;
use crate::profile::xsd::model::{
    ChildKey, ComplexType, Content, ElementDecl, ElementRef, MaxOccurs, Particle, Term, TypeRef,
    Wildcard,
};

/// A particle, with what can be known from its term alone.
pub(super) fn particle(min_occurs: u32, max_occurs: MaxOccurs, term: Term) -> Particle {
    let mut first_any = Vec::new();
    let (term_nullable, first) = match &term {
        Term::Element(id) => (false, vec![*id]),
        Term::Any(wildcard) => {
            first_any.push(wildcard.clone());
            (false, Vec::new())
        }
        Term::Sequence(children) => {
            let mut first = Vec::new();
            let mut nullable = true;
            for child in children {
                extend_unique(&mut first, &child.first);
                extend_wildcards(&mut first_any, &child.first_any);
                if !child.nullable {
                    nullable = false;
                    break;
                }
            }
            (nullable, first)
        }
        Term::Choice(children) => {
            let mut first = Vec::new();
            for child in children {
                extend_unique(&mut first, &child.first);
                extend_wildcards(&mut first_any, &child.first_any);
            }
            (children.iter().any(|c| c.nullable), first)
        }
        Term::All(children) => {
            let mut first = Vec::new();
            for child in children {
                extend_unique(&mut first, &child.first);
            }
            (children.iter().all(|c| c.nullable), first)
        }
    };
    let flat = max_occurs == MaxOccurs::Bounded(1)
        && matches!(&term, Term::Sequence(children)
            if children.iter().all(|c| matches!(c.term, Term::Element(_))));
    Particle {
        min_occurs,
        max_occurs,
        flat,
        term,
        slot: 0,
        slot_end: 0,
        term_nullable,
        nullable: min_occurs == 0 || term_nullable,
        first,
        first_any,
        key: 0,
        group: None,
    }
}

fn extend_wildcards(into: &mut Vec<Wildcard>, from: &[Wildcard]) {
    for wildcard in from {
        if !into.contains(wildcard) {
            into.push(wildcard.clone());
        }
    }
}

pub(super) fn extend_unique(into: &mut Vec<ElementRef>, from: &[ElementRef]) {
    for id in from {
        if !into.contains(id) {
            into.push(*id);
        }
    }
}

/// What a particle can start with, or still take: elements and `xs:any`
/// wildcards.
#[derive(Default)]
pub(super) struct Starts {
    pub(super) elements: Vec<ElementRef>,
    pub(super) wildcards: Vec<Wildcard>,
}

impl Starts {
    pub(super) fn first_of(particle: &Particle) -> Starts {
        let mut starts = Starts::default();
        starts.add_first(particle);
        starts
    }

    pub(super) fn add_first(&mut self, particle: &Particle) {
        extend_unique(&mut self.elements, &particle.first);
        extend_wildcards(&mut self.wildcards, &particle.first_any);
    }

    fn add(&mut self, other: &Starts) {
        extend_unique(&mut self.elements, &other.elements);
        extend_wildcards(&mut self.wildcards, &other.wildcards);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.elements.is_empty() && self.wildcards.is_empty()
    }
}

/// What `particle` can still take at a point where it could also be
/// complete: where another particle that could come next and starts with
/// one of them makes a content model ambiguous.
pub(super) fn continuations(particle: &Particle) -> Starts {
    let mut out = Starts::default();
    add_continuations(particle, &mut out);
    out
}

fn add_continuations(particle: &Particle, out: &mut Starts) {
    match &particle.term {
        Term::Element(_) | Term::Any(_) => {}
        Term::Sequence(children) => {
            // A sequence is complete inside a child when every child after
            // it can match nothing; those children can still come.
            let mut after = Starts::default();
            let mut all_nullable = true;
            for child in children.iter().rev() {
                add_continuations(child, out);
                out.add(&after);
                if !child.nullable {
                    all_nullable = false;
                    break;
                }
                after.add_first(child);
            }
            if all_nullable {
                out.add(&after);
            }
        }
        Term::Choice(children) | Term::All(children) => {
            for child in children {
                add_continuations(child, out);
            }
        }
    }
    // Complete before it starts, or between two occurrences of its term.
    if particle.nullable || particle.max_occurs != MaxOccurs::Bounded(particle.min_occurs) {
        out.add_first(particle);
    }
}

/// The most elements one particle can match.
pub(super) fn max_count(particle: &Particle) -> u32 {
    let inner = match &particle.term {
        Term::Element(_) | Term::Any(_) => MaxOccurs::Bounded(1),
        Term::Sequence(children) | Term::All(children) => {
            children.iter().fold(MaxOccurs::Bounded(0), |sum, c| {
                sum.plus(MaxOccurs::Bounded(max_count(c)))
            })
        }
        Term::Choice(children) => children.iter().fold(MaxOccurs::Bounded(0), |most, c| {
            most.max(MaxOccurs::Bounded(max_count(c)))
        }),
    };
    match inner.times(particle.max_occurs) {
        MaxOccurs::Bounded(n) => n,
        MaxOccurs::Unbounded => u32::MAX,
    }
}

/// How deep `particle` nests: its particles and, below its local
/// elements, their anonymous types' content models, which the reader, the
/// writer and the generators all walk into.
pub(super) fn nesting(
    particle: &Particle,
    elements: &[ElementDecl],
    complex_types: &[ComplexType],
) -> usize {
    let below = match &particle.term {
        Term::Element(id) => {
            let element = &elements[id.0 as usize];
            let inner = match element.type_ref {
                TypeRef::Complex(complex) if !element.global => {
                    let complex = &complex_types[complex.0 as usize];
                    match (&complex.name, &complex.content) {
                        (None, Content::Elements(inner)) => Some(inner),
                        _ => None,
                    }
                }
                _ => None,
            };
            inner.map_or(0, |inner| 1 + nesting(inner, elements, complex_types))
        }
        Term::Any(_) => 0,
        Term::Sequence(children) | Term::Choice(children) | Term::All(children) => children
            .iter()
            .map(|child| nesting(child, elements, complex_types))
            .max()
            .unwrap_or(0),
    };
    1 + below
}

/// How many particles `particle` is made of, itself included.
pub(super) fn particle_count(particle: &Particle) -> usize {
    match &particle.term {
        Term::Element(_) | Term::Any(_) => 1,
        Term::Sequence(children) | Term::Choice(children) | Term::All(children) => {
            1 + children.iter().map(particle_count).sum::<usize>()
        }
    }
}

/// Numbers the particles of a content model and gathers its child keys.
pub(super) fn finish_content(
    content: Content,
    elements: &[ElementDecl],
) -> (Content, Vec<ChildKey>, u32) {
    let Content::Elements(mut root) = content else {
        return (content, Vec::new(), 0);
    };
    let mut keys: Vec<ChildKey> = Vec::new();
    let mut next_slot = 0;
    number_particles(&mut root, &mut next_slot, &mut keys, elements);
    for key in &mut keys {
        key.repeats = !MaxOccurs::Bounded(1).allows(occurrences(&root, &key.local, elements));
    }
    (Content::Elements(root), keys, next_slot)
}

fn number_particles(
    particle: &mut Particle,
    next_slot: &mut u32,
    keys: &mut Vec<ChildKey>,
    elements: &[ElementDecl],
) {
    particle.slot = *next_slot;
    *next_slot += 1;
    match &mut particle.term {
        Term::Element(id) => {
            let element = &elements[id.0 as usize];
            let name = &element.name;
            particle.key = match keys.iter().position(|k| &k.local == name) {
                Some(index) => {
                    keys[index].nillable |= element.nillable;
                    index_u32(index)
                }
                None => {
                    keys.push(ChildKey {
                        local: name.clone(),
                        key: Value::from(name.as_str()),
                        repeats: false,
                        nillable: element.nillable,
                    });
                    index_u32(keys.len() - 1)
                }
            };
        }
        Term::Any(_) => {}
        Term::Sequence(children) | Term::Choice(children) | Term::All(children) => {
            for child in children {
                number_particles(child, next_slot, keys, elements);
            }
        }
    }
    particle.slot_end = *next_slot;
}

/// The most elements named `local` one particle can match: alternatives of
/// a choice exclude each other, everything else adds up.
fn occurrences(particle: &Particle, local: &str, elements: &[ElementDecl]) -> u32 {
    let inner = match &particle.term {
        Term::Element(id) => MaxOccurs::Bounded(u32::from(elements[id.0 as usize].name == local)),
        Term::Any(_) => MaxOccurs::Bounded(0),
        Term::Sequence(children) | Term::All(children) => {
            children.iter().fold(MaxOccurs::Bounded(0), |sum, c| {
                sum.plus(MaxOccurs::Bounded(occurrences(c, local, elements)))
            })
        }
        Term::Choice(children) => children.iter().fold(MaxOccurs::Bounded(0), |most, c| {
            most.max(MaxOccurs::Bounded(occurrences(c, local, elements)))
        }),
    };
    match inner.times(particle.max_occurs) {
        MaxOccurs::Bounded(n) => n,
        MaxOccurs::Unbounded => u32::MAX,
    }
}
