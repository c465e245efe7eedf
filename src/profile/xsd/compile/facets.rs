//! Simple types: restrictions of built-in or named simple types, and the
//! facets they set, checked for what they apply to and for consistency.

use std::collections::HashSet;

use super::set::{SetCompiler, index_u32};
use super::{MAX_DERIVATION_DEPTH, misplaced};
use crate::profile::xsd::identity::Identity;
use crate::profile::xsd::model::{QName, SimpleType, SimpleTypeRef, TypeRef};
use crate::profile::xsd::pattern::Pattern;
use crate::profile::xsd::schema::{Node, NodeId, XSD_NAMESPACE};
use crate::profile::xsd::simple::{
    Atom, Bound, BuiltIn, EnumValue, Facets, Number, WhiteSpace, parse_lexical,
};

impl<'s> SetCompiler<'s> {
    pub(super) fn named_simple_type(&mut self, d: usize, n: NodeId) -> Option<SimpleTypeRef> {
        if let Some(done) = self.named_simple.get(&(d, n)) {
            return *done;
        }
        let node = self.node(d, n);
        if !self.simple_in_progress.insert((d, n)) {
            let name = node.attr("name").map_or("", |a| a.value.as_str());
            self.error(
                d,
                node.span,
                format!("simple type `{name}` is derived from itself"),
            );
            return None;
        }
        if self.derivation_depth >= MAX_DERIVATION_DEPTH {
            self.error(
                d,
                node.span,
                format!("type derivations are nested more than {MAX_DERIVATION_DEPTH} deep"),
            );
            return None;
        }
        self.derivation_depth += 1;
        let id = self.simple_type(d, n, self.type_name(d, n));
        self.derivation_depth -= 1;
        self.simple_in_progress.remove(&(d, n));
        self.named_simple.insert((d, n), id);
        id
    }

    /// An `xs:simpleType`: a restriction of another simple type, or a union.
    pub(super) fn simple_type(
        &mut self,
        d: usize,
        n: NodeId,
        name: Option<QName>,
    ) -> Option<SimpleTypeRef> {
        let node = self.node(d, n);
        let allowed: &[&str] = if name.is_some() {
            &["name", "id"]
        } else {
            &["id"]
        };
        self.check_attributes(d, node, allowed);
        self.no_text(d, node);
        let r = self.single_derivation(d, node, "xs:restriction, xs:list or xs:union")?;
        let restriction = self.node(d, r);
        if restriction.is_xs("union") {
            return self.union(d, r, name);
        }
        if restriction.is_xs("list") {
            return self.list(d, r, name);
        }
        if !restriction.is_xs("restriction") {
            let message = misplaced(restriction, node);
            self.error(d, restriction.span, message);
            return None;
        }
        self.check_attributes(d, restriction, &["base", "id"]);
        self.no_text(d, restriction);
        let inline: Vec<NodeId> = restriction
            .children
            .iter()
            .copied()
            .filter(|&c| self.node(d, c).is_xs("simpleType"))
            .collect();
        let base = self.named_or_inline(d, restriction, "base", &inline, |_| {
            "a simple type can only restrict a simple type".to_owned()
        })?;
        let facets = self.facets(d, restriction, base)?;
        Some(self.restriction(name, base, facets))
    }

    /// An `xs:union` of the types `memberTypes` names and of its inline
    /// `xs:simpleType`s, in that order. A member that is a union (not a
    /// restriction of one) brings its own members; one of IDs or references is refused (what a value
    /// means would depend on which member took it).
    fn union(&mut self, d: usize, n: NodeId, name: Option<QName>) -> Option<SimpleTypeRef> {
        let node = self.node(d, n);
        self.check_attributes(d, node, &["memberTypes", "id"]);
        self.no_text(d, node);
        let mut valid = true;
        // Each member with where it is written, for its errors.
        let mut members: Vec<(SimpleTypeRef, crate::config::node::Span)> = Vec::new();
        if let Some(attr) = node.attr("memberTypes") {
            let written: Vec<&str> = attr
                .value
                .split(crate::doc::xml::is_xml_whitespace)
                .filter(|name| !name.is_empty())
                .collect();
            for (qname, written) in attr.qnames.iter().zip(written) {
                let qname = match qname {
                    Ok(qname) => qname,
                    Err(message) => {
                        self.error(d, attr.span, message.clone());
                        valid = false;
                        continue;
                    }
                };
                match self.type_by_qname(d, qname, written, attr.span) {
                    Some(TypeRef::Simple(simple)) => members.push((simple, attr.span)),
                    Some(TypeRef::Complex(_)) => {
                        self.error(
                            d,
                            attr.span,
                            format!(
                                "`{written}` is a complex type: a union's members are simple types"
                            ),
                        );
                        valid = false;
                    }
                    None => valid = false,
                }
            }
        }
        for &c in &node.children {
            let child = self.node(d, c);
            if child.is_xs("annotation") {
                continue;
            }
            if !child.is_xs("simpleType") {
                let message = misplaced(child, node);
                self.error(d, child.span, message);
                valid = false;
                continue;
            }
            match self.inline_simple_type(d, c, child.span) {
                Some(member) => members.push((member, child.span)),
                None => valid = false,
            }
        }
        if members.is_empty() && valid {
            self.error(
                d,
                node.span,
                "xs:union needs `memberTypes` or an inline xs:simpleType",
            );
            return None;
        }
        let mut flat = Vec::with_capacity(members.len());
        for (member, span) in members {
            let member_type = &self.simple_types[member.0 as usize];
            if member_type.item.is_some() {
                self.error(
                    d,
                    span,
                    "a union of list types is not supported: its value would be a list or not depending on the text",
                );
                valid = false;
            } else if member_type.identity != Identity::None {
                self.error(
                    d,
                    span,
                    "a union of xs:ID or xs:IDREF types is not supported: which member reads a value would decide whether it is an ID",
                );
                valid = false;
            } else if member_type.base.is_none() && !member_type.members.is_empty() {
                // A union as it is: its members take its place. (A
                // restriction of one stays a member, with its facets.)
                flat.extend(member_type.members.iter().copied());
            } else {
                flat.push(member);
            }
        }
        if !valid {
            return None;
        }
        Some(self.constructed(name, Identity::None, flat, None))
    }

    /// An `xs:list` of the type `itemType` names or of its inline
    /// `xs:simpleType`. Items are atomic or unions: a list of lists is
    /// not a type XSD has.
    fn list(&mut self, d: usize, n: NodeId, name: Option<QName>) -> Option<SimpleTypeRef> {
        let node = self.node(d, n);
        self.check_attributes(d, node, &["itemType", "id"]);
        self.no_text(d, node);
        let mut inline = Vec::new();
        for &c in &node.children {
            let child = self.node(d, c);
            if child.is_xs("simpleType") {
                inline.push(c);
            } else if !child.is_xs("annotation") {
                let message = misplaced(child, node);
                self.error(d, child.span, message);
                return None;
            }
        }
        let item = self.named_or_inline(d, node, "itemType", &inline, |written| {
            format!("`{written}` is a complex type: a list's items are of a simple type")
        })?;
        // Where the item type is given, for its error.
        let span = match (inline.first(), node.attr("itemType")) {
            (Some(&c), _) => self.node(d, c).span,
            (None, Some(attr)) => attr.span,
            (None, None) => node.span,
        };
        let item_type = &self.simple_types[item.0 as usize];
        if item_type.item.is_some() {
            self.error(
                d,
                span,
                "the items of a list cannot be lists themselves: use the item type of that list",
            );
            return None;
        }
        Some(self.new_list(name, item))
    }

    /// A list of `item`, whose IDs or references its items are.
    pub(super) fn new_list(&mut self, name: Option<QName>, item: SimpleTypeRef) -> SimpleTypeRef {
        let identity = self.simple_types[item.0 as usize].identity;
        self.constructed(name, identity, Vec::new(), Some(item))
    }

    /// A union (`members`) or a list (`item`): no base and no facets of its
    /// own; its built-in type is a placeholder and its whitespace that of
    /// the text around its members' or items' own.
    fn constructed(
        &mut self,
        name: Option<QName>,
        identity: Identity,
        members: Vec<SimpleTypeRef>,
        item: Option<SimpleTypeRef>,
    ) -> SimpleTypeRef {
        let id = SimpleTypeRef(index_u32(self.simple_types.len()));
        self.simple_types.push(SimpleType {
            name,
            builtin: BuiltIn::String,
            base: None,
            facets: Facets::default(),
            whitespace: WhiteSpace::Collapse,
            identity,
            members,
            item,
        });
        id
    }

    /// The simple type `node` names in `attribute` or holds as its one
    /// inline `xs:simpleType` (`inline`); `complex` says why the name of a
    /// complex type (as written) cannot be it.
    fn named_or_inline(
        &mut self,
        d: usize,
        node: &Node,
        attribute: &str,
        inline: &[NodeId],
        complex: impl FnOnce(&str) -> String,
    ) -> Option<SimpleTypeRef> {
        let what = node.display_name();
        match (node.attr(attribute), inline) {
            (Some(attr), []) => match self.type_by_name(d, attr)? {
                TypeRef::Simple(simple) => Some(simple),
                TypeRef::Complex(_) => {
                    self.error(d, attr.span, complex(attr.value.trim()));
                    None
                }
            },
            (None, [c]) => self.inline_simple_type(d, *c, node.span),
            (None, []) => {
                let message = format!("{what} needs `{attribute}` or an inline xs:simpleType");
                self.error(d, node.span, message);
                None
            }
            (_, _) => {
                let message = format!(
                    "{what} has both `{attribute}` and an inline xs:simpleType, or more than one inline type"
                );
                self.error(d, node.span, message);
                None
            }
        }
    }

    /// An anonymous `xs:simpleType` inside another declaration (at `span`),
    /// within the bound on nested derivations.
    fn inline_simple_type(
        &mut self,
        d: usize,
        n: NodeId,
        span: crate::config::node::Span,
    ) -> Option<SimpleTypeRef> {
        if self.derivation_depth >= MAX_DERIVATION_DEPTH {
            self.error(
                d,
                span,
                format!("type derivations are nested more than {MAX_DERIVATION_DEPTH} deep"),
            );
            return None;
        }
        self.derivation_depth += 1;
        let simple = self.simple_type(d, n, None);
        self.derivation_depth -= 1;
        simple
    }

    /// A restriction step of `base` by `facets`: its built-in type is the
    /// base's, and so is its whitespace unless a facet sets it.
    pub(super) fn restriction(
        &mut self,
        name: Option<QName>,
        base: SimpleTypeRef,
        facets: Facets,
    ) -> SimpleTypeRef {
        let base_type = &self.simple_types[base.0 as usize];
        let builtin = base_type.builtin;
        let whitespace = facets.white_space.unwrap_or(base_type.whitespace);
        let identity = base_type.identity;
        let members = base_type.members.clone();
        let item = base_type.item;
        let id = SimpleTypeRef(index_u32(self.simple_types.len()));
        self.simple_types.push(SimpleType {
            name,
            builtin,
            base: Some(base),
            facets,
            whitespace,
            identity,
            members,
            item,
        });
        id
    }

    /// The facets of an `xs:restriction` of `base`.
    pub(super) fn facets(
        &mut self,
        d: usize,
        restriction: &'s Node,
        base: SimpleTypeRef,
    ) -> Option<Facets> {
        let builtin = self.simple_types[base.0 as usize].builtin;
        let base_whitespace = self.simple_types[base.0 as usize].whitespace;
        let mut facets = Facets::default();
        let mut valid = true;
        let mut seen: HashSet<&str> = HashSet::new();
        // The whitespace rule of this step applies to its own enumeration values.
        let mut whitespace = base_whitespace;
        let facet_nodes: Vec<&'s Node> = restriction
            .children
            .iter()
            .map(|&c| self.node(d, c))
            .filter(|c| !c.is_xs("annotation") && !c.is_xs("simpleType"))
            .collect();
        for node in &facet_nodes {
            if node.is_xs("whiteSpace")
                && let Some(value) = node.attr("value")
            {
                match value.value.trim() {
                    "preserve" => whitespace = WhiteSpace::Preserve,
                    "replace" => whitespace = WhiteSpace::Replace,
                    "collapse" => whitespace = WhiteSpace::Collapse,
                    _ => {}
                }
            }
        }
        let mut facet_spans: Vec<(&str, crate::config::node::Span)> = Vec::new();
        let list = self.simple_types[base.0 as usize].item.is_some();
        let union = !self.simple_types[base.0 as usize].members.is_empty();
        for node in facet_nodes {
            let facet = node.local.as_str();
            let known = [
                "enumeration",
                "pattern",
                "length",
                "minLength",
                "maxLength",
                "minInclusive",
                "maxInclusive",
                "minExclusive",
                "maxExclusive",
                "totalDigits",
                "fractionDigits",
                "whiteSpace",
            ];
            if node.namespace.as_deref() != Some(XSD_NAMESPACE) || !known.contains(&facet) {
                let message = misplaced(node, restriction);
                self.error(d, node.span, message);
                valid = false;
                continue;
            }
            // `fixed` only forbids restricting the facet further.
            self.check_attributes(d, node, &["value", "fixed", "id"]);
            self.no_text(d, node);
            let Some(attr) = node.attr("value") else {
                self.error(d, node.span, format!("xs:{facet} needs a `value`"));
                valid = false;
                continue;
            };
            let repeatable = facet == "enumeration" || facet == "pattern";
            if !repeatable && !seen.insert(facet) {
                self.error(d, node.span, format!("xs:{facet} is given twice"));
                valid = false;
                continue;
            }
            if list
                && !matches!(
                    facet,
                    "enumeration" | "pattern" | "length" | "minLength" | "maxLength" | "whiteSpace"
                )
            {
                self.error(
                    d,
                    node.span,
                    format!("xs:{facet} does not apply to a list: restrict it by length, pattern or enumeration"),
                );
                valid = false;
                continue;
            }
            if union && !matches!(facet, "enumeration" | "pattern") {
                self.error(
                    d,
                    node.span,
                    format!("xs:{facet} does not apply to a union: restrict it by pattern or enumeration"),
                );
                valid = false;
                continue;
            }
            let applies = match facet {
                _ if union || list => true,
                "enumeration" => builtin != BuiltIn::Boolean,
                "pattern" => true,
                "length" | "minLength" | "maxLength" => builtin.has_length(),
                "minInclusive" | "maxInclusive" | "minExclusive" | "maxExclusive" => {
                    builtin.is_numeric()
                }
                "totalDigits" | "fractionDigits" => {
                    builtin.is_integer() || builtin == BuiltIn::Decimal
                }
                _ => true,
            };
            if !applies {
                let message = if facet.contains("clusive") {
                    format!(
                        "xs:{facet} is supported on numeric types only, not on xs:{}",
                        builtin.name()
                    )
                } else {
                    format!("xs:{facet} does not apply to xs:{}", builtin.name())
                };
                self.error(d, node.span, message);
                valid = false;
                continue;
            }
            facet_spans.push((facet, attr.span));
            let value = attr.value.as_str();
            if let Err(message) = self.facet_value(
                &mut facets,
                facet,
                value,
                builtin,
                whitespace,
                base_whitespace,
                base,
            ) {
                self.error(d, attr.span, message);
                valid = false;
            }
        }
        if let Err(message) = consistent(&facets) {
            self.error(d, restriction.span, message);
            valid = false;
        }
        for (facet, message) in self.loosened(&facets, base) {
            let span = facet_spans
                .iter()
                .find(|(name, _)| *name == facet)
                .map_or(restriction.span, |(_, span)| *span);
            self.error(d, span, message);
            valid = false;
        }
        valid.then_some(facets)
    }

    /// The facets of a restriction that would let through a value its base
    /// refuses: a restriction only narrows (XSD Part 2, §4.3), and toolkits
    /// that read the schema refuse one that widens. Each with its name.
    fn loosened(&self, facets: &Facets, base: SimpleTypeRef) -> Vec<(&'static str, String)> {
        // The nearest base that sets a facet holds its tightest value: each
        // step was checked against its own base in turn.
        let inherited =
            |get: &dyn Fn(&Facets) -> Option<u64>| self.chain(base).find_map(|s| get(&s.facets));
        // The nearest upper or lower bound of the base: its value, whether
        // it is inclusive, and as written.
        let bound = |upper: bool| {
            self.chain(base).find_map(|simple| {
                let facets = &simple.facets;
                let (inclusive, exclusive) = if upper {
                    (facets.max_inclusive.as_ref(), facets.max_exclusive.as_ref())
                } else {
                    (facets.min_inclusive.as_ref(), facets.min_exclusive.as_ref())
                };
                match (inclusive, exclusive) {
                    (Some(inclusive), _) => {
                        Some((as_f64(inclusive.number), true, inclusive.lexical.clone()))
                    }
                    (_, Some(exclusive)) => {
                        Some((as_f64(exclusive.number), false, exclusive.lexical.clone()))
                    }
                    _ => None,
                }
            })
        };
        let mut found = Vec::new();
        let length = inherited(&|f| f.length);
        let min_length = inherited(&|f| f.min_length).or(length);
        let max_length = inherited(&|f| f.max_length).or(length);
        let wider = |facet: &'static str, value: u64, base_value: u64, base_facet: &str| {
            (
                facet,
                format!(
                    "xs:{facet} {value} is wider than the base type's {base_facet} {base_value}: a restriction can only narrow"
                ),
            )
        };
        if let (Some(value), Some(base_value)) = (facets.max_length, max_length)
            && value > base_value
        {
            found.push(wider("maxLength", value, base_value, "maxLength"));
        }
        if let (Some(value), Some(base_value)) = (facets.min_length, min_length)
            && value < base_value
        {
            found.push(wider("minLength", value, base_value, "minLength"));
        }
        if let Some(value) = facets.length {
            if let Some(base_value) = length.filter(|&l| l != value) {
                found.push((
                    "length",
                    format!("xs:length {value} differs from the base type's length {base_value}"),
                ));
            } else if let Some(base_value) = max_length.filter(|&m| value > m) {
                found.push(wider("length", value, base_value, "maxLength"));
            } else if let Some(base_value) = min_length.filter(|&m| value < m) {
                found.push(wider("length", value, base_value, "minLength"));
            }
        }
        let digits = [
            (
                "totalDigits",
                facets.total_digits,
                inherited(&|f| f.total_digits.map(u64::from)),
            ),
            (
                "fractionDigits",
                facets.fraction_digits,
                inherited(&|f| f.fraction_digits.map(u64::from)),
            ),
        ];
        for (facet, value, base_value) in digits {
            if let (Some(value), Some(base_value)) = (value.map(u64::from), base_value)
                && value > base_value
            {
                found.push(wider(facet, value, base_value, facet));
            }
        }
        // Bounds: a derived bound may not admit what the base's excludes.
        let base_upper = bound(true);
        let base_lower = bound(false);
        let own = [
            ("maxInclusive", facets.max_inclusive.as_ref(), true, true),
            ("maxExclusive", facets.max_exclusive.as_ref(), false, true),
            ("minInclusive", facets.min_inclusive.as_ref(), true, false),
            ("minExclusive", facets.min_exclusive.as_ref(), false, false),
        ];
        for (facet, value, inclusive, upper) in own {
            let Some(value) = value else { continue };
            let base_bound = if upper { &base_upper } else { &base_lower };
            let Some((limit, limit_inclusive, lexical)) = base_bound else {
                continue;
            };
            let x = as_f64(value.number);
            let admits_more = match (upper, inclusive && !limit_inclusive) {
                (true, true) => x >= *limit,
                (true, false) => x > *limit,
                (false, true) => x <= *limit,
                (false, false) => x < *limit,
            };
            if admits_more {
                let base_facet = match (upper, limit_inclusive) {
                    (true, true) => "maxInclusive",
                    (true, false) => "maxExclusive",
                    (false, true) => "minInclusive",
                    (false, false) => "minExclusive",
                };
                found.push((
                    facet,
                    format!(
                        "xs:{facet} {} is wider than the base type's {base_facet} {lexical}: a restriction can only narrow",
                        value.lexical
                    ),
                ));
            }
        }
        found
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn facet_value(
        &self,
        facets: &mut Facets,
        facet: &str,
        value: &str,
        builtin: BuiltIn,
        whitespace: WhiteSpace,
        base_whitespace: WhiteSpace,
        base: SimpleTypeRef,
    ) -> Result<(), String> {
        let count = |value: &str| -> Result<u64, String> {
            value
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("xs:{facet} must be a non-negative integer, not `{value}`"))
        };
        let bound = |value: &str| -> Result<Bound, String> {
            let lexical = value.trim();
            let atom = parse_lexical(builtin, lexical)
                .map_err(|e| format!("the xs:{facet} value is invalid: {e}"))?;
            match Number::from_atom(atom) {
                Some(number) => Ok(Bound {
                    lexical: lexical.to_owned(),
                    number,
                }),
                None => Err(format!("xs:{facet} needs a number")),
            }
        };
        match facet {
            // A union's value is its first member's that takes it; a
            // list's, its items (compared item by item).
            "enumeration"
                if !self.simple_types[base.0 as usize].members.is_empty()
                    || self.simple_types[base.0 as usize].item.is_some() =>
            {
                let (lexical, atom) =
                    crate::profile::xsd::simple::check(&self.simple_types, base, value).map_err(
                        |e| format!("the enumeration value does not fit the base type: {e}"),
                    )?;
                facets.enumeration.push(EnumValue {
                    lexical: lexical.into_owned(),
                    atom,
                });
            }
            "enumeration" => {
                let lexical = whitespace.apply(value);
                let atom = parse_lexical(builtin, &lexical)
                    .map_err(|e| format!("the enumeration value is invalid: {e}"))?;
                self.check_chain(base, &lexical, atom).map_err(|e| {
                    format!("the enumeration value does not fit the base type: {e}")
                })?;
                facets.enumeration.push(EnumValue {
                    lexical: lexical.into_owned(),
                    atom,
                });
            }
            "pattern" => {
                let pattern = Pattern::new(value).map_err(|e| format!("invalid pattern: {e}"))?;
                facets.patterns.push(pattern);
            }
            "length" => facets.length = Some(count(value)?),
            "minLength" => facets.min_length = Some(count(value)?),
            "maxLength" => facets.max_length = Some(count(value)?),
            "minInclusive" => facets.min_inclusive = Some(bound(value)?),
            "maxInclusive" => facets.max_inclusive = Some(bound(value)?),
            "minExclusive" => facets.min_exclusive = Some(bound(value)?),
            "maxExclusive" => facets.max_exclusive = Some(bound(value)?),
            "totalDigits" => {
                let digits = count(value)?;
                if digits == 0 {
                    return Err("xs:totalDigits must be at least 1".to_owned());
                }
                facets.total_digits = Some(u32::try_from(digits).unwrap_or(u32::MAX));
            }
            "fractionDigits" => {
                facets.fraction_digits = Some(u32::try_from(count(value)?).unwrap_or(u32::MAX));
            }
            "whiteSpace" => {
                let ws = match value.trim() {
                    "preserve" => WhiteSpace::Preserve,
                    "replace" => WhiteSpace::Replace,
                    "collapse" => WhiteSpace::Collapse,
                    other => {
                        return Err(format!(
                            "`{other}` is not a whiteSpace value: expected preserve, replace or collapse"
                        ));
                    }
                };
                let rank = |ws: WhiteSpace| match ws {
                    WhiteSpace::Preserve => 0,
                    WhiteSpace::Replace => 1,
                    WhiteSpace::Collapse => 2,
                };
                if rank(ws) < rank(base_whitespace) {
                    return Err(format!(
                        "whiteSpace `{}` is looser than the base type's `{}`",
                        ws.name(),
                        base_whitespace.name()
                    ));
                }
                facets.white_space = Some(ws);
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks a value against the facets of a type and all its bases.
    pub(super) fn check_chain(
        &self,
        id: SimpleTypeRef,
        text: &str,
        atom: Atom,
    ) -> Result<(), String> {
        self.chain(id)
            .try_for_each(|simple| simple.facets.check(simple.builtin, text, atom))
    }

    /// A simple type and its bases, nearest first.
    fn chain(&self, id: SimpleTypeRef) -> impl Iterator<Item = &SimpleType> {
        std::iter::successors(Some(&self.simple_types[id.0 as usize]), |simple| {
            simple.base.map(|base| &self.simple_types[base.0 as usize])
        })
    }
}

/// Facets of one restriction that contradict each other.
fn consistent(facets: &Facets) -> Result<(), String> {
    if let (Some(min), Some(max)) = (facets.min_length, facets.max_length)
        && min > max
    {
        return Err(format!(
            "minLength ({min}) is greater than maxLength ({max})"
        ));
    }
    if facets.length.is_some() && (facets.min_length.is_some() || facets.max_length.is_some()) {
        return Err("xs:length cannot be combined with xs:minLength or xs:maxLength".to_owned());
    }
    if facets.min_inclusive.is_some() && facets.min_exclusive.is_some() {
        return Err("xs:minInclusive and xs:minExclusive cannot both be given".to_owned());
    }
    if facets.max_inclusive.is_some() && facets.max_exclusive.is_some() {
        return Err("xs:maxInclusive and xs:maxExclusive cannot both be given".to_owned());
    }
    let lower = facets
        .min_inclusive
        .as_ref()
        .or(facets.min_exclusive.as_ref());
    let upper = facets
        .max_inclusive
        .as_ref()
        .or(facets.max_exclusive.as_ref());
    if let (Some(lower), Some(upper)) = (lower, upper)
        && as_f64(lower.number) > as_f64(upper.number)
    {
        return Err(format!(
            "the lower bound {} is greater than the upper bound {}",
            lower.lexical, upper.lexical
        ));
    }
    if let (Some(total), Some(fraction)) = (facets.total_digits, facets.fraction_digits)
        && fraction > total
    {
        return Err(format!(
            "fractionDigits ({fraction}) is greater than totalDigits ({total})"
        ));
    }
    Ok(())
}

/// A bound as a float, as bounds are compared (about 15 significant digits).
fn as_f64(number: Number) -> f64 {
    match number {
        Number::Int(i) => i as f64,
        Number::Float(x) => x,
    }
}
