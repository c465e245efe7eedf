//! The `map` step: building a document from a shape, for a profile.
//!
//! The shape is walked once per document. For a JSON profile the tree is
//! built as a [`JsonTree`], validated and written; for an XML profile it is
//! built as a template value and written by the XSD, which puts elements in
//! order, adds namespaces and checks types.

use std::borrow::Cow;
use std::sync::Arc;

use minijinja::value::{Value, ValueKind};

use super::{ExecError, Execution, template_error};
use crate::profile::json_tree::{JsonTree, MemberName};
use crate::profile::{Profile, Schema, Violation, describe};
use crate::snapshot::{MapShape, Shape, StepSite};
use crate::template;
use crate::template::context::Bound;

/// What a shape is built into.
trait Tree: Sized {
    /// A map being filled, entry by entry.
    type Map;
    fn leaf(value: Value) -> Result<Self, String>;
    fn list(items: Vec<Self>) -> Self;
    fn map_with_capacity(capacity: usize) -> Self::Map;
    fn insert(map: &mut Self::Map, key: &Arc<MemberName>, value: Self);
    fn map(map: Self::Map) -> Self;
}

impl Tree for Value {
    type Map = Vec<(Value, Value)>;
    fn leaf(value: Value) -> Result<Self, String> {
        Ok(value)
    }
    fn list(items: Vec<Self>) -> Self {
        Value::from(items)
    }
    fn map_with_capacity(capacity: usize) -> Self::Map {
        Vec::with_capacity(capacity)
    }
    fn insert(map: &mut Self::Map, key: &Arc<MemberName>, value: Self) {
        map.push((Value::from(key.name().clone()), value));
    }
    // A shape's keys are distinct: a small map is scanned, not hashed, by
    // the XSD writer that reads it.
    fn map(map: Self::Map) -> Self {
        crate::doc::xml::element_map_of_distinct(map)
    }
}

impl Tree for JsonTree {
    type Map = Vec<(Arc<MemberName>, JsonTree)>;
    fn leaf(value: Value) -> Result<Self, String> {
        JsonTree::from_owned(value, "").map_err(|violations| describe(&violations))
    }
    fn list(items: Vec<Self>) -> Self {
        JsonTree::Array(items)
    }
    fn map_with_capacity(capacity: usize) -> Self::Map {
        Vec::with_capacity(capacity)
    }
    fn insert(map: &mut Self::Map, key: &Arc<MemberName>, value: Self) {
        map.push((key.clone(), value));
    }
    fn map(map: Self::Map) -> Self {
        JsonTree::Object(map)
    }
}

impl Execution {
    /// The text of the document a `map` builds for one input document.
    pub(super) fn map_document(
        &self,
        target: &Profile,
        shape: &Shape,
        scope: &Value,
        site: &StepSite,
    ) -> Result<String, ExecError> {
        let unfit = |violations: Vec<Violation>| {
            ExecError::step(
                site,
                format!(
                    "the value does not fit the profile `{}`: {}",
                    target.name(),
                    describe(&violations)
                ),
            )
        };
        match target.schema() {
            Schema::Json(profile) => {
                let tree: JsonTree = self.build(shape, scope, site)?.unwrap_or(JsonTree::Null);
                profile.write_tree(&tree).map_err(unfit)
            }
            Schema::Xml(_) => {
                let tree: Value = self
                    .build(shape, scope, site)?
                    .unwrap_or_else(|| Value::from(()));
                target.write(&tree).map_err(unfit)
            }
        }
    }

    /// Builds a shape; `None` when a `$if` leaves it out.
    fn build<T: Tree>(
        &self,
        shape: &Shape,
        scope: &Value,
        site: &StepSite,
    ) -> Result<Option<T>, ExecError> {
        match shape {
            Shape::Value(source) => {
                let value = self.value(source, scope, site)?;
                T::leaf(value)
                    .map(Some)
                    .map_err(|e| ExecError::step(site, e))
            }
            Shape::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        // A repeated map inside a list adds its items to the list.
                        Shape::Map(map) if map.each.is_some() => {
                            out.extend(self.build_each::<T>(map, scope, site)?)
                        }
                        _ => out.extend(self.build::<T>(item, scope, site)?),
                    }
                }
                Ok(Some(T::list(out)))
            }
            Shape::Map(map) if map.each.is_some() => {
                Ok(Some(T::list(self.build_each(map, scope, site)?)))
            }
            Shape::Map(map) => self.build_map(map, scope, site),
        }
    }

    /// The maps of a `$for`, one per item that passes its `$if`.
    fn build_each<T: Tree>(
        &self,
        map: &MapShape,
        scope: &Value,
        site: &StepSite,
    ) -> Result<Vec<T>, ExecError> {
        let Some((name, items)) = &map.each else {
            return Ok(self.build_map(map, scope, site)?.into_iter().collect());
        };
        let items = self
            .snapshot
            .templates
            .eval(*items, scope)
            .map_err(|e| ExecError::step(site, template_error(&e)))?;
        let items: Cow<'_, [Value]> = match items.kind() {
            ValueKind::None | ValueKind::Undefined => Cow::Borrowed(&[]),
            ValueKind::Seq | ValueKind::Iterable => {
                template::items(&items).map_err(|e| ExecError::step(site, e))?
            }
            // One item where a list was expected: a repeating element seen once without a profile.
            _ => Cow::Borrowed(std::slice::from_ref(&items)),
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            let bound = Value::from_object(Bound {
                parent: scope.clone(),
                name: name.clone(),
                value: item.clone(),
            });
            out.extend(self.build_map(map, &bound, site)?);
        }
        Ok(out)
    }

    fn build_map<T: Tree>(
        &self,
        map: &MapShape,
        scope: &Value,
        site: &StepSite,
    ) -> Result<Option<T>, ExecError> {
        if let Some(condition) = map.condition {
            let keep = self
                .snapshot
                .templates
                .eval(condition, scope)
                .map_err(|e| ExecError::step(site, template_error(&e)))?;
            if !keep.is_true() {
                return Ok(None);
            }
        }
        if let Some(value) = &map.value {
            let value = self.value(value, scope, site)?;
            return T::leaf(value)
                .map(Some)
                .map_err(|e| ExecError::step(site, e));
        }
        let mut entries = T::map_with_capacity(map.entries.len());
        for (key, shape) in &map.entries {
            if let Some(value) = self.build::<T>(shape, scope, site)? {
                T::insert(&mut entries, key, value);
            }
        }
        Ok(Some(T::map(entries)))
    }
}
