//! Named model groups (`xs:group`) and attribute groups
//! (`xs:attributeGroup`). The compiled model has no groups: a reference is
//! replaced by a copy of what the group holds, so that the reader, the
//! writer and the generators see ordinary content models and attribute
//! lists.
//!
//! A global group is compiled once, on first use, in its own file (whose
//! target namespace and `elementFormDefault` its local elements take), and
//! every reference copies the result: a model group reference becomes a
//! particle of the group's sequence, choice or all with the reference's
//! occurrences, and the local elements of the group are shared by all
//! copies. Copies keep the group's name, so that the WSDL can declare the
//! group once and refer to it, as the schema did: a qualified local
//! element of another namespace can only be declared in that namespace's
//! schema. Groups refer to each other eagerly, so meeting a group that is
//! still being compiled is a cycle, which XSD forbids; a group may still
//! hold elements whose named types lead back to it.
//!
//! Copies of groups that refer to groups grow exponentially with the
//! nesting, so the particles copied per schema set are counted and bounded
//! ([`MAX_COPIED_PARTICLES`]); their depths add up, and are bounded like
//! any content model's ([`MAX_NESTING`](super::MAX_NESTING)).

use crate::config::node::Span;
use crate::profile::xsd::model::{MaxOccurs, Particle, Term};
use crate::profile::xsd::schema::{Node, NodeAttr, NodeId};

use super::MAX_DERIVATION_DEPTH;
use super::content::{particle, particle_count};
use super::misplaced;
use super::set::{
    AttributeList, Built, SetCompiler, Site, Space, is_attribute_use, is_model_group,
};

/// Most particles one schema set may copy for group references and
/// extensions: far more than any real schema needs.
pub(super) const MAX_COPIED_PARTICLES: usize = 100_000;

impl<'s> SetCompiler<'s> {
    /// `<xs:group ref="G"/>` in a content model: a particle of G's model
    /// group with the reference's occurrences; `None` when it can never
    /// occur. `top` when it is the whole content model of a complex type,
    /// the only place a group holding `xs:all` may be.
    pub(super) fn group_ref(&mut self, d: usize, n: NodeId, top: bool) -> Option<Particle> {
        let node = self.node(d, n);
        let occurs = self.occurs(d, node);
        let reference = self.reference(d, node, &["ref", "minOccurs", "maxOccurs", "id"])?;
        let site = self.global_by_name(Space::Group, d, reference)?;
        if !self.group_ready(site, Some((d, reference))) {
            return None;
        }
        let (min, max) = occurs?;
        let name = reference.value.trim();
        let holds_all = matches!(
            self.groups.get(&site),
            Some(Built::Done(Some(Term::All(_))))
        );
        if holds_all && !top {
            self.error(
                d,
                node.span,
                format!(
                    "group `{name}` holds an xs:all, which must be the whole content model of a complex type"
                ),
            );
            return None;
        }
        if holds_all && (min > 1 || max != MaxOccurs::Bounded(1)) {
            self.error(
                d,
                node.span,
                format!(
                    "group `{name}` holds an xs:all, so it may occur at most once (minOccurs 0 or 1, maxOccurs 1)"
                ),
            );
            return None;
        }
        if max == MaxOccurs::Bounded(0) {
            return None;
        }
        let size = match self.groups.get(&site) {
            Some(Built::Done(Some(term))) => term_size(term),
            _ => return None,
        };
        if !self.copy_particles(d, reference.span, size) {
            return None;
        }
        let Some(Built::Done(Some(term))) = self.groups.get(&site) else {
            return None;
        };
        let mut particle = particle(min, max, term.clone());
        particle.group = self.type_name(site.0, site.1);
        Some(particle)
    }

    /// Compiles the global group at `site` unless it is compiled already;
    /// whether its model group can be used. `at` is the reference being
    /// resolved, where a cycle is reported.
    pub(super) fn group_ready(&mut self, site: Site, at: Option<(usize, &NodeAttr)>) -> bool {
        match self.groups.get(&site) {
            Some(Built::Done(term)) => return term.is_some(),
            Some(Built::Compiling(since)) => {
                let since = *since;
                if let Some((d, attr)) = at {
                    self.cycle(d, attr, Space::Group, since);
                }
                return false;
            }
            None => {}
        }
        if !self.deeper(site, at, "group references") {
            return false;
        }
        self.groups
            .insert(site, Built::Compiling(self.anonymous_depth));
        let term = self.build_group(site);
        self.derivation_depth -= 1;
        let ready = term.is_some();
        self.groups.insert(site, Built::Done(term));
        ready
    }

    /// A global `xs:group`: one `xs:sequence`, `xs:choice` or `xs:all`.
    fn build_group(&mut self, (d, n): Site) -> Option<Term> {
        let node = self.node(d, n);
        for local in ["ref", "minOccurs", "maxOccurs"] {
            if let Some(attr) = node.attr(local) {
                self.error(
                    d,
                    attr.span,
                    format!("`{local}` is not allowed on a global xs:group"),
                );
            }
        }
        self.check_attributes(d, node, &["name", "id", "ref", "minOccurs", "maxOccurs"]);
        self.no_text(d, node);
        let children = self.content_children(d, node);
        let Some((&first, rest)) = children.split_first() else {
            self.error(
                d,
                node.span,
                "xs:group needs an xs:sequence, xs:choice or xs:all",
            );
            return None;
        };
        for &extra in rest {
            let extra = self.node(d, extra);
            self.error(d, extra.span, "xs:group holds one model group only");
        }
        let model = self.node(d, first);
        if !is_model_group(model) {
            let message = misplaced(model, node);
            self.error(d, model.span, message);
            return None;
        }
        for local in ["minOccurs", "maxOccurs"] {
            if let Some(attr) = model.attr(local) {
                self.error(
                    d,
                    attr.span,
                    format!(
                        "`{local}` is not allowed on the model group of a global xs:group: put it on the references"
                    ),
                );
            }
        }
        // Whether an `xs:all` may be here depends on each reference.
        let particle = self.model_group(d, first, true)?;
        if self.too_deep(d, node, &particle) {
            return None;
        }
        Some(particle.term)
    }

    /// `<xs:attributeGroup ref="A"/>`: adds A's attributes to `attributes`.
    pub(super) fn attribute_group_ref(
        &mut self,
        d: usize,
        n: NodeId,
        attributes: &mut AttributeList,
    ) {
        let node = self.node(d, n);
        let Some(reference) = self.reference(d, node, &["ref", "id"]) else {
            return;
        };
        let Some(site) = self.global_by_name(Space::AttributeGroup, d, reference) else {
            return;
        };
        if !self.attribute_group_ready(site, Some((d, reference))) {
            return;
        }
        let Some(Built::Done(Some(group))) = self.attribute_groups.get(&site) else {
            return;
        };
        let group = group.clone();
        let name = reference.value.trim();
        let qname = self.type_name(site.0, site.1);
        for mut attribute in group.decls {
            attribute.groups.splice(0..0, qname.clone());
            self.add_attribute(d, node, attributes, attribute, Some(name));
        }
        if let Some(wildcard) = group.wildcard {
            self.add_wildcard(d, node, attributes, wildcard, Some(name));
        }
    }

    /// [`group_ready`](Self::group_ready) for attribute groups.
    pub(super) fn attribute_group_ready(
        &mut self,
        site: Site,
        at: Option<(usize, &NodeAttr)>,
    ) -> bool {
        match self.attribute_groups.get(&site) {
            Some(Built::Done(group)) => return group.is_some(),
            Some(Built::Compiling(since)) => {
                let since = *since;
                if let Some((d, attr)) = at {
                    self.cycle(d, attr, Space::AttributeGroup, since);
                }
                return false;
            }
            None => {}
        }
        if !self.deeper(site, at, "attribute group references") {
            return false;
        }
        self.attribute_groups
            .insert(site, Built::Compiling(self.anonymous_depth));
        let group = self.build_attribute_group(site);
        self.derivation_depth -= 1;
        self.attribute_groups.insert(site, Built::Done(Some(group)));
        true
    }

    /// A global `xs:attributeGroup`: attributes and references to other
    /// attribute groups, expanded.
    fn build_attribute_group(&mut self, (d, n): Site) -> AttributeList {
        let node = self.node(d, n);
        if let Some(attr) = node.attr("ref") {
            self.error(
                d,
                attr.span,
                "`ref` is not allowed on a global xs:attributeGroup",
            );
        }
        self.check_attributes(d, node, &["name", "id", "ref"]);
        self.no_text(d, node);
        let mut attributes = AttributeList::default();
        for c in self.content_children(d, node) {
            let child = self.node(d, c);
            if is_attribute_use(child) {
                self.attribute_use(d, c, &mut attributes);
            } else {
                let message = misplaced(child, node);
                self.error(d, child.span, message);
            }
        }
        attributes
    }

    /// The `ref` of a local `xs:group` or `xs:attributeGroup`, which holds
    /// nothing else.
    fn reference(&mut self, d: usize, node: &'s Node, allowed: &[&str]) -> Option<&'s NodeAttr> {
        let mut allowed = allowed.to_vec();
        allowed.push("name");
        self.check_attributes(d, node, &allowed);
        self.no_text(d, node);
        if !self.content_children(d, node).is_empty() {
            self.error(
                d,
                node.span,
                format!(
                    "{} with `ref` holds nothing but xs:annotation",
                    node.display_name()
                ),
            );
        }
        let reference = node.attr("ref");
        match (node.attr("name"), reference) {
            (Some(name), _) => self.error(
                d,
                name.span,
                format!(
                    "`name` is for a global {0}, at the top of the schema; here an {0} refers to one with `ref`",
                    node.display_name()
                ),
            ),
            (None, None) => self.error(
                d,
                node.span,
                format!(
                    "{} here needs a `ref` naming a global one",
                    node.display_name()
                ),
            ),
            (None, Some(_)) => {}
        }
        reference
    }

    /// The global declaration in `space` that `attr` names; an unknown name
    /// is reported, with a hint where one is close.
    pub(super) fn global_by_name(
        &mut self,
        space: Space,
        d: usize,
        attr: &NodeAttr,
    ) -> Option<Site> {
        let qname = self.qname(d, attr)?;
        let key = (space, qname.namespace.as_deref(), qname.local.as_str());
        if let Some(&site) = self.globals.get(&key) {
            return Some(site);
        }
        let hint = self.suggest(space, d, &qname, attr.value.trim());
        let diagnostic = self
            .doc(d)
            .error(
                attr.span,
                format!("unknown {} `{}`", space.noun(), attr.value.trim()),
            )
            .with_hint_opt(hint);
        self.push(diagnostic);
        None
    }

    /// Reports a group met again while it is compiled. `since` is how many
    /// anonymous types were open when it began: more now means the group
    /// is reached again through an element's anonymous type, which a name
    /// would turn into an ordinary recursive type.
    fn cycle(&mut self, d: usize, at: &NodeAttr, space: Space, since: usize) {
        let mut message = format!("{} `{}` contains itself", space.noun(), at.value.trim());
        if self.anonymous_depth > since {
            message.push_str(
                ", through the anonymous type of an element inside it: give that type a name",
            );
        }
        self.error(d, at.span, message);
    }

    /// Goes one group reference deeper, unless the chain is too long
    /// already (reported at `at`, or at the group itself).
    fn deeper(&mut self, (gd, gn): Site, at: Option<(usize, &NodeAttr)>, what: &str) -> bool {
        if self.derivation_depth < MAX_DERIVATION_DEPTH {
            self.derivation_depth += 1;
            return true;
        }
        let (d, span) = match at {
            Some((d, attr)) => (d, attr.span),
            None => (gd, self.node(gd, gn).span),
        };
        self.error(
            d,
            span,
            format!("{what} are nested more than {MAX_DERIVATION_DEPTH} deep"),
        );
        false
    }

    /// Counts `count` more copied particles; past [`MAX_COPIED_PARTICLES`]
    /// the copy is refused, and the first refusal reported at `span`.
    pub(super) fn copy_particles(&mut self, d: usize, span: Span, count: usize) -> bool {
        let before = self.copied_particles;
        self.copied_particles = before.saturating_add(count);
        if self.copied_particles <= MAX_COPIED_PARTICLES {
            return true;
        }
        if before <= MAX_COPIED_PARTICLES {
            self.error(
                d,
                span,
                format!(
                    "expanding group references and extensions makes this schema too large (more than {MAX_COPIED_PARTICLES} particles)"
                ),
            );
        }
        false
    }
}

/// How many particles a copy of `term` makes.
fn term_size(term: &Term) -> usize {
    match term {
        Term::Element(_) | Term::Any(_) => 0,
        Term::Sequence(children) | Term::Choice(children) | Term::All(children) => {
            children.iter().map(particle_count).sum()
        }
    }
}
